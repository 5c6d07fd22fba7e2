package wasmvisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// Runtime compiles and instantiates modules. Modules instantiated in one
// Runtime can import from each other by name. A Runtime is safe for
// concurrent use; each module instance runs one call at a time.
type Runtime struct {
	cfg    RuntimeConfig
	store  *store.Store
	engine engine.Engine // every module's and every call's
	limits store.Limits
	// policy is cfg.Policy as the validator takes it, converted once.
	policy *validate.Policy

	mu      sync.Mutex
	modules map[*moduleInstance]struct{} // open instances, for Close
	closed  bool
}

// NewRuntime returns a Runtime configured by cfg.
func NewRuntime(ctx context.Context, cfg RuntimeConfig) *Runtime {
	e, err := newEngine(cfg)
	if err != nil {
		e = unavailable{tier: cfg.Tier, err: err}
	}
	r := &Runtime{
		cfg:     cfg,
		store:   store.New(),
		engine:  e,
		policy:  cfg.Policy.validation(),
		modules: map[*moduleInstance]struct{}{},
	}
	if p := cfg.Policy; p != nil {
		if n, ok := p.MaxMemoryPages.Value(); ok && n < wasm.MemoryMaxPages {
			r.limits.MaxMemoryPages = uint32(max(n, 1))
		}
		if n, ok := p.MaxTableElements.Value(); ok && n < 1<<32 {
			r.limits.MaxTableElements = uint32(max(n, 1))
		}
	}
	return r
}

// Tier returns the tier the runtime's code runs on: never TierDefault,
// but the tier it stands for.
func (r *Runtime) Tier() Tier { return tierOf(r.engine) }

// Isolation returns how the runtime's code is separated from the host:
// IsolationProcess or IsolationVM, what the configured isolation stands
// for here.
func (r *Runtime) Isolation() Isolation { return r.cfg.Isolation.resolve() }

// ErrRuntimeClosed is returned by a Runtime used after Close.
var ErrRuntimeClosed = errors.New("runtime is closed")

// CompiledModule is a decoded, validated module with its code prepared.
// It can be instantiated any number of times.
type CompiledModule struct {
	mod  *wasm.Module
	code []store.Code
	// engineModule is what the engine made of the module, which code
	// comes from.
	engineModule engine.Module
	// tier names the engine that prepared code.
	tier string
	// snap, if not nil, is the state instances start from
	// (PreInitialize).
	snap *store.Snapshot
}

// Name is the module name from the binary's name section, or "".
func (c *CompiledModule) Name() string {
	if c.mod.Names == nil {
		return ""
	}
	return c.mod.Names.ModuleName
}

// ImportDefinition describes an import of a compiled module.
type ImportDefinition struct {
	Module, Name string
	Kind         ExternKind
}

// Imports lists the module's imports in order.
func (c *CompiledModule) Imports() []ImportDefinition {
	out := make([]ImportDefinition, len(c.mod.Imports))
	for i, imp := range c.mod.Imports {
		out[i] = ImportDefinition{Module: imp.Module, Name: imp.Name, Kind: ExternKind(imp.Kind)}
	}
	return out
}

// ExportDefinition describes an export of a compiled module.
type ExportDefinition struct {
	Name string
	Kind ExternKind
}

// Exports lists the module's exports in order.
func (c *CompiledModule) Exports() []ExportDefinition {
	out := make([]ExportDefinition, len(c.mod.Exports))
	for i, e := range c.mod.Exports {
		out[i] = ExportDefinition{Name: e.Name, Kind: ExternKind(e.Kind)}
	}
	return out
}

// ExportedFunctions describes the exported functions by export name.
func (c *CompiledModule) ExportedFunctions() map[string]api.FunctionDefinition {
	out := map[string]api.FunctionDefinition{}
	for _, e := range c.mod.Exports {
		if e.Kind == wasm.ExternFunc {
			if ft := c.mod.FuncType(e.Index); ft != nil {
				out[e.Name] = api.FunctionDefinition{
					ModuleName: c.Name(), Index: e.Index, Name: c.mod.FuncName(e.Index),
					ParamTypes: apiTypes(ft.Params), ResultTypes: apiTypes(ft.Results),
				}
			}
		}
	}
	return out
}

// Close releases the compiled module. Instances made from it are not
// affected.
func (c *CompiledModule) Close(context.Context) error {
	if c.snap != nil {
		return c.snap.Close()
	}
	return nil
}

func apiTypes(ts []wasm.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// CompileModule decodes bin, validates it against the runtime's Policy
// and prepares its code. A malformed binary fails with a *FormatError,
// an invalid one with a *ValidationError, one the Policy refuses with a
// *PolicyError.
func (r *Runtime) CompileModule(ctx context.Context, bin []byte) (*CompiledModule, error) {
	if r.isClosed() {
		return nil, ErrRuntimeClosed
	}
	m, err := r.decodeOnly(bin)
	if err != nil {
		return nil, err
	}
	code, err := r.prepare(m, bin)
	if err != nil {
		return nil, err
	}
	return r.compiled(m, code), nil
}

// decode decodes bin and validates it against the runtime's policy.
func (r *Runtime) decode(bin []byte) (*wasm.Module, error) {
	m, err := r.decodeOnly(bin)
	if err != nil {
		return nil, err
	}
	if err := r.validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeOnly decodes bin, whose size it checks first, so that an
// oversized one is never decoded.
func (r *Runtime) decodeOnly(bin []byte) (*wasm.Module, error) {
	if err := r.policy.CheckModuleSize(uint64(len(bin))); err != nil {
		return nil, publicError(err)
	}
	m, err := binary.Decode(bin)
	if err != nil {
		return nil, publicError(err)
	}
	return m, nil
}

// validate validates m against the runtime's policy.
func (r *Runtime) validate(m *wasm.Module) error {
	if err := validate.Module(m, r.policy); err != nil {
		return publicError(err)
	}
	return nil
}

func (r *Runtime) compiled(m *wasm.Module, code engine.Module) *CompiledModule {
	return &CompiledModule{mod: m, code: code.Codes(), engineModule: code, tier: r.engine.Name()}
}

// Instantiate compiles bin and instantiates it anonymously.
func (r *Runtime) Instantiate(ctx context.Context, bin []byte) (api.Module, error) {
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		return nil, err
	}
	return r.InstantiateModule(ctx, c, ModuleConfig{})
}

// InstantiateModule creates an instance of c linked to the modules
// instantiated so far, runs its start function and cfg.StartFunctions,
// and registers it under cfg.Name.
//
// A missing or mismatched import fails with a *LinkError. A trap while applying
// segments or in a start function returns the *api.Trap; an
// *api.ExitError from a start function is returned as well, with the
// module closed.
//
// An instance of a module PreInitialize returned starts from its
// snapshot instead: no data segments, no start function.
func (r *Runtime) InstantiateModule(ctx context.Context, c *CompiledModule, cfg ModuleConfig) (api.Module, error) {
	return r.instantiate(ctx, c, cfg, nil)
}

// instantiate is InstantiateModule; created, if not nil, sees the
// instance once its segments are applied, before any of its code runs.
func (r *Runtime) instantiate(ctx context.Context, c *CompiledModule, cfg ModuleConfig, created func(*store.Instance)) (api.Module, error) {
	if r.isClosed() {
		return nil, ErrRuntimeClosed
	}
	if c.tier != r.engine.Name() {
		return nil, fmt.Errorf("module compiled for tier %q cannot be instantiated in a runtime using tier %q", c.tier, r.engine.Name())
	}
	if cfg.Name != "" && r.store.NameTaken(cfg.Name) {
		return nil, fmt.Errorf("module %q is already instantiated", cfg.Name)
	}
	var inst *store.Instance
	var err error
	if c.snap != nil {
		inst, err = r.store.Restore(c.mod, cfg.Name, c.code, r.limits, c.snap)
	} else {
		inst, err = r.store.Instantiate(c.mod, cfg.Name, c.code, r.limits)
	}
	if err != nil {
		return nil, publicError(err)
	}
	if created != nil {
		created(inst)
	}
	mi := r.wrap(inst, cfg)
	if err := r.engine.Instantiated(inst); err != nil {
		r.forget(mi)
		return nil, fmt.Errorf("preparing instance: %w", err)
	}
	if err := r.createStates(ctx, mi, c.mod); err != nil {
		r.forget(mi)
		return nil, err
	}
	if c.mod.HasStart && c.snap == nil {
		f := inst.Funcs[c.mod.Start]
		stack := make([]uint64, max(f.ParamSlots, f.ResultSlots))
		if err := r.engine.Call(ctx, f, stack); err != nil {
			r.forget(mi)
			return nil, err
		}
	}
	if cfg.Name != "" {
		if err := r.store.Register(cfg.Name, inst); err != nil {
			mi.Close(ctx)
			return nil, err
		}
	}
	for _, name := range cfg.StartFunctions {
		f := mi.ExportedFunction(name)
		if f == nil {
			continue
		}
		if _, err := f.Call(ctx); err != nil {
			mi.Close(ctx)
			return nil, err
		}
	}
	return mi, nil
}

func (r *Runtime) wrap(inst *store.Instance, cfg ModuleConfig) *moduleInstance {
	mi := &moduleInstance{r: r, inst: inst, cfg: cfg}
	if mem := inst.Memory(); mem != nil {
		mi.mem = &memory{m: mem}
	}
	inst.Handle = mi
	r.mu.Lock()
	r.modules[mi] = struct{}{}
	r.mu.Unlock()
	return mi
}

// forget drops a module whose start function failed. Its functions may
// already sit in other modules' tables, where they must stay callable;
// store.Instance.Abandon decides whether its memory can go now. What
// host modules keep for it goes at once: a function reached later
// through a table finds its host state closed, not leaked.
func (r *Runtime) forget(mi *moduleInstance) {
	r.mu.Lock()
	delete(r.modules, mi)
	r.mu.Unlock()
	mi.inst.Abandon()
	mi.closeStates()
}

// createStates asks every host module that mi imports from, and that
// keeps per-module state, to create it.
func (r *Runtime) createStates(ctx context.Context, mi *moduleInstance, m *wasm.Module) error {
	var seen []*moduleInstance
	for _, imp := range m.Imports {
		inst := r.store.Lookup(imp.Module)
		if inst == nil {
			continue
		}
		host, _ := inst.Handle.(*moduleInstance)
		if host == nil || host.stateHook == nil || slices.Contains(seen, host) {
			continue
		}
		seen = append(seen, host)
		st, err := host.stateHook.newState(ctx, mi)
		if err != nil {
			return fmt.Errorf("module %q: %w", imp.Module, err)
		}
		if st != nil {
			mi.states = append(mi.states, instanceState{key: host.stateHook.key, val: st})
		}
	}
	return nil
}

// Module returns the module instantiated as name, or nil.
func (r *Runtime) Module(name string) api.Module {
	inst := r.store.Lookup(name)
	if inst == nil {
		return nil
	}
	mi, _ := inst.Handle.(*moduleInstance)
	if mi == nil {
		return nil
	}
	return mi
}

// RegisterModule makes mod importable under name as well, as the spec
// test suite's register command does. mod must belong to r.
func (r *Runtime) RegisterModule(name string, mod api.Module) error {
	mi, ok := mod.(*moduleInstance)
	if !ok || mi.r != r {
		return fmt.Errorf("registering %q: module does not belong to this runtime", name)
	}
	if mi.inst.Closed() {
		return fmt.Errorf("registering %q: module is closed", name)
	}
	return r.store.Register(name, mi.inst)
}

func (r *Runtime) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Close closes every module of the runtime. The runtime cannot be used
// afterwards.
func (r *Runtime) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	mods := make([]*moduleInstance, 0, len(r.modules))
	for mi := range r.modules {
		mods = append(mods, mi)
	}
	r.mu.Unlock()
	for _, mi := range mods {
		mi.Close(ctx)
	}
	return nil
}

// ModuleConfigOf returns the configuration mod was instantiated with. Host
// functions use it to find their caller's environment (arguments,
// environment variables, standard streams). ok is false for a module
// this package did not create.
func ModuleConfigOf(mod api.Module) (cfg ModuleConfig, ok bool) {
	mi, ok := mod.(*moduleInstance)
	if !ok {
		return ModuleConfig{}, false
	}
	return mi.cfg, true
}
