package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	vfs "github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasihost"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// runProgram loads, links and runs the program o describes, and returns
// the exit status.
func runProgram(o *runOptions, std runIO) int {
	ctx := context.Background()
	fail := func(err error) int {
		fmt.Fprintf(std.stderr, "Error: %v\n", err)
		return exitFailure
	}
	cache, err := o.compilationCache()
	if err != nil {
		return fail(fmt.Errorf("%w (--no-cache runs without it)", err))
	}
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{
		Policy:           &o.w.Policy,
		MaxStackBytes:    int(min(o.w.MaxWasmStack, math.MaxInt)),
		Tier:             o.tier,
		CompilationCache: cache,
	})
	defer rt.Close(ctx)

	preloads, program, err := o.load(ctx, rt)
	if err != nil {
		return fail(err)
	}
	preopens, closeWorld, err := openWorld(o)
	if err != nil {
		return fail(err)
	}
	defer closeWorld()
	// Every module gets its own kernel, on the same sockets and files.
	_, err = wasihost.Instantiate(ctx, rt, wasihost.Options{
		Preopens: func(api.Module) ([]wasi.Preopen, error) { return preopens, nil },
	})
	if err != nil {
		return fail(err)
	}

	if o.w.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.w.Timeout)
		defer cancel()
	}
	cfg := wasmvisor.ModuleConfig{
		Args:   append([]string{o.file}, o.args...),
		Env:    o.env,
		Stdin:  std.stdin,
		Stdout: std.stdout,
		Stderr: std.stderr,
		// A reactor (a library module) exports _initialize to be called
		// once before anything else; a command has no such export.
		StartFunctions: []string{"_initialize"},
	}
	for _, p := range o.preloads {
		cfg.Name = p.name
		if _, err := rt.InstantiateModule(ctx, preloads[p.name], cfg); err != nil {
			return o.report(std.stderr, p.file, err)
		}
	}
	cfg.Name = o.instanceName()
	mod, err := rt.InstantiateModule(ctx, program, cfg)
	if err != nil {
		return o.report(std.stderr, o.file, err)
	}

	name, f := o.entry(mod)
	if f == nil {
		if o.hasInvoke {
			return fail(fmt.Errorf("%s: no exported function %q; it exports %s", o.file, name, exportList(mod)))
		}
		return 0 // nothing to run but the start functions
	}
	def := f.Definition()
	params, err := parseParams(def.ParamTypes, o.args)
	if err != nil {
		return fail(fmt.Errorf("invoking %q of %s: %w", name, o.file, err))
	}
	results, err := f.Call(ctx, params...)
	if err != nil {
		return o.report(std.stderr, o.file, err)
	}
	for _, line := range formatResults(def.ResultTypes, results) {
		fmt.Fprintln(std.stdout, line)
	}
	return 0
}

// load compiles the preloaded modules and the program and checks their
// imports, before any of them runs: a module the policy refuses never
// starts, and neither do the modules it was to be linked with.
func (o *runOptions) load(ctx context.Context, rt *wasmvisor.Runtime) (preloads map[string]*wasmvisor.CompiledModule, program *wasmvisor.CompiledModule, err error) {
	if n, ok := o.w.MaxInstances.Value(); ok && uint64(len(o.preloads)+1) > n {
		if len(o.preloads) == 0 {
			return nil, nil, fmt.Errorf("%s needs 1 instance, more than -W max-instances=%d", o.file, n)
		}
		return nil, nil, fmt.Errorf("%s and its %d --preload modules need %d instances, more than -W max-instances=%d",
			o.file, len(o.preloads), len(o.preloads)+1, n)
	}
	preloads = map[string]*wasmvisor.CompiledModule{}
	for _, p := range o.preloads {
		c, err := compileFile(ctx, rt, p.file, &o.w.Policy)
		if err == nil {
			err = checkImports(p.file, c, preloads)
		}
		if err != nil {
			return nil, nil, err
		}
		preloads[p.name] = c
	}
	program, err = compileFile(ctx, rt, o.file, &o.w.Policy)
	if err == nil {
		err = checkImports(o.file, program, preloads)
	}
	if err != nil {
		return nil, nil, err
	}
	return preloads, program, nil
}

// entry returns the function to call in mod and its name: the one
// --invoke names, or as in wasmtime the one exported as "" or else
// _start. f is nil if mod has no such export.
func (o *runOptions) entry(mod api.Module) (name string, f api.Function) {
	if o.hasInvoke {
		return o.invoke, mod.ExportedFunction(o.invoke)
	}
	for _, name := range []string{"", "_start"} {
		if f := mod.ExportedFunction(name); f != nil {
			return name, f
		}
	}
	return "", nil
}

// report prints why running file ended with err, in wasmtime's terms,
// and returns the exit status.
func (o *runOptions) report(w io.Writer, file string, err error) int {
	if exit, ok := errors.AsType[*api.ExitError](err); ok {
		// WASI reserves statuses from 126 on, which shells give their
		// own meanings, and wasmtime refuses them.
		if exit.Code < 126 {
			return int(exit.Code)
		}
		fmt.Fprintf(w, "Error: %s: exit with invalid exit status %d outside of [0..126)\n", file, exit.Code)
		return exitFailure
	}
	trap, ok := errors.AsType[*api.Trap](err)
	if !ok {
		fmt.Fprintf(w, "Error: %s: %v\n", file, err)
		return exitFailure
	}
	detail := trap.Detail
	switch trap.Kind {
	case api.TrapTimeout:
		if o.w.Timeout > 0 {
			detail = fmt.Sprintf("the program ran longer than -W timeout=%s", o.w.Timeout)
		}
	case api.TrapCallStackExhausted:
		detail += " (raise the limit with -W max-wasm-stack)"
	}
	fmt.Fprintf(w, "Error: %s: wasm trap: %s", file, trap.Kind)
	if detail != "" {
		fmt.Fprintf(w, ": %s", detail)
	}
	fmt.Fprintln(w)
	if len(trap.Frames) > 0 {
		fmt.Fprintln(w, "wasm backtrace:")
		// A runaway recursion repeats one frame: show it once.
		for i := 0; i < len(trap.Frames); i++ {
			f := trap.Frames[i]
			fmt.Fprintf(w, "  %3d: %s\n", i, f)
			n := 0
			for i+1 < len(trap.Frames) && trap.Frames[i+1] == f {
				i, n = i+1, n+1
			}
			if n > 0 {
				fmt.Fprintf(w, "       ... the same frame %d more times\n", n)
			}
		}
	}
	return exitTrap
}

// instanceName is the name the main module is instantiated under, which
// its backtraces show: the file's base name, unless a preloaded module
// or WASI has it.
func (o *runOptions) instanceName() string {
	name := strings.TrimSuffix(filepath.Base(o.file), ".wasm")
	if name == wasi.ModuleName || slices.ContainsFunc(o.preloads, func(p preload) bool { return p.name == name }) {
		return ""
	}
	return name
}

// compilationCache opens the cache the run's options ask for: nil for
// --no-cache and for tiers that keep no machine code.
func (o *runOptions) compilationCache() (*wasmvisor.CompilationCache, error) {
	tier := o.tier
	if tier == wasmvisor.TierDefault {
		tier = wasmvisor.DefaultTier()
	}
	if o.noCache || tier != wasmvisor.TierCompiled {
		return nil, nil
	}
	return wasmvisor.NewCompilationCache(o.cacheDir)
}

// compileFile reads, decodes, validates and prepares a module under the
// runtime's policy; a precompiled module (`wasmvisor compile`'s output)
// is loaded instead.
func compileFile(ctx context.Context, rt *wasmvisor.Runtime, file string, p *validate.Policy) (*wasmvisor.CompiledModule, error) {
	bin, err := readModule(file, p)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	load := rt.CompileModule
	if wasmvisor.IsPrecompiled(bin) {
		load = rt.LoadPrecompiledModule
	}
	c, err := load(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// checkImports checks, before anything is instantiated, that every import
// of c names a module it can be linked to: WASI, or a module preloaded
// before it. Instantiation checks the types again; this check only lets
// an unknown name fail the run before any module's code has run.
func checkImports(file string, c *wasmvisor.CompiledModule, preloaded map[string]*wasmvisor.CompiledModule) error {
	for _, imp := range c.Imports() {
		if imp.Module == wasi.ModuleName {
			if imp.Kind != "func" || wasi.Lookup(imp.Name) == nil {
				return fmt.Errorf("%s: unknown import %s.%s: WASI preview 1 has no %s of that name",
					file, imp.Module, imp.Name, imp.Kind)
			}
			continue
		}
		p, ok := preloaded[imp.Module]
		if !ok {
			return fmt.Errorf("%s: unknown import %s.%s: no module %q to link it to (only %s, and modules given with --preload NAME=PATH)",
				file, imp.Module, imp.Name, imp.Module, wasi.ModuleName)
		}
		if _, ok := p.ExportedFunctions()[imp.Name]; imp.Kind == "func" && !ok {
			return fmt.Errorf("%s: unknown import %s.%s: the preloaded module %q exports no function %q",
				file, imp.Module, imp.Name, imp.Module, imp.Name)
		}
	}
	return nil
}

// openWorld opens what the program finds pre-opened: the --tcplisten
// sockets first, then the --disk file system as "/", then the --dir
// directories, which share one namespace with the disk. closeAll
// releases them after the run.
func openWorld(o *runOptions) (preopens []wasi.Preopen, closeAll func(), err error) {
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
	for _, addr := range o.listen {
		l, lerr := net.Listen("tcp", addr)
		if lerr != nil {
			return nil, nil, fmt.Errorf("--tcplisten %s: %w", addr, lerr)
		}
		closers = append(closers, l.Close)
		preopens = append(preopens, wasi.Preopen{Listener: l.(*net.TCPListener)})
	}
	ns := vfs.NewNamespace()
	if o.disk != "" {
		c, derr := mountDisk(ns, o.disk, o.diskOverlay)
		if derr != nil {
			return nil, nil, derr
		}
		closers = append(closers, c.Close)
		preopens = append(preopens, wasi.Preopen{Name: "/", NS: ns, Path: "/"})
	}
	dirs, closeDirs, err := wasi.MountDirs(ns, o.dirs)
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, closeDirs)
	return append(preopens, dirs...), release, nil
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
