package launch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/wasihost"
)

// Host is a runtime linked to WASI that keeps compiled modules and runs
// each of them many times, every run in an instance of its own: what a
// daemon keeps for one policy. Run prepares everything for one run and
// throws it away; a Host pays for decoding, validation and machine code
// once per module, so that a run costs an instantiation and a call.
//
// A Host is safe for concurrent use; runs do not share memory, WASI
// descriptors or standard streams.
type Host struct {
	rt     *wasmvisor.Runtime
	limits Limits
}

// HostConfig configures NewHost.
type HostConfig struct {
	// Limits are the policy modules are compiled under and the limits
	// of every run (its timeout, its stack).
	Limits Limits
	// Tier and Isolation are how code runs, as in Program.
	Tier      wasmvisor.Tier
	Isolation wasmvisor.Isolation
	// Cache, if not nil, keeps the machine code that Compile makes, for
	// other Hosts and processes sharing it.
	Cache *wasmvisor.CompilationCache
}

// NewHost returns a Host, or why the host cannot run code as cfg asks.
func NewHost(ctx context.Context, cfg HostConfig) (*Host, error) {
	if err := cfg.Isolation.Available(); err != nil {
		return nil, err
	}
	if err := cfg.Tier.Available(); err != nil {
		return nil, err
	}
	h := &Host{limits: cfg.Limits}
	h.rt = wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{
		Policy:           &h.limits.Policy,
		MaxStackBytes:    int(min(cfg.Limits.MaxWasmStack, math.MaxInt)),
		Tier:             cfg.Tier,
		Isolation:        cfg.Isolation,
		CompilationCache: cfg.Cache,
	})
	// One WASI host module serves every run: each instance gets a
	// kernel of its own from its ModuleConfig.
	if _, err := wasihost.Instantiate(ctx, h.rt, wasihost.Options{}); err != nil {
		h.rt.Close(ctx)
		return nil, err
	}
	return h, nil
}

// Tier and Isolation return how the Host's code runs: never the
// defaults, but what they stand for on this host.
func (h *Host) Tier() wasmvisor.Tier           { return h.rt.Tier() }
func (h *Host) Isolation() wasmvisor.Isolation { return h.rt.Isolation() }

// Compile decodes bin, validates it under the Host's policy, prepares
// its code (through the cache, if any) and checks that it imports
// nothing but WASI, which is all a Host links. name is what errors call
// the module. A precompiled module is refused: its machine code is
// trusted as an executable would be, which a binary from a Host's users
// never is.
//
// A module that exports wasmvisor.InitializerExport is pre-initialized
// (wasmvisor.Runtime.PreInitialize), its initializer bounded by the
// Host's timeout, so that every run starts from its snapshot; an
// initializer that fails is a *wasmvisor.InitError.
func (h *Host) Compile(ctx context.Context, name string, bin []byte) (*wasmvisor.CompiledModule, error) {
	c, err := h.compile(ctx, name, bin)
	if err != nil || !exportsInitializer(c) {
		return c, err
	}
	if h.limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.limits.Timeout)
		defer cancel()
	}
	// pre shares c's code; c itself is no longer needed.
	pre, err := h.rt.PreInitialize(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pre, nil
}

func exportsInitializer(c *wasmvisor.CompiledModule) bool {
	_, ok := c.ExportedFunctions()[wasmvisor.InitializerExport]
	return ok
}

// compile is Compile without the pre-initialization.
func (h *Host) compile(ctx context.Context, name string, bin []byte) (*wasmvisor.CompiledModule, error) {
	if wasmvisor.IsPrecompiled(bin) {
		return nil, fmt.Errorf("%s: a precompiled module cannot be run here; give its WebAssembly binary", name)
	}
	c, err := h.rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := checkImports(name, c, nil); err != nil {
		c.Close(ctx)
		return nil, err
	}
	return c, nil
}

// errHostWorld is a Program asking a Host for what only Run opens.
var errHostWorld = errors.New("a Host runs programs without preloads, sockets or host directories")

// Run runs c, which Compile made, as p describes: its arguments,
// environment, standard streams, disk image (opened for this run) and
// entry point. p.File is the program's name (its argv[0]), not read.
// The run's timeout is the Host's -W timeout or p.Limits.Timeout,
// whichever is shorter; p's other limits are the Host's. Preloads,
// Listen and Dirs are refused. Like Run, it never panics on a bad
// program; everything that goes wrong is in the Result.
func (h *Host) Run(ctx context.Context, c *wasmvisor.CompiledModule, p *Program) (res Result) {
	if len(p.Preloads) > 0 || len(p.Listen) > 0 || len(p.Dirs) > 0 {
		res.Status, res.Err = ExitFailure, errHostWorld
		return res
	}
	if n, ok := h.limits.MaxInstances.Value(); ok && n < 1 {
		res.Status, res.Err = ExitFailure, fmt.Errorf("%s needs 1 instance, more than -W max-instances=%d", p.File, n)
		return res
	}
	ctx, counted := res.observe(ctx, h.rt)
	defer counted()
	cfg := p.config()
	if p.Disk != "" {
		disk, err := wasmvisor.OpenDiskImage(p.Disk, wasmvisor.DiskImageConfig{OverlayDir: p.DiskOverlay})
		if err != nil {
			res.Status, res.Err = ExitFailure, fmt.Errorf("disk: %w", err)
			return res
		}
		defer disk.Close()
		cfg.DiskImage = disk
	}
	timeout := h.limits.Timeout
	if t := p.Limits.Timeout; t > 0 && (timeout == 0 || t < timeout) {
		timeout = t
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	start := time.Now()
	defer func() { res.Stats.Run = time.Since(start) }()
	return p.runMain(ctx, h.rt, c, "", cfg, res)
}

// Close closes the Host's runtime and every module compiled in it;
// runs still going fail.
func (h *Host) Close(ctx context.Context) error { return h.rt.Close(ctx) }
