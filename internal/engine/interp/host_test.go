package interp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// hostModule instantiates a guest that imports env.host of type
// (i32) -> (i32) and exports "f", which calls it with its argument, and
// "g" (i32) -> (i32), which returns its argument plus one.
func hostModule(t *testing.T, e *Engine, host api.GoModuleFunc) *store.Instance {
	t.Helper()
	s := store.New()
	sig := wasm.FuncType{Params: vt(i32), Results: vt(i32)}
	h, err := s.NewHostInstance("env", &store.HostModule{Funcs: []store.HostFunc{{Export: "host", Type: sig, Fn: host}}}, store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("env", h); err != nil {
		t.Fatal(err)
	}
	m := &wasm.Module{
		Types:   []wasm.FuncType{sig},
		Imports: []wasm.Import{{Module: "env", Name: "host", Kind: wasm.ExternFunc, Func: 0}},
		Funcs:   []uint32{0, 0},
		Codes: []wasm.Code{
			{Body: code(lget(0), call(0))},
			{Body: code(lget(0), i32c(1), op(wasm.OpI32Add))},
		},
		Exports: []wasm.Export{{Name: "f", Kind: wasm.ExternFunc, Index: 1}, {Name: "g", Kind: wasm.ExternFunc, Index: 2}},
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatal(err)
	}
	codes, err := e.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := s.Instantiate(m, "guest", codes.Codes(), store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestEngine_Call_host(t *testing.T) {
	e := New(Config{})
	var guest *store.Instance
	reenter := func(ctx context.Context, _ api.Module, stack []uint64) error {
		// Call back into the guest: g(x) + 1.
		g := guest.Funcs[guest.Exports["g"].Index]
		s := []uint64{stack[0]}
		if err := e.Call(ctx, g, s); err != nil {
			return err
		}
		stack[0] = s[0] + 1
		return nil
	}
	recurse := func(ctx context.Context, _ api.Module, stack []uint64) error {
		f := guest.Funcs[guest.Exports["f"].Index]
		return e.Call(ctx, f, stack)
	}
	tests := []struct {
		name string
		host api.GoModuleFunc
		want uint64
		err  func(error) bool
	}{
		{"result", func(_ context.Context, _ api.Module, s []uint64) error { s[0] *= 3; return nil }, 21, nil},
		{"re-entry", reenter, 9, nil},
		{"exit", func(context.Context, api.Module, []uint64) error { return &api.ExitError{Code: 3} }, 0,
			func(err error) bool { var x *api.ExitError; return errors.As(err, &x) && x.Code == 3 }},
		{"panic", func(context.Context, api.Module, []uint64) error { panic("boom") }, 0,
			func(err error) bool { return trapKind(err) == api.TrapHostPanic }},
		{"panic with exit", func(context.Context, api.Module, []uint64) error { panic(&api.ExitError{Code: 4}) }, 0,
			func(err error) bool { var x *api.ExitError; return errors.As(err, &x) && x.Code == 4 }},
		{"trap with backtrace", func(context.Context, api.Module, []uint64) error {
			return &api.Trap{Kind: api.TrapUnreachable}
		}, 0, func(err error) bool {
			var tr *api.Trap
			return errors.As(err, &tr) && len(tr.Frames) == 2 && tr.Frames[0].Host
		}},
		{"unbounded re-entry", recurse, 0,
			func(err error) bool { return trapKind(err) == api.TrapCallStackExhausted }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guest = hostModule(t, e, tt.host)
			got, err := invoke(context.Background(), e, guest, "f", 7)
			if tt.err != nil {
				if !tt.err(err) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got[0] != tt.want {
				t.Errorf("got %d, want %d", got[0], tt.want)
			}
		})
	}
}

// TestEngine_Call_closed checks that calling into a closed instance
// traps instead of touching its released memory.
func TestEngine_Call_closed(t *testing.T) {
	e := New(Config{})
	inst := instance(t, e, store.New(), module(t, true, fn{name: "f", results: vt(i32), body: code(i32c(0), mem(wasm.OpI32Load, 0))}))
	inst.Close()
	_, err := invoke(context.Background(), e, inst, "f")
	if trapKind(err) != api.TrapModuleClosed {
		t.Fatalf("got %v, want module closed", err)
	}
}

// TestEngine_Call_closedCaller checks that returning into an instance
// that a host function closed meanwhile traps instead of touching its
// released memory.
func TestEngine_Call_closedCaller(t *testing.T) {
	e := New(Config{})
	s := store.New()
	var a *store.Instance
	closer := func(context.Context, api.Module, []uint64) error { a.Close(); return nil }
	h, err := s.NewHostInstance("env", &store.HostModule{Funcs: []store.HostFunc{{Export: "close", Fn: closer}}}, store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	s.Register("env", h)
	link := func(name, from, export string, body []byte, results []wasm.ValueType, memory bool) *store.Instance {
		m := &wasm.Module{
			Types:   []wasm.FuncType{{}, {Results: results}},
			Imports: []wasm.Import{{Module: from, Name: export, Kind: wasm.ExternFunc, Func: 0}},
			Funcs:   []uint32{1},
			Codes:   []wasm.Code{{Body: body}},
			Exports: []wasm.Export{{Name: name, Kind: wasm.ExternFunc, Index: 1}},
		}
		if memory {
			m.Memories = []wasm.MemoryType{{Limits: wasm.Limits{Min: 1}}}
		}
		m.IndexImports()
		if err := validate.Module(m, nil); err != nil {
			t.Fatal(err)
		}
		codes, err := e.Compile(m)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := s.Instantiate(m, name, codes.Codes(), store.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		s.Register(name, inst)
		return inst
	}
	link("b", "env", "close", code(call(0)), nil, false)
	a = link("a", "b", "b", code(call(0), i32c(0), mem(wasm.OpI32Load, 0)), vt(i32), true)
	_, err = invoke(context.Background(), e, a, "a")
	if trapKind(err) != api.TrapModuleClosed {
		t.Fatalf("got %v, want module closed", err)
	}
}

// otherTier is code of another tier, which the interpreter cannot run.
type otherTier struct{}

func (otherTier) Engine() string { return "compiled" }

func TestEngine_Call_foreignCode(t *testing.T) {
	e := New(Config{})
	s := store.New()
	sig := wasm.FuncType{Params: vt(i32), Results: vt(i32)}
	callee := &wasm.Module{
		Types:   []wasm.FuncType{sig},
		Funcs:   []uint32{0},
		Codes:   []wasm.Code{{Body: code(lget(0))}},
		Exports: []wasm.Export{{Name: "id", Kind: wasm.ExternFunc, Index: 0}},
	}
	callee.IndexImports()
	other, err := s.Instantiate(callee, "other", []store.Code{otherTier{}}, store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("other", other); err != nil {
		t.Fatal(err)
	}
	caller := &wasm.Module{
		Types:   []wasm.FuncType{sig},
		Imports: []wasm.Import{{Module: "other", Name: "id", Kind: wasm.ExternFunc, Func: 0}},
		Funcs:   []uint32{0, 0},
		Tables:  []wasm.TableType{{ElemType: wasm.ValueTypeFuncref, Limits: wasm.Limits{Min: 1}}},
		Elems: []wasm.ElemSegment{{Mode: wasm.SegmentActive, Offset: wasm.ConstExpr{Code: code(i32c(0))},
			Type: wasm.ValueTypeFuncref, FuncIndices: []uint32{0}}},
		Codes: []wasm.Code{
			{Body: code(lget(0), call(0))},
			{Body: code(lget(0), i32c(0), append(op(wasm.OpCallIndirect), 0, 0))},
		},
		Exports: []wasm.Export{{Name: "direct", Kind: wasm.ExternFunc, Index: 1}, {Name: "indirect", Kind: wasm.ExternFunc, Index: 2}},
	}
	caller.IndexImports()
	if err := validate.Module(caller, nil); err != nil {
		t.Fatal(err)
	}
	inst := instance(t, e, s, caller)

	for _, name := range []string{"direct", "indirect"} {
		_, err := invoke(context.Background(), e, inst, name, 5)
		var trap *api.Trap
		if !errors.As(err, &trap) || trap.Kind != api.TrapInternal || !strings.Contains(trap.Detail, `has "compiled" code`) {
			t.Errorf("%s: got %v, want an internal trap naming the other tier", name, err)
		} else if len(trap.Frames) == 0 || trap.Frames[0].Module != "test" {
			t.Errorf("%s: backtrace %v does not start in the caller", name, trap.Frames)
		}
	}
	stack := []uint64{5}
	if err := e.Call(context.Background(), other.Funcs[0], stack); err == nil || !strings.Contains(err.Error(), `"compiled" code`) {
		t.Errorf("calling the other tier's function: %v", err)
	}
}
