package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

func init() {
	register("run", "run a WebAssembly program (a WASI command, or --invoke a function)", func(args []string) int {
		return runMain(args, runIO{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, lookupEnv: os.LookupEnv})
	})
}

// exitUsage is the status of `wasmvisor run` for a wrong command line;
// the others are the run's (launch.ExitFailure, launch.ExitTrap, or the
// program's own).
const exitUsage = 2

// exitFailure is the status of a command that could not do its work.
const exitFailure = launch.ExitFailure

// runIO is the process environment of a run: the standard streams the
// program inherits, and the host environment --env K reads.
type runIO struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
}

// runOptions is a parsed `wasmvisor run` command line: the program it
// describes.
type runOptions struct {
	launch.Program
	// Stats prints how the run went on stderr after it.
	Stats bool
}

// runFlag is one option of `wasmvisor run`. An option takes a value,
// given as the next argument or after "=", unless it is a switch
// (arg ""), which takes none or a boolean after "=".
type runFlag struct {
	names []string // the first is the one usage shows
	arg   string   // what the value is, for usage; "" for a switch
	help  string
	set   func(o *runOptions, v string, io runIO) error
}

// runFlags lists the options in the order usage shows them. Names and
// forms are wasmtime run's.
var runFlags = []runFlag{
	{names: []string{"dir"}, arg: "HOST[::GUEST[::ro]]",
		help: "give the program the host directory HOST as GUEST (default: HOST as written); ::ro makes it read-only",
		set: func(o *runOptions, v string, _ runIO) error {
			d, err := parseDir(v)
			o.Dirs = append(o.Dirs, d)
			return err
		}},
	{names: []string{"env"}, arg: "NAME[=VAL]",
		help: "set an environment variable of the program; NAME alone passes the host's value, if set",
		set: func(o *runOptions, v string, io runIO) error {
			name, _, hasValue := strings.Cut(v, "=")
			if name == "" || strings.IndexByte(v, 0) >= 0 {
				return errors.New("want NAME=VALUE or NAME")
			}
			if !hasValue {
				val, ok := io.lookupEnv(name)
				if !ok {
					return nil // as wasmtime: an unset variable stays unset
				}
				v = name + "=" + val
			}
			o.Env = append(o.Env, v)
			return nil
		}},
	{names: []string{"invoke"}, arg: "NAME",
		help: "call the exported function NAME instead of _start, with ARGS as its parameters, and print its results",
		set: func(o *runOptions, v string, _ runIO) error {
			o.Invoke, o.HasInvoke = v, true
			return nil
		}},
	{names: []string{"preload"}, arg: "NAME=PATH",
		help: "instantiate the module at PATH first, under NAME, so that the program can import from it (repeatable)",
		set: func(o *runOptions, v string, _ runIO) error {
			name, file, ok := strings.Cut(v, "=")
			if !ok || name == "" || file == "" {
				return errors.New("want NAME=PATH")
			}
			for _, p := range o.Preloads {
				if p.Name == name {
					return fmt.Errorf("module name %q is preloaded twice", name)
				}
			}
			if name == wasi.ModuleName {
				return fmt.Errorf("module name %q is WASI's", name)
			}
			o.Preloads = append(o.Preloads, launch.Preload{Name: name, File: file})
			return nil
		}},
	{names: []string{"tcplisten"}, arg: "ADDR",
		help: "listen on the TCP address ADDR (HOST:PORT) and give the program the socket, before any directory (repeatable)",
		set: func(o *runOptions, v string, _ runIO) error {
			o.Listen = append(o.Listen, v)
			return nil
		}},
	{names: []string{"disk"}, arg: "IMAGE[,part=N][,format=F]",
		help: "mount the ext2/3/4 file system of a disk image (raw, qcow2, VMDK or fixed VHD, detected unless format= says; partition N) as the program's /, with --dir directories over it; the image is never written",
		set: func(o *runOptions, v string, _ runIO) error {
			if o.Disk != "" {
				return errors.New("only one disk image can be mounted")
			}
			o.Disk = v
			return nil
		}},
	{names: []string{"disk-overlay"}, arg: "DIR",
		help: "keep the program's changes to the --disk file system in the host directory DIR, for the next run (default: in memory, discarded)",
		set: func(o *runOptions, v string, _ runIO) error {
			o.DiskOverlay = v
			return nil
		}},
	{names: []string{"tier"}, arg: "compiled|interp",
		help: "run the code compiled to machine code or interpreted (default: compiled where the host offers it, see wasmvisor check)",
		set: func(o *runOptions, v string, _ runIO) error {
			return o.Tier.Set(v)
		}},
	{names: []string{"isolation"}, arg: "process|vm|auto",
		help: "run the program in this process, in a KVM micro-VM (compiled code in ring 3, its system calls as hypercalls), or in a micro-VM where KVM works (default: process)",
		set: func(o *runOptions, v string, _ runIO) error {
			return o.Isolation.Set(v)
		}},
	{names: []string{"stats"},
		help: "after the run, print on stderr how it ran: tier, isolation, load and run times and, in a micro-VM, its exits to the host by cause and the time in guest and host",
		set: func(o *runOptions, v string, _ runIO) (err error) {
			o.Stats, err = strconv.ParseBool(v)
			return err
		}},
	{names: []string{"cache-dir"}, arg: "DIR",
		help: "keep compiled machine code in DIR, and start from it when the same module runs again (default: wasmvisor in the user's cache directory)",
		set: func(o *runOptions, v string, _ runIO) error {
			o.CacheDir = v
			return nil
		}},
	{names: []string{"no-cache"},
		help: "compile the program's code without the compilation cache: neither use nor store compiled code",
		set: func(o *runOptions, v string, _ runIO) (err error) {
			o.NoCache, err = strconv.ParseBool(v)
			return err
		}},
	{names: []string{"W", "wasm"}, arg: "KEY=VAL[,...]",
		help: "set a limit or feature, as listed below (repeatable)",
		set: func(o *runOptions, v string, _ runIO) error {
			return o.Limits.Set(v)
		}},
}

// parseDir parses HOST[::GUEST[::ro]]; "::rw" is the default mode.
func parseDir(v string) (wasi.DirSpec, error) {
	readOnly := false
	if parts := strings.Split(v, "::"); len(parts) == 3 {
		switch parts[2] {
		case "ro":
			readOnly = true
		case "rw":
		default:
			return wasi.DirSpec{}, fmt.Errorf("mode %q: want ro or rw", parts[2])
		}
		v = parts[0] + "::" + parts[1]
	}
	d, err := wasi.ParseDirSpec(v)
	d.ReadOnly = readOnly
	return d, err
}

// errHelp is returned by parseRunArgs for -h and --help.
var errHelp = errors.New("help requested")

// parseRunArgs parses the command line of `wasmvisor run`: options, in
// any order, up to the first argument that is not one (or up to "--"),
// which is the module; the rest are the program's arguments, passed on
// untouched even if they look like options.
func parseRunArgs(args []string, io runIO) (*runOptions, error) {
	o := &runOptions{Program: launch.Program{Limits: *launch.NewLimits()}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			if i < len(args) {
				o.File, o.Args = args[i], args[i+1:]
			}
			break
		}
		if a == "-" || !strings.HasPrefix(a, "-") {
			o.File, o.Args = a, args[i+1:]
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if strings.HasPrefix(a, "-W") && len(a) > 2 {
			// -Wkey=value, as wasmtime accepts it.
			name, value, hasValue = "W", a[2:], true
		}
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		f := lookupRunFlag(name)
		if f == nil {
			return nil, fmt.Errorf("unknown option %s", a)
		}
		switch {
		case !hasValue && f.arg == "":
			value = "true"
		case !hasValue:
			if i+1 == len(args) {
				return nil, fmt.Errorf("option %s needs a value: %s", a, f.arg)
			}
			i++
			value = args[i]
		}
		if err := f.set(o, value, io); err != nil {
			return nil, fmt.Errorf("%s %s: %w", flagName(f.names[0]), value, err)
		}
	}
	switch {
	case o.File == "":
		return nil, errors.New("no module to run: want FILE.wasm")
	case o.DiskOverlay != "" && o.Disk == "":
		return nil, errors.New("--disk-overlay needs --disk")
	}
	return o, nil
}

func lookupRunFlag(name string) *runFlag {
	for i := range runFlags {
		for _, n := range runFlags[i].names {
			if n == name {
				return &runFlags[i]
			}
		}
	}
	return nil
}

// flagName is how usage writes an option: -W, --dir.
func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func runUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: wasmvisor run [OPTIONS] FILE.wasm [ARGS...]

Run a WebAssembly program. FILE is decoded and validated against the WebAssembly
2.0 spec and the runtime policy (-W) before anything runs, then linked to WASI
preview 1 and to the --preload modules, and its _start function is called (or
the function --invoke names). ARGS are the program's arguments. Options go
before FILE, in any order; "--" ends them.

Options:
`)
	for _, f := range runFlags {
		fmt.Fprintf(w, "  %s\n%s", strings.TrimSpace(flagName(f.names[0])+" "+f.arg), wrap(f.help, "        ", 80))
	}
	fmt.Fprintf(w, "  -h, --help\n%s", wrap("show this help", "        ", 80))
	fmt.Fprintf(w, `
-W keys (sizes take suffixes KiB, MiB, GiB; limits take "unlimited"):
%s
Exit status: the program's exit code (proc_exit, or 0 when _start returns);
%d when it traps (including -W timeout); %d when FILE cannot be loaded or linked,
or the program exits with a status of 126 or more, which WASI does not allow;
%d for a usage error.
`, launch.KeysHelp(), launch.ExitTrap, launch.ExitFailure, exitUsage)
}

// wrap breaks text into lines of at most width columns, each starting
// with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// runMain implements `wasmvisor run` and returns the exit status.
func runMain(args []string, io runIO) int {
	o, err := parseRunArgs(args, io)
	if err == nil && o.Isolation == wasmvisor.IsolationDefault {
		o.Isolation, err = isolationFromEnv(o.Tier)
	}
	switch {
	case errors.Is(err, errHelp):
		runUsage(io.stdout)
		return 0
	case err != nil:
		fmt.Fprintf(io.stderr, "wasmvisor run: %v\n", err)
		fmt.Fprintf(io.stderr, "Run 'wasmvisor run --help' for the options.\n")
		return exitUsage
	}
	return runProgram(o, io)
}

// isolationEnv names the environment variable that sets the isolation
// of run and wast when --isolation does not: so that test harnesses
// that start wasmvisor (Go's go_wasip1_wasm_exec, a test suite's runner)
// can run every program in a micro-VM without changing their command
// lines.
const isolationEnv = "WASMVISOR_ISOLATION"

// isolationFromEnv returns the isolation isolationEnv sets. A run that
// asks for the interpreter stays in the process: the micro-VM runs
// compiled code only, and an explicit tier outweighs a default.
func isolationFromEnv(tier wasmvisor.Tier) (wasmvisor.Isolation, error) {
	v := os.Getenv(isolationEnv)
	if v == "" || tier == wasmvisor.TierInterp {
		return wasmvisor.IsolationDefault, nil
	}
	i, err := wasmvisor.ParseIsolation(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", isolationEnv, err)
	}
	return i, nil
}
