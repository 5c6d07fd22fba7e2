package launch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasihost"
)

// Program describes one run: a module, what it is linked to, what it
// can reach, and the limits it runs under.
type Program struct {
	// File is the module to run: a WebAssembly binary, or a
	// precompiled module (`wasmvisor compile`'s .cwasm).
	File string
	// Name is the program's name, its argv[0] and the name its
	// instance gets; "" means File. A container shim sets it to the
	// path the image gives, where File is how the shim reached it.
	Name string
	// Args are the program's arguments after its name. When
	// Invoke is set, the leading ones are also the function's
	// parameters, in text (see Invoke).
	Args []string
	// Env are the program's environment variables, "NAME=value".
	Env []string
	// Stdin, Stdout and Stderr are the program's standard streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Preloads are modules instantiated first, in order, under their
	// names, for the program (and later preloads) to import from.
	Preloads []Preload
	// Listen are TCP addresses (HOST:PORT) to listen on; the program
	// finds the sockets pre-opened before anything else.
	Listen []string
	// Disk, if not empty, is a disk image (IMAGE[,part=N][,format=F])
	// whose file system is the program's "/", after the sockets.
	Disk string
	// DiskOverlay, if not empty, is the host directory that keeps the
	// program's changes to Disk across runs; in memory otherwise.
	DiskOverlay string
	// Dirs are host directories pre-opened after the disk; those at
	// absolute guest paths are mounted over it.
	Dirs []wasi.DirSpec

	// Invoke, when HasInvoke, names the exported function to call
	// instead of the command's entry point ("" or _start). Its
	// parameters are parsed from the leading Args: integers in decimal
	// or 0x-prefixed hexadecimal, floats as strconv reads them.
	Invoke    string
	HasInvoke bool

	// Limits are the policy modules are compiled under and the limits
	// of the run.
	Limits Limits
	// Tier is how code runs.
	Tier wasmvisor.Tier
	// CacheDir is where compiled code is kept ("" means the user's
	// cache directory); NoCache compiles without the cache.
	CacheDir string
	NoCache  bool
	// Isolation is how the program is separated from the host.
	Isolation wasmvisor.Isolation
}

// Preload is a module instantiated before the program under Name.
type Preload struct {
	Name, File string
}

// Exit statuses of a run other than the program's own, as wasmtime
// gives them.
const (
	// ExitFailure: a module could not be loaded, linked or started, or
	// the program exited with a status WASI does not allow.
	ExitFailure = 1
	// ExitTrap is wasmtime's status for a trap on Unix: 128 + SIGABRT,
	// what a shell reports for an aborted process.
	ExitTrap = 134
)

// ErrCache wraps the reason a run could not open its compilation cache.
var ErrCache = errors.New("compilation cache")

// Result is how a run ended.
type Result struct {
	// Status is the exit status: the program's exit code (0 when its
	// entry point returns), ExitTrap or ExitFailure.
	Status int
	// Err says why the run did not end with the program's own exit
	// code: an *api.Trap (Status ExitTrap) or a failure. It is nil when
	// the program ran to its end or exited.
	Err error
	// File is the module Err is about, "" when it concerns none.
	File string
	// Results are what the invoked function returned, of ResultTypes,
	// in the API's encoding.
	Results     []uint64
	ResultTypes []api.ValueType
	Stats       Stats
}

// Stats are what a run cost.
type Stats struct {
	// Tier is the tier the code ran on.
	Tier wasmvisor.Tier
	// Load is the time spent reading and compiling modules (or loading
	// them from the cache); Run the time from the first instantiation
	// to the end.
	Load, Run time.Duration
	// Instances counts the modules instantiated, preloads included.
	Instances int
	// Cache is what the compilation cache did during the run (zero
	// without a cache).
	Cache wasmvisor.CacheStats
	// Isolation is how the program was separated from the host, and VM
	// what its micro-VMs cost (zero in-process).
	Isolation wasmvisor.Isolation
	VM        wasmvisor.VMCounts
}

// Run runs p and returns how it ended. It never panics on a bad
// program; everything that goes wrong is in the Result.
func Run(ctx context.Context, p *Program) (res Result) {
	fail := func(file string, err error) Result {
		res.Status, res.File, res.Err = ExitFailure, file, err
		return res
	}
	if err := p.Isolation.Available(); err != nil {
		return fail("", err)
	}
	cache, err := p.compilationCache()
	if err != nil {
		return fail("", fmt.Errorf("%w: %w", ErrCache, err))
	}
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{
		Policy:           &p.Limits.Policy,
		MaxStackBytes:    int(min(p.Limits.MaxWasmStack, math.MaxInt)),
		Tier:             p.Tier,
		Isolation:        p.Isolation,
		CompilationCache: cache,
	})
	defer rt.Close(ctx)
	ctx, counted := res.observe(ctx, rt)
	defer counted()
	if cache != nil {
		before := cache.Stats()
		defer func() {
			after := cache.Stats()
			res.Stats.Cache = wasmvisor.CacheStats{Hits: after.Hits - before.Hits, Misses: after.Misses - before.Misses,
				Damaged: after.Damaged - before.Damaged, Stores: after.Stores - before.Stores}
		}()
	}

	start := time.Now()
	preloads, program, err := p.load(ctx, rt)
	res.Stats.Load = time.Since(start)
	if err != nil {
		return fail("", err)
	}
	preopens, closeWorld, err := p.openWorld()
	if err != nil {
		return fail("", err)
	}
	defer closeWorld()
	// Every module gets its own kernel, on the same sockets and files.
	_, err = wasihost.Instantiate(ctx, rt, wasihost.Options{
		Preopens: func(api.Module) ([]wasi.Preopen, error) { return preopens, nil },
	})
	if err != nil {
		return fail("", err)
	}

	start = time.Now()
	defer func() { res.Stats.Run = time.Since(start) }()
	if p.Limits.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Limits.Timeout)
		defer cancel()
	}
	cfg := p.config()
	for _, pre := range p.Preloads {
		cfg.Name = pre.Name
		res.Stats.Instances++
		if _, err := rt.InstantiateModule(ctx, preloads[pre.Name], cfg); err != nil {
			return res.Ended(pre.File, err)
		}
	}
	return p.runMain(ctx, rt, program, p.instanceName(), cfg, res)
}

// observe records in res the tier and isolation of rt and, in a
// micro-VM, counts the exits of calls made with the returned context;
// counted stores the counts in res when the run is over.
func (res *Result) observe(ctx context.Context, rt *wasmvisor.Runtime) (_ context.Context, counted func()) {
	res.Stats.Tier = rt.Tier()
	res.Stats.Isolation = rt.Isolation()
	if res.Stats.Isolation != wasmvisor.IsolationVM {
		return ctx, func() {}
	}
	vs := new(wasmvisor.VMStats)
	return wasmvisor.WithVMStats(ctx, vs), func() { res.Stats.VM = vs.Counts() }
}

// config returns the configuration of p's instances: its arguments,
// environment and standard streams.
func (p *Program) config() wasmvisor.ModuleConfig {
	return wasmvisor.ModuleConfig{
		Args:   append([]string{p.name()}, p.Args...),
		Env:    p.Env,
		Stdin:  p.Stdin,
		Stdout: p.Stdout,
		Stderr: p.Stderr,
		// A reactor (a library module) exports _initialize to be called
		// once before anything else; a command has no such export.
		StartFunctions: []string{"_initialize"},
	}
}

// runMain instantiates program in rt as p's main module, under name,
// and calls its entry point: the part of a run that Run and Host.Run
// share. The instance is closed before it returns, so that a runtime
// that outlives the run (a Host's) keeps nothing of it.
func (p *Program) runMain(ctx context.Context, rt *wasmvisor.Runtime, program *wasmvisor.CompiledModule, name string, cfg wasmvisor.ModuleConfig, res Result) Result {
	cfg.Name = name
	res.Stats.Instances++
	mod, err := rt.InstantiateModule(ctx, program, cfg)
	if err != nil {
		return res.Ended(p.File, err)
	}
	defer mod.Close(ctx)
	entry, f := p.entry(mod)
	if f == nil {
		if p.HasInvoke {
			res.Status, res.Err = ExitFailure, fmt.Errorf("%s: no exported function %q; it exports %s", p.File, entry, exportList(mod))
			return res
		}
		return res // nothing to run but the start functions
	}
	def := f.Definition()
	params, err := parseParams(def.ParamTypes, p.Args)
	if err != nil {
		res.Status, res.Err = ExitFailure, fmt.Errorf("invoking %q of %s: %w", entry, p.File, err)
		return res
	}
	results, err := f.Call(ctx, params...)
	if err != nil {
		return res.Ended(p.File, err)
	}
	res.Results, res.ResultTypes = results, def.ResultTypes
	return res
}

// Ended returns res as a run ends whose module file returned err
// (from instantiation or its entry point): with the program's exit
// code, ExitTrap for a trap, or ExitFailure, in wasmtime's terms.
func (res Result) Ended(file string, err error) Result {
	res.File = file
	if exit, ok := errors.AsType[*api.ExitError](err); ok {
		// WASI reserves statuses from 126 on, which shells give their
		// own meanings, and wasmtime refuses them.
		if exit.Code < 126 {
			res.Status = int(exit.Code)
			return res
		}
		res.Status, res.Err = ExitFailure, fmt.Errorf("%s: exit with invalid exit status %d outside of [0..126)", file, exit.Code)
		return res
	}
	if _, ok := errors.AsType[*api.Trap](err); ok {
		res.Status, res.Err = ExitTrap, err
		return res
	}
	res.Status, res.Err = ExitFailure, fmt.Errorf("%s: %w", file, err)
	return res
}

// load compiles the preloaded modules and the program and checks their
// imports, before any of them runs: a module the policy refuses never
// starts, and neither do the modules it was to be linked with.
func (p *Program) load(ctx context.Context, rt *wasmvisor.Runtime) (preloads map[string]*wasmvisor.CompiledModule, program *wasmvisor.CompiledModule, err error) {
	if n, ok := p.Limits.MaxInstances.Value(); ok && uint64(len(p.Preloads)+1) > n {
		if len(p.Preloads) == 0 {
			return nil, nil, fmt.Errorf("%s needs 1 instance, more than -W max-instances=%d", p.File, n)
		}
		return nil, nil, fmt.Errorf("%s and its %d --preload modules need %d instances, more than -W max-instances=%d",
			p.File, len(p.Preloads), len(p.Preloads)+1, n)
	}
	preloads = map[string]*wasmvisor.CompiledModule{}
	for _, pre := range p.Preloads {
		c, err := compileFile(ctx, rt, pre.File, &p.Limits.Policy)
		if err == nil {
			err = checkImports(pre.File, c, preloads)
		}
		if err != nil {
			return nil, nil, err
		}
		preloads[pre.Name] = c
	}
	program, err = compileFile(ctx, rt, p.File, &p.Limits.Policy)
	if err == nil {
		err = checkImports(p.File, program, preloads)
	}
	if err != nil {
		return nil, nil, err
	}
	return preloads, program, nil
}

// entry returns the function to call in mod and its name: the one
// Invoke names, or as in wasmtime the one exported as "" or else
// _start. f is nil if mod has no such export.
func (p *Program) entry(mod api.Module) (name string, f api.Function) {
	if p.HasInvoke {
		return p.Invoke, mod.ExportedFunction(p.Invoke)
	}
	for _, name := range []string{"", "_start"} {
		if f := mod.ExportedFunction(name); f != nil {
			return name, f
		}
	}
	return "", nil
}

// name is the program's argv[0]: Name, or else File.
func (p *Program) name() string {
	if p.Name != "" {
		return p.Name
	}
	return p.File
}

// instanceName is the name the main module is instantiated under, which
// its backtraces show: the file's base name, unless a preloaded module
// or WASI has it.
func (p *Program) instanceName() string {
	name := strings.TrimSuffix(filepath.Base(p.name()), ".wasm")
	if name == wasi.ModuleName || slices.ContainsFunc(p.Preloads, func(pre Preload) bool { return pre.Name == name }) {
		return ""
	}
	return name
}

// compilationCache opens the cache the program asks for: nil with
// NoCache and for tiers that keep no machine code.
func (p *Program) compilationCache() (*wasmvisor.CompilationCache, error) {
	tier := p.Tier
	if tier == wasmvisor.TierDefault {
		tier = wasmvisor.DefaultTier()
	}
	if p.NoCache || tier != wasmvisor.TierCompiled {
		return nil, nil
	}
	return wasmvisor.NewCompilationCache(p.CacheDir)
}

// openWorld opens what the program finds pre-opened: the sockets first,
// then the disk image's file system as "/", then the directories, which
// share one namespace with the disk. closeAll releases them after the
// run.
func (p *Program) openWorld() (preopens []wasi.Preopen, closeAll func(), err error) {
	var closers []func() error
	release := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			release()
		}
	}()
	var listeners []net.Listener
	for _, addr := range p.Listen {
		l, lerr := net.Listen("tcp", addr)
		if lerr != nil {
			return nil, nil, fmt.Errorf("--tcplisten %s: %w", addr, lerr)
		}
		closers = append(closers, l.Close)
		listeners = append(listeners, l)
	}
	var disk *diskfs.FS
	if p.Disk != "" {
		d, derr := diskfs.Open(p.Disk, diskfs.Options{OverlayDir: p.DiskOverlay})
		if derr != nil {
			return nil, nil, fmt.Errorf("--disk: %w", derr)
		}
		closers = append(closers, d.Close)
		disk = d
	}
	preopens, closeDirs, err := wasihost.Preopens(listeners, disk, p.Dirs)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, closeDirs)
	return preopens, release, nil
}

// exportList names a module's exported functions, for an error message.
func exportList(mod api.Module) string {
	names := slices.Sorted(maps.Keys(mod.ExportedFunctionDefinitions()))
	if len(names) == 0 {
		return "no functions"
	}
	for i, n := range names {
		names[i] = strconv.Quote(n)
	}
	return strings.Join(names, ", ")
}
