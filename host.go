package wasmvisor

import (
	"context"
	"fmt"
	"io"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/hostext"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// HostModuleBuilder defines a module implemented in Go, which WebAssembly
// modules can import from by its name:
//
//	_, err := r.NewHostModuleBuilder("env").
//		NewFunctionBuilder().
//		WithGoModuleFunction(api.GoModuleFunc(logI32), []api.ValueType{api.ValueTypeI32}, nil).
//		Export("log").
//		Instantiate(ctx)
type HostModuleBuilder struct {
	r     *Runtime
	name  string
	h     store.HostModule
	state *instanceStateHook
	err   error
}

// InstanceStateFunc creates what a host module keeps for one module that
// imports from it, such as the descriptor table of a WASI program. mod
// is the importing module, linked but not started; ModuleConfigOf(mod)
// gives its configuration.
type InstanceStateFunc func(ctx context.Context, mod api.Module) (io.Closer, error)

// instanceStateHook is a host module's InstanceStateFunc and the key its
// functions look the state up by.
type instanceStateHook struct {
	key      any
	newState InstanceStateFunc
}

// WithInstanceState gives each module that imports from this host module
// a state of its own: newState runs when such a module is instantiated,
// after linking and before its start function, and the module's Close
// closes the state (so does a failed instantiation). A host function
// finds its caller's state with InstanceState(caller, key). An error from
// newState fails the instantiation.
//
// This is how one host module serves many programs in one Runtime, each
// with its own environment.
func (b *HostModuleBuilder) WithInstanceState(key any, newState InstanceStateFunc) *HostModuleBuilder {
	if newState == nil && b.err == nil {
		b.err = fmt.Errorf("instance state %v: nil function", key)
	}
	b.state = &instanceStateHook{key: key, newState: newState}
	return b
}

// InstanceState returns the state that a host module made with
// WithInstanceState(key, …) created for mod, or nil if mod imports
// nothing from such a module.
func InstanceState(mod api.Module, key any) io.Closer {
	mi, ok := mod.(*moduleInstance)
	if !ok {
		return nil
	}
	for _, s := range mi.states {
		if s.key == key {
			return s.val
		}
	}
	return nil
}

// NewHostModuleBuilder starts a host module to be instantiated as name.
func (r *Runtime) NewHostModuleBuilder(name string) *HostModuleBuilder {
	return &HostModuleBuilder{r: r, name: name}
}

// HostFunctionBuilder defines one function of a host module.
type HostFunctionBuilder struct {
	b       *HostModuleBuilder
	fn      api.GoModuleFunc
	params  []api.ValueType
	results []api.ValueType
	name    string
	guest   store.Guest // set through hostext.WithGuest
}

func init() {
	hostext.WithGuest = func(fb any, g store.Guest) {
		fb.(*HostFunctionBuilder).guest = g
	}
}

// NewFunctionBuilder starts a function of the module.
func (b *HostModuleBuilder) NewFunctionBuilder() *HostFunctionBuilder {
	return &HostFunctionBuilder{b: b}
}

// WithGoModuleFunction sets the function's implementation and signature.
func (fb *HostFunctionBuilder) WithGoModuleFunction(fn api.GoModuleFunc, params, results []api.ValueType) *HostFunctionBuilder {
	fb.fn, fb.params, fb.results = fn, params, results
	return fb
}

// WithName sets the name backtraces show; the export name by default.
func (fb *HostFunctionBuilder) WithName(name string) *HostFunctionBuilder {
	fb.name = name
	return fb
}

// Export adds the function to the module under name.
func (fb *HostFunctionBuilder) Export(name string) *HostModuleBuilder {
	b := fb.b
	ft, err := funcType(fb.params, fb.results)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("host function %q: %w", name, err)
	}
	if fb.fn == nil && b.err == nil {
		b.err = fmt.Errorf("host function %q: no implementation (WithGoModuleFunction)", name)
	}
	b.h.Funcs = append(b.h.Funcs, store.HostFunc{Export: name, Name: fb.name, Type: ft, Fn: fb.fn, Guest: fb.guest})
	return b
}

func valueType(t api.ValueType) (wasm.ValueType, error) {
	if vt := wasm.ValueType(t); vt.Valid() {
		return vt, nil
	}
	return 0, fmt.Errorf("invalid value type 0x%02x", t)
}

func funcType(params, results []api.ValueType) (wasm.FuncType, error) {
	var ft wasm.FuncType
	for _, p := range params {
		t, err := valueType(p)
		if err != nil {
			return ft, err
		}
		ft.Params = append(ft.Params, t)
	}
	for _, r := range results {
		t, err := valueType(r)
		if err != nil {
			return ft, err
		}
		ft.Results = append(ft.Results, t)
	}
	return ft, nil
}

// ExportMemory adds a memory of minPages pages, without maximum.
func (b *HostModuleBuilder) ExportMemory(name string, minPages uint32) *HostModuleBuilder {
	b.h.Memories = append(b.h.Memories, store.HostMemory{Export: name,
		Type: wasm.MemoryType{Limits: wasm.Limits{Min: minPages}}})
	return b
}

// ExportMemoryWithMax adds a memory of minPages pages that may grow to
// maxPages.
func (b *HostModuleBuilder) ExportMemoryWithMax(name string, minPages, maxPages uint32) *HostModuleBuilder {
	b.h.Memories = append(b.h.Memories, store.HostMemory{Export: name,
		Type: wasm.MemoryType{Limits: wasm.Limits{Min: minPages, Max: maxPages, HasMax: true}}})
	return b
}

// ExportTable adds a table of elemType (funcref or externref) with min
// elements, without maximum.
func (b *HostModuleBuilder) ExportTable(name string, elemType api.ValueType, min uint32) *HostModuleBuilder {
	return b.exportTable(name, elemType, wasm.Limits{Min: min})
}

// ExportTableWithMax adds a table that may grow to max elements.
func (b *HostModuleBuilder) ExportTableWithMax(name string, elemType api.ValueType, min, max uint32) *HostModuleBuilder {
	return b.exportTable(name, elemType, wasm.Limits{Min: min, Max: max, HasMax: true})
}

func (b *HostModuleBuilder) exportTable(name string, elemType api.ValueType, l wasm.Limits) *HostModuleBuilder {
	if t := wasm.ValueType(elemType); !t.IsRef() && b.err == nil {
		b.err = fmt.Errorf("table %q: element type %s is not a reference type", name, api.ValueTypeName(elemType))
	}
	b.h.Tables = append(b.h.Tables, store.HostTable{Export: name,
		Type: wasm.TableType{ElemType: wasm.ValueType(elemType), Limits: l}})
	return b
}

// ExportGlobal adds a global of type t with value v (in the uint64
// encoding; the low half of a v128, whose high half is zero).
func (b *HostModuleBuilder) ExportGlobal(name string, t api.ValueType, v uint64, mutable bool) *HostModuleBuilder {
	vt, err := valueType(t)
	if err != nil && b.err == nil {
		b.err = fmt.Errorf("global %q: %w", name, err)
	}
	b.h.Globals = append(b.h.Globals, store.HostGlobal{Export: name,
		Type: wasm.GlobalType{ValType: vt, Mutable: mutable}, Val: v})
	return b
}

// Instantiate creates the host module and registers it under its name.
func (b *HostModuleBuilder) Instantiate(ctx context.Context) (api.Module, error) {
	if b.err != nil {
		return nil, fmt.Errorf("host module %q: %w", b.name, b.err)
	}
	r := b.r
	if r.isClosed() {
		return nil, ErrRuntimeClosed
	}
	if r.store.NameTaken(b.name) {
		return nil, fmt.Errorf("module %q is already instantiated", b.name)
	}
	inst, err := r.store.NewHostInstance(b.name, &b.h, r.limits)
	if err != nil {
		return nil, err
	}
	mi := r.wrap(inst, ModuleConfig{Name: b.name})
	mi.stateHook = b.state
	if err := r.store.Register(b.name, inst); err != nil {
		mi.Close(ctx)
		return nil, err
	}
	return mi, nil
}
