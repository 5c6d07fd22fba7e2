package wasihost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/handle"
	"github.com/wasmvisor/wasmvisor/internal/hostext"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Options adjust how programs get their kernels.
type Options struct {
	// Preopens, if not nil, gives each module its pre-opened
	// descriptors, in order, instead of the Listeners and Dirs of its
	// ModuleConfig. The kernel duplicates listeners and does not close
	// the namespaces: what Preopens returns stays the caller's.
	Preopens func(mod api.Module) ([]wasi.Preopen, error)

	// Trace, if not nil, receives a line per call: the function, its
	// raw parameters, the errno and any error that ends the guest.
	Trace io.Writer
}

// stateKey is the key kernels are kept under in their modules.
type stateKey struct{}

func (stateKey) String() string { return wasi.ModuleName }

// Instantiate registers wasi_snapshot_preview1 in r. It fails if r
// already has a module of that name.
func Instantiate(ctx context.Context, r *wasmvisor.Runtime, opts Options) (api.Module, error) {
	b := r.NewHostModuleBuilder(wasi.ModuleName).
		WithInstanceState(stateKey{}, func(ctx context.Context, mod api.Module) (io.Closer, error) {
			return newProgram(mod, opts)
		})
	for i := range wasi.Functions {
		f := &wasi.Functions[i]
		fb := b.NewFunctionBuilder().
			WithGoModuleFunction(hostFunc(f, opts.Trace), apiTypes(f.Type.Params), apiTypes(f.Type.Results)).
			WithName(f.Name)
		if kind := guestKinds[f.Name]; kind != store.GuestNone && opts.Trace == nil {
			// A micro-VM serves these in the guest, without an exit:
			// Go programs read clocks thousands of times, and every
			// program starts with its arguments and environment. (A
			// trace wants every call, so it gets them.)
			hostext.WithGuest(fb, store.Guest{Kind: kind, Server: guestServer})
		}
		fb.Export(f.Name)
	}
	return b.Instantiate(ctx)
}

// guestKinds are the WASI functions a guest may serve (store.Guest).
var guestKinds = map[string]store.GuestKind{
	"clock_time_get":      store.GuestClockTimeGet,
	"args_sizes_get":      store.GuestArgsSizesGet,
	"args_get":            store.GuestArgsGet,
	"environ_sizes_get":   store.GuestEnvironSizesGet,
	"environ_get":         store.GuestEnvironGet,
	"random_get":          store.GuestRandomGet,
	"fd_write":            store.GuestFdWrite,
	"fd_fdstat_get":       store.GuestFdFdstatGet,
	"fd_prestat_get":      store.GuestFdPrestatGet,
	"fd_prestat_dir_name": store.GuestFdPrestatDirName,
	"fd_fdstat_set_flags": store.GuestFdFdstatSetFlags,
	"fd_close":            store.GuestFdClose,
	"fd_readdir":          store.GuestFdReaddir,
}

// guestServer returns the caller's kernel, which serves what a guest
// serves of WASI.
func guestServer(mod api.Module) store.GuestServer {
	p, _ := wasmvisor.InstanceState(mod, stateKey{}).(*program)
	if p == nil {
		return nil
	}
	return guestKernel{p.k}
}

// guestKernel is a kernel as a store.GuestServer, whose errnos are
// plain numbers.
type guestKernel struct{ *wasi.Kernel }

func (k guestKernel) Fdstat(fd uint32) ([24]byte, uint16) {
	stat, errno := k.Kernel.Fdstat(fd)
	return stat, uint16(errno)
}

func (k guestKernel) Prestat(fd uint32) (string, uint16) {
	name, errno := k.Kernel.Prestat(fd)
	return name, uint16(errno)
}

func (k guestKernel) SetFdflags(fd uint32, flags uint64) uint16 {
	return uint16(k.Kernel.SetFdflags(fd, flags))
}

// hostFunc adapts one kernel function to the engine's calling
// convention: it finds the caller's kernel and memory, and turns what
// ends the guest into the errors the engine expects.
func hostFunc(f *wasi.Function, trace io.Writer) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) error {
		p, _ := wasmvisor.InstanceState(mod, stateKey{}).(*program)
		if p == nil {
			return fmt.Errorf("%s.%s called from module %q, which has no WASI environment (it does not import %s)",
				wasi.ModuleName, f.Name, mod.Name(), wasi.ModuleName)
		}
		var mem []byte
		if m := mod.Memory(); m != nil {
			mem = m.Bytes()
		}
		var params []uint64
		if trace != nil {
			params = append(params, stack[:len(f.Type.Params)]...)
		}
		err := f.Call(ctx, p.k, mem, stack)
		if trace != nil {
			errno := "-"
			if len(f.Type.Results) > 0 && err == nil {
				errno = wasi.Errno(stack[0]).String()
			}
			fmt.Fprintf(trace, "%s%v = %s %v\n", f.Name, params, errno, err)
		}
		if err == nil {
			return nil
		}
		if exit, ok := errors.AsType[*wasi.ExitError](err); ok {
			return &api.ExitError{Code: exit.Code}
		}
		// A blocking call that the context ended stops the guest the way
		// the engine stops a running one.
		switch cerr := ctx.Err(); {
		case errors.Is(cerr, context.DeadlineExceeded):
			return &api.Trap{Kind: api.TrapTimeout, Detail: "the call's deadline passed during " + f.Name, Err: err}
		case cerr != nil:
			return &api.Trap{Kind: api.TrapInterrupted, Detail: "the call's context was canceled during " + f.Name, Err: err}
		}
		return err
	}
}

// program is the WASI state of one module: its kernel, and the host
// directories its kernel was given.
type program struct {
	k         *wasi.Kernel
	closeDirs func() error
}

func (p *program) Close() error {
	return errors.Join(p.k.Close(), p.closeDirs())
}

// newProgram builds the kernel for mod from its ModuleConfig, or from
// opts.Preopens.
func newProgram(mod api.Module, opts Options) (*program, error) {
	cfg, _ := wasmvisor.ModuleConfigOf(mod)
	closeDirs := func() error { return nil }
	var preopens []wasi.Preopen
	var err error
	if opts.Preopens != nil {
		preopens, err = opts.Preopens(mod)
	} else {
		var disk *diskfs.FS
		if cfg.DiskImage != nil {
			if disk = handle.DiskFS(cfg.DiskImage); disk == nil {
				return nil, errors.New("disk image is closed")
			}
		}
		specs := make([]wasi.DirSpec, len(cfg.Dirs))
		for i, d := range cfg.Dirs {
			specs[i] = wasi.DirSpec{Host: d.Host, Guest: d.Guest, ReadOnly: d.ReadOnly}
			if specs[i].Guest == "" {
				specs[i].Guest = d.Host
			}
		}
		preopens, closeDirs, err = Preopens(cfg.Listeners, disk, specs)
	}
	if err != nil {
		return nil, err
	}
	k, err := wasi.New(wasi.Config{
		Args:     cfg.Args,
		Env:      cfg.Env,
		Stdin:    cfg.Stdin,
		Stdout:   cfg.Stdout,
		Stderr:   cfg.Stderr,
		Preopens: preopens,
		Random:   cfg.Random,
	})
	if err != nil {
		closeDirs()
		return nil, err
	}
	return &program{k: k, closeDirs: closeDirs}, nil
}

// Preopens returns what a program finds pre-opened, in the order
// `wasmtime run --tcplisten … --dir …` gives descriptors: the
// listeners, then the disk image (if not nil) as "/", then the host
// directories, those at absolute guest paths mounted over the disk.
// Each listener must have a host descriptor; the kernel works on a
// duplicate. The listeners and the disk stay the caller's; closeDirs
// closes the directories.
func Preopens(listeners []net.Listener, disk *diskfs.FS, dirs []wasi.DirSpec) (preopens []wasi.Preopen, closeDirs func() error, err error) {
	for i, l := range listeners {
		fl, ok := l.(interface{ File() (*os.File, error) })
		if !ok {
			return nil, nil, fmt.Errorf("listener %d (%T): no host descriptor to pre-open", i, l)
		}
		preopens = append(preopens, wasi.Preopen{Listener: fl})
	}
	// Absolute directories join the disk's namespace, as "/data" joins
	// a directory mounted at "/".
	var ns *fs.Namespace
	if disk != nil {
		ns = fs.NewNamespace()
		if err := ns.Mount("/", disk); err != nil {
			return nil, nil, err
		}
		preopens = append(preopens, wasi.Preopen{Name: "/", NS: ns, Path: "/"})
	}
	mounted, closeDirs, err := wasi.MountDirs(ns, dirs)
	if err != nil {
		return nil, nil, err
	}
	return append(preopens, mounted...), closeDirs, nil
}

func apiTypes(ts []wasm.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}
