package shim

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// diskAnnotation and diskEnv name a disk image in the container's root
// file system whose file system is the program's "/".
const (
	diskAnnotation = "io.wasmvisor.disk"
	diskEnv        = "WASMVISOR_DISK"
)

// wasmPageSize is the size of a WebAssembly page, the unit the policy
// bounds memory in.
const wasmPageSize = 65536

// programFromSpec describes the run of a container whose OCI spec is s
// and whose root file system is the host directory rootfs: the program
// is the module at the spec's first argument, inside rootfs, and rootfs
// is its "/". The module's path inside rootfs is returned for the
// caller to open (Program.File is left empty), so that it can be
// opened without following links out of the root; it is "" when the
// spec has no arguments, for an image whose module is a layer of its
// own (the OCI artifact form).
//
// Mappings, and what is left out (logged through skipped):
//   - args: Process.Args[0] names the module (absolute, or relative to
//     the working directory), the rest are its arguments; argv[0] is
//     Args[0] as the image gives it. Where the module is a layer of the
//     image (see moduleFromImage) and not a file, Args[0] only names it.
//   - env: Process.Env as is.
//   - cwd: WASI has no working directory; wasi-libc and Go start in "/"
//     unless PWD says otherwise, so a Cwd other than "/" becomes PWD
//     where the image does not set it.
//   - root: rootfs as "/", read-only if Root.Readonly; or, going beyond
//     runwasi, the ext4 file system of a disk image in rootfs, named by
//     the annotation io.wasmvisor.disk or by WASMVISOR_DISK in the
//     image's environment (IMAGE[,part=N][,format=F], IMAGE a path in
//     rootfs; the program does not get the variable), as `wasmvisor run
//     --disk` has it: see the returned disk, which the caller opens.
//   - mounts: bind mounts of directories, at their destination,
//     read-only with "ro"; others (proc, sysfs, tmpfs, devpts, and
//     files such as the /etc/hosts CRI binds) have no WASI meaning.
//   - memory limit: the policy's largest linear memory, in whole pages
//     (a module asking for more at the start is refused, and its
//     memory does not grow past it).
//   - RLIMIT_CPU: the run's timeout; wall-clock time, which is never
//     less than the CPU time of the one thread a program runs on.
func programFromSpec(s *specs.Spec, rootfs string, skipped func(string)) (p *launch.Program, module string, disk string, err error) {
	if s.Process == nil {
		return nil, "", "", errors.New("the container has no process")
	}
	if s.Process.Terminal {
		return nil, "", "", errors.New("a terminal is not supported: WebAssembly programs get pipes")
	}
	cwd := s.Process.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if !path.IsAbs(cwd) {
		// The runtime spec requires it; a relative one names nothing.
		return nil, "", "", fmt.Errorf("the process's working directory %q is not absolute", cwd)
	}
	var args []string
	if len(s.Process.Args) > 0 {
		if s.Process.Args[0] == "" {
			return nil, "", "", errors.New("the process's first argument is empty: it names no module")
		}
		module = s.Process.Args[0]
		if !path.IsAbs(module) {
			module = path.Join(cwd, module)
		}
		module = path.Clean(module)
		args = slices.Clone(s.Process.Args[1:])
	}
	p = &launch.Program{
		Name:      argv0(s.Process.Args),
		Args:      args,
		Env:       slices.Clone(s.Process.Env),
		Limits:    *launch.NewLimits(),
		Isolation: wasmvisor.IsolationAuto,
	}
	if cwd != "/" && !slices.ContainsFunc(p.Env, func(e string) bool { return strings.HasPrefix(e, "PWD=") }) {
		p.Env = append(p.Env, "PWD="+cwd)
	}
	disk = s.Annotations[diskAnnotation]
	if i := slices.IndexFunc(p.Env, func(e string) bool { return strings.HasPrefix(e, diskEnv+"=") }); i >= 0 {
		// The image's say, through its config; the program never sees it.
		if disk == "" {
			disk = strings.TrimPrefix(p.Env[i], diskEnv+"=")
		}
		p.Env = slices.Delete(p.Env, i, i+1)
	}
	if disk == "" {
		readOnlyRoot := s.Root != nil && s.Root.Readonly
		p.Dirs = append(p.Dirs, wasi.DirSpec{Host: rootfs, Guest: "/", ReadOnly: readOnlyRoot})
	}
	for _, m := range s.Mounts {
		if !isBind(m) {
			skipped(fmt.Sprintf("mount %s (%s): no WASI meaning", m.Destination, m.Type))
			continue
		}
		if fi, err := os.Stat(m.Source); err != nil || !fi.IsDir() {
			skipped(fmt.Sprintf("mount %s: source %s is not a directory", m.Destination, m.Source))
			continue
		}
		p.Dirs = append(p.Dirs, wasi.DirSpec{Host: m.Source, Guest: path.Clean(m.Destination), ReadOnly: slices.Contains(m.Options, "ro")})
	}
	if l := s.Linux; l != nil && l.Resources != nil && l.Resources.Memory != nil && l.Resources.Memory.Limit != nil && *l.Resources.Memory.Limit > 0 {
		// Only ever lowered: the default policy's bound stays where the
		// container's limit is larger.
		pages := uint64(*l.Resources.Memory.Limit) / wasmPageSize
		if n, ok := p.Limits.Policy.MaxMemoryPages.Value(); !ok || pages < n {
			p.Limits.Policy.MaxMemoryPages = wasmvisor.LimitOf(pages)
		}
	}
	for _, r := range s.Process.Rlimits {
		if r.Type == "RLIMIT_CPU" && r.Soft > 0 && r.Soft < uint64(1<<63-1)/uint64(time.Second) {
			p.Limits.Timeout = time.Duration(r.Soft) * time.Second
		}
	}
	return p, module, disk, nil
}

// argv0 is the program's name: the first argument as the image gives
// it, or for a module that is a layer of its own and named by no
// argument, a name of the kind its file would have.
func argv0(args []string) string {
	if len(args) == 0 {
		return "module.wasm"
	}
	return args[0]
}

// isBind reports whether m is a bind mount, which the spec says by
// its type or by a bind option.
func isBind(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}
