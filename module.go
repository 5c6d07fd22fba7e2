package wasmvisor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/sealed"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// moduleInstance implements api.Module.
type moduleInstance struct {
	sealed.Impl
	r    *Runtime
	inst *store.Instance
	cfg  ModuleConfig
	// mem wraps memory 0 once: host functions ask for it on every call.
	mem api.Memory

	// stateHook is set on host modules built WithInstanceState.
	stateHook *instanceStateHook
	// states are what host modules created for this module; set before
	// its start function runs and read-only afterwards.
	states       []instanceState
	statesClosed atomic.Bool

	mu    sync.Mutex
	funcs map[string]*function // exported functions, wrapped on first use
}

// instanceState is one host module's state for a module.
type instanceState struct {
	key any
	val io.Closer
}

var _ api.Module = (*moduleInstance)(nil)

func (m *moduleInstance) Name() string { return m.inst.Name }

func (m *moduleInstance) String() string { return fmt.Sprintf("module[%s]", m.inst.Name) }

func (m *moduleInstance) Memory() api.Memory { return m.mem }

func (m *moduleInstance) export(name string, kind wasm.ExternKind) (uint32, bool) {
	e, ok := m.inst.Exports[name]
	if !ok || e.Kind != kind {
		return 0, false
	}
	return e.Index, true
}

func (m *moduleInstance) ExportedFunction(name string) api.Function {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.funcs[name]; ok {
		return f
	}
	idx, ok := m.export(name, wasm.ExternFunc)
	if !ok {
		return nil
	}
	f := newFunction(m.r, m.inst.Funcs[idx])
	if m.funcs == nil {
		m.funcs = map[string]*function{}
	}
	m.funcs[name] = f
	return f
}

func (m *moduleInstance) ExportedMemory(name string) api.Memory {
	if idx, ok := m.export(name, wasm.ExternMemory); ok {
		return &memory{m: m.inst.Memories[idx]}
	}
	return nil
}

func (m *moduleInstance) ExportedGlobal(name string) api.Global {
	idx, ok := m.export(name, wasm.ExternGlobal)
	if !ok {
		return nil
	}
	g := m.inst.Globals[idx]
	if g.Type.Mutable {
		return &mutableGlobal{global{g: g}}
	}
	return &global{g: g}
}

func (m *moduleInstance) ExportedFunctionDefinitions() map[string]api.FunctionDefinition {
	out := map[string]api.FunctionDefinition{}
	for name, e := range m.inst.Exports {
		if e.Kind == wasm.ExternFunc {
			out[name] = definition(m.inst.Funcs[e.Index])
		}
	}
	return out
}

func (m *moduleInstance) Close(ctx context.Context) error {
	if m.inst.Close() {
		m.r.mu.Lock()
		delete(m.r.modules, m)
		m.r.mu.Unlock()
		return m.closeStates()
	}
	return nil
}

// closeStates closes what host modules keep for m, in the reverse order
// of their creation.
func (m *moduleInstance) closeStates() error {
	if m.statesClosed.Swap(true) {
		return nil
	}
	var errs []error
	for i := len(m.states) - 1; i >= 0; i-- {
		if err := m.states[i].val.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing host state %v of module %q: %w", m.states[i].key, m.inst.Name, err))
		}
	}
	return errors.Join(errs...)
}

func definition(f *store.Function) api.FunctionDefinition {
	return api.FunctionDefinition{
		ModuleName: f.Instance.Name, Index: f.Index, Name: f.Name,
		ParamTypes: apiTypes(f.Type.Params), ResultTypes: apiTypes(f.Type.Results),
	}
}

// function implements api.Function.
type function struct {
	sealed.Impl
	r *Runtime
	f *store.Function
}

func newFunction(r *Runtime, f *store.Function) *function { return &function{r: r, f: f} }

func (f *function) Definition() api.FunctionDefinition { return definition(f.f) }

func (f *function) Call(ctx context.Context, params ...uint64) ([]uint64, error) {
	if uint32(len(params)) != f.f.ParamSlots {
		return nil, fmt.Errorf("calling %s: %d params given, %s takes %d values",
			f.name(), len(params), f.f.Type, f.f.ParamSlots)
	}
	stack := make([]uint64, max(f.f.ParamSlots, f.f.ResultSlots))
	copy(stack, params)
	if err := f.r.engine.Call(ctx, f.f, stack); err != nil {
		return nil, err
	}
	return stack[:f.f.ResultSlots], nil
}

func (f *function) CallWithStack(ctx context.Context, stack []uint64) error {
	return f.r.engine.Call(ctx, f.f, stack)
}

func (f *function) name() string {
	if f.f.Name != "" {
		return fmt.Sprintf("%s.%s", f.f.Instance.Name, f.f.Name)
	}
	return fmt.Sprintf("%s.func[%d]", f.f.Instance.Name, f.f.Index)
}

// memory implements api.Memory.
type memory struct {
	sealed.Impl
	m *store.Memory
}

func (m *memory) Size() uint64  { return uint64(len(m.m.Bytes())) }
func (m *memory) Pages() uint32 { return m.m.Pages() }
func (m *memory) Grow(delta uint32) (uint32, bool) {
	return m.m.Grow(delta)
}
func (m *memory) Bytes() []byte { return m.m.Bytes() }

func (m *memory) Read(offset, n uint32) ([]byte, bool) {
	b := m.m.Bytes()
	if uint64(offset)+uint64(n) > uint64(len(b)) {
		return nil, false
	}
	return b[offset : offset+n : offset+n], true
}

func (m *memory) Write(offset uint32, v []byte) bool {
	b := m.m.Bytes()
	if uint64(offset)+uint64(len(v)) > uint64(len(b)) {
		return false
	}
	copy(b[offset:], v)
	return true
}

func (m *memory) ReadUint8(offset uint32) (uint8, bool) {
	b, ok := m.Read(offset, 1)
	if !ok {
		return 0, false
	}
	return b[0], true
}

func (m *memory) ReadUint16Le(offset uint32) (uint16, bool) {
	b, ok := m.Read(offset, 2)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b), true
}

func (m *memory) ReadUint32Le(offset uint32) (uint32, bool) {
	b, ok := m.Read(offset, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

func (m *memory) ReadUint64Le(offset uint32) (uint64, bool) {
	b, ok := m.Read(offset, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (m *memory) WriteUint8(offset uint32, v uint8) bool {
	b, ok := m.Read(offset, 1)
	if ok {
		b[0] = v
	}
	return ok
}

func (m *memory) WriteUint16Le(offset uint32, v uint16) bool {
	b, ok := m.Read(offset, 2)
	if ok {
		binary.LittleEndian.PutUint16(b, v)
	}
	return ok
}

func (m *memory) WriteUint32Le(offset uint32, v uint32) bool {
	b, ok := m.Read(offset, 4)
	if ok {
		binary.LittleEndian.PutUint32(b, v)
	}
	return ok
}

func (m *memory) WriteUint64Le(offset uint32, v uint64) bool {
	b, ok := m.Read(offset, 8)
	if ok {
		binary.LittleEndian.PutUint64(b, v)
	}
	return ok
}

// global implements api.Global; mutableGlobal adds the setters.
type global struct {
	sealed.Impl
	g *store.Global
}

func (g *global) Type() api.ValueType      { return api.ValueType(g.g.Type.ValType) }
func (g *global) Get() uint64              { return g.g.Val }
func (g *global) GetV128() (lo, hi uint64) { return g.g.Val, g.g.Hi }
func (g *global) String() string           { return fmt.Sprintf("global(%s)", g.g.Type.ValType) }

type mutableGlobal struct{ global }

func (g *mutableGlobal) Set(v uint64) {
	if g.g.Type.ValType.IsRef() {
		g.g.SetRef(v)
		return
	}
	g.g.Val = v
}

func (g *mutableGlobal) SetV128(lo, hi uint64) { g.g.Val, g.g.Hi = lo, hi }
