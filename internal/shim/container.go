package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/fifo"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
)

// state is where a container is in its life, as containerd names it.
type state int

const (
	created state = iota
	running
	stopped
)

// container is one task: a program that runs once, and its streams.
type container struct {
	id, bundle            string
	stdin, stdout, stderr string // the FIFOs' paths, as containerd gave them
	rootfs                string
	mounted               bool // rootfs was mounted by the shim, which unmounts it
	sandbox               bool // a pod's sandbox: no program, runs until stopped
	prog                  *launch.Program
	module                *os.File // the .wasm, opened inside rootfs
	disk                  *os.File // the disk image, if one is "/"
	in                    io.ReadCloser
	out, errw             io.WriteCloser
	cancel                context.CancelCauseFunc
	ctx                   context.Context
	exited                chan struct{} // closed when the run has ended
	mu                    sync.Mutex
	state                 state
	status                int
	exitedAt              time.Time
}

// containerTypeAnnotation is how the CRI plugin tells a pod's sandbox
// ("sandbox") from its containers ("container").
const containerTypeAnnotation = "io.kubernetes.cri.container-type"

// killed is the cause of a container's context when a signal stops it.
type killed struct{ sig syscall.Signal }

func (k killed) Error() string { return "stopped by " + k.sig.String() }

// newContainer prepares the task of a CreateTaskRequest: it mounts the
// root file system where containerd has not, reads the spec, opens the
// module and the FIFOs. Nothing runs until start.
func newContainer(ctx context.Context, id, bundle string, rootfs []mount.Mount, stdin, stdout, stderr, cacheDir, address string) (_ *container, err error) {
	c := &container{id: id, bundle: bundle, stdin: stdin, stdout: stdout, stderr: stderr, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			c.release(ctx)
		}
	}()
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	c.rootfs = filepath.Join(bundle, "rootfs")
	if s.Root != nil && s.Root.Path != "" {
		c.rootfs = s.Root.Path
		if !filepath.IsAbs(c.rootfs) {
			c.rootfs = filepath.Join(bundle, c.rootfs)
		}
	}
	if len(rootfs) > 0 {
		// containerd hands the snapshot's mounts to the shim, which
		// mounts them, as runc's shim does.
		if err := os.MkdirAll(c.rootfs, 0o711); err != nil {
			return nil, err
		}
		if err := mount.All(rootfs, c.rootfs); err != nil {
			return nil, fmt.Errorf("mounting the root file system: %w", err)
		}
		c.mounted = true
	}
	c.ctx, c.cancel = context.WithCancelCause(context.WithoutCancel(ctx))
	if s.Annotations[containerTypeAnnotation] == "sandbox" {
		// The pod's sandbox, which the CRI plugin runs with the pod's
		// runtime: it holds the pod's namespaces while its containers
		// come and go, which a program in the shim's process has no use
		// for, so it is a task that runs until stopped, as pause does.
		c.sandbox = true
		return c, c.openIO(nil)
	}
	logger := log.G(ctx).WithField("id", id)
	p, module, disk, err := programFromSpec(&s, c.rootfs, func(why string) { logger.Debugf("left out: %s", why) })
	if err != nil {
		return nil, err
	}
	if disk != "" {
		if err := c.openDisk(p, disk, s.Root != nil && s.Root.Readonly); err != nil {
			return nil, err
		}
		logger.Infof("the program's / is the file system of %s in the image", disk)
	}
	if c.module, err = openModule(ctx, c.rootfs, module, bundle, id, address); err != nil {
		return nil, err
	}
	if err := refusePrecompiled(c.module); err != nil {
		return nil, err
	}
	p.File = fmt.Sprintf("/proc/self/fd/%d", c.module.Fd())
	p.CacheDir = cacheDir
	c.prog = p

	return c, c.openIO(p)
}

// openIO opens the container's FIFOs, the program's standard streams
// when p is not nil. They stay open for the container's life:
// containerd opened their other ends before asking, and reads to EOF
// after the exit.
func (c *container) openIO(p *launch.Program) (err error) {
	if c.stdin != "" {
		f, err := fifo.OpenFifo(c.ctx, c.stdin, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		c.in = f
	}
	if c.out, err = openOutput(c.ctx, c.stdout); err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	if c.errw, err = openOutput(c.ctx, c.stderr); err != nil {
		return fmt.Errorf("stderr: %w", err)
	}
	if p != nil {
		p.Stdout, p.Stderr = c.out, c.errw
		if c.in != nil {
			p.Stdin = c.in
		}
	}
	return nil
}

// diskOverlayDir is where, in the container's writable layer, the
// program's changes to a disk image's file system go.
const diskOverlayDir = ".wasmvisor-disk-overlay"

// openDisk sets p's disk to the image spec (IMAGE[,options]) names in
// the root file system, opened through the root as the module is; the
// program's changes go to the writable layer, or with a read-only root
// to memory.
func (c *container) openDisk(p *launch.Program, spec string, readOnly bool) error {
	image, options, _ := strings.Cut(spec, ",")
	root, err := os.OpenRoot(c.rootfs)
	if err != nil {
		return err
	}
	defer root.Close()
	c.disk, err = root.Open(strings.TrimPrefix(path.Clean("/"+image), "/"))
	if err != nil {
		return fmt.Errorf("the disk image %s: %w", image, err)
	}
	p.Disk = fmt.Sprintf("/proc/self/fd/%d", c.disk.Fd())
	if options != "" {
		p.Disk += "," + options
	}
	if !readOnly {
		if err := root.Mkdir(diskOverlayDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		// The image could hold a link by that name, which the overlay,
		// opened by path, would follow out of the root.
		if fi, err := root.Lstat(diskOverlayDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("%s in the image is not a directory", diskOverlayDir)
		}
		p.DiskOverlay = filepath.Join(c.rootfs, diskOverlayDir)
	}
	return nil
}

// refusePrecompiled refuses a precompiled module (`wasmvisor compile`'s
// output), which launch would load: its machine code is trusted as an
// executable's is, and an image's never is, least of all in a shim
// running as root.
func refusePrecompiled(f *os.File) error {
	var head [8]byte
	n, _ := f.ReadAt(head[:], 0)
	if wasmvisor.IsPrecompiled(head[:n]) {
		return errors.New("the module is precompiled (wasmvisor compile): an image must give its WebAssembly binary, whose code the shim compiles itself")
	}
	return nil
}

// openModule opens the container's module: the file module in rootfs,
// opened through the root so that a link in the image cannot point the
// shim at a file of the host (the run reads it by descriptor), or where
// rootfs has none, the Wasm layer of the container's image, which
// containerd at address keeps and which is copied into the bundle.
func openModule(ctx context.Context, rootfs, module, bundle, id, address string) (*os.File, error) {
	fileErr := fmt.Errorf("the process has no arguments, whose first would name the module")
	if module != "" {
		root, err := os.OpenRoot(rootfs)
		if err != nil {
			return nil, err
		}
		f, err := root.Open(strings.TrimPrefix(module, "/"))
		root.Close()
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
		fileErr = fmt.Errorf("the module %s (the process's first argument) in the image: %w", module, err)
	}
	if address == "" {
		return nil, fileErr
	}
	data, err := moduleFromImage(ctx, address, id)
	if errors.Is(err, errNoWasmLayer) {
		return nil, fileErr
	}
	if err != nil {
		return nil, fmt.Errorf("%w; reading the image's Wasm layer: %w", fileErr, err)
	}
	log.G(ctx).WithField("id", id).Infof("the module is the image's Wasm layer (%d bytes)", len(data))
	file := filepath.Join(bundle, "module.wasm")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		return nil, err
	}
	return os.Open(file)
}

// openOutput opens a FIFO containerd reads from, or a sink that drops
// everything when there is none.
func openOutput(ctx context.Context, path string) (io.WriteCloser, error) {
	if path == "" {
		return nopWriteCloser{io.Discard}, nil
	}
	return fifo.OpenFifo(ctx, path, syscall.O_WRONLY, 0)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// start runs the program in the background: started publishes its
// start before it runs, exited its exit once it has ended.
func (c *container) start(ctx context.Context, started func(), exited func(*container)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != created {
		return fmt.Errorf("container %s was started or stopped already", c.id)
	}
	c.state = running
	started()
	go c.run(log.G(ctx).WithField("id", c.id), exited)
	return nil
}

func (c *container) run(logger *log.Entry, exited func(*container)) {
	var k killed
	if c.sandbox {
		<-c.ctx.Done()
		errors.As(context.Cause(c.ctx), &k)
		status := 128 + int(k.sig)
		if k.sig == syscall.SIGTERM || k.sig == syscall.SIGINT {
			status = 0 // pause's status when asked to stop
		}
		c.finish(status, exited)
		return
	}
	logger.Infof("running %s with isolation %s", c.prog.Name, c.prog.Isolation)
	res := launch.Run(c.ctx, c.prog)
	status := res.Status
	if errors.As(context.Cause(c.ctx), &k) {
		status = 128 + int(k.sig)
	} else if res.Err != nil {
		// What `wasmvisor run` prints, where the container's log shows it.
		fmt.Fprintf(c.errw, "Error: %v\n", res.Err)
	}
	st := res.Stats
	logger.WithField("status", status).Infof("%s ended: isolation %s, tier %s, load %v (cache: %d hits, %d misses), run %v",
		c.prog.Name, st.Isolation, st.Tier, st.Load.Round(time.Microsecond), st.Cache.Hits, st.Cache.Misses, st.Run.Round(time.Microsecond))
	if res.Err != nil {
		logger.WithError(res.Err).Info("the run ended with an error")
	}
	c.finish(status, exited)
}

// finish marks the container stopped with status, closes its streams
// so that containerd's readers see their end, publishes the exit and
// only then lets Wait return: containerd deletes a task once Wait
// returns, and its exit event must come before the delete's.
func (c *container) finish(status int, exited func(*container)) {
	c.mu.Lock()
	c.state, c.status, c.exitedAt = stopped, status, time.Now()
	c.mu.Unlock()
	c.closeIO()
	exited(c)
	close(c.exited)
}

func (c *container) closeIO() {
	for _, cl := range []io.Closer{c.in, c.out, c.errw, c.module, c.disk} {
		if cl != nil && !isNilFile(cl) {
			cl.Close()
		}
	}
}

func isNilFile(cl io.Closer) bool {
	f, ok := cl.(*os.File)
	return ok && f == nil
}

// kill delivers sig. A signal that ends a process stops the program: a
// running one at its next check (even in a loop without calls), a
// created one at once, whose exit exited publishes. Signals a process
// ignores by default are ignored, and 0 only checks that it has not
// ended.
func (c *container) kill(sig syscall.Signal, exited func(*container)) error {
	c.mu.Lock()
	st := c.state
	if st == created && !ignored(sig) {
		// It runs no program, but ends as one would: start now fails.
		c.state = running
	}
	c.mu.Unlock()
	switch {
	case st == stopped:
		return errProcessFinished
	case ignored(sig):
		return nil
	}
	c.cancel(killed{sig})
	if st == created {
		c.finish(128+int(sig), exited)
	}
	return nil
}

// ignored reports whether a process ignores sig unless it handles it.
func ignored(sig syscall.Signal) bool {
	switch sig {
	case 0, syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGWINCH:
		return true
	}
	return false
}

var errProcessFinished = errors.New("process already finished")

// snapshot returns the container's state under its lock.
func (c *container) snapshot() (st state, status int, exitedAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state, c.status, c.exitedAt
}

// release undoes what newContainer did: the streams, the context and
// the root file system's mount.
func (c *container) release(ctx context.Context) {
	if c.cancel != nil {
		c.cancel(context.Canceled)
	}
	select {
	case <-c.exited:
	default:
		c.closeIO()
	}
	if c.mounted {
		if err := mount.UnmountRecursive(c.rootfs, 0); err != nil {
			log.G(ctx).WithError(err).WithField("id", c.id).Warn("unmounting the root file system")
		}
		c.mounted = false
	}
}
