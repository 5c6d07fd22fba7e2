package wasmvisor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

var (
	i32 = wasm.ValueTypeI32
	i64 = wasm.ValueTypeI64
)

// encode builds a binary from a module literal.
func encode(m *wasm.Module) []byte {
	m.IndexImports()
	return binary.Encode(m)
}

// counter is a module with a memory, a mutable global "count", an
// exported "inc" that adds its argument to the global and returns it, a
// start function that sets the global to 10, and "trap".
func counter() *wasm.Module {
	return &wasm.Module{
		Types:    []wasm.FuncType{{Params: []wasm.ValueType{i32}, Results: []wasm.ValueType{i32}}, {}},
		Funcs:    []uint32{0, 1, 1},
		Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 3, HasMax: true}}},
		Globals: []wasm.Global{{Type: wasm.GlobalType{ValType: i32, Mutable: true},
			Init: wasm.ConstExpr{Code: []byte{0x41, 0x00, 0x0b}}}},
		Exports: []wasm.Export{
			{Name: "inc", Kind: wasm.ExternFunc, Index: 0},
			{Name: "trap", Kind: wasm.ExternFunc, Index: 2},
			{Name: "count", Kind: wasm.ExternGlobal, Index: 0},
			{Name: "mem", Kind: wasm.ExternMemory, Index: 0},
		},
		Start: 1, HasStart: true,
		Codes: []wasm.Code{
			// global.get 0; local.get 0; i32.add; global.set 0; global.get 0
			{Body: []byte{0x23, 0x00, 0x20, 0x00, 0x6a, 0x24, 0x00, 0x23, 0x00, 0x0b}},
			// i32.const 10; global.set 0
			{Body: []byte{0x41, 0x0a, 0x24, 0x00, 0x0b}},
			{Body: []byte{0x00, 0x0b}},
		},
	}
}

func TestRuntime_CompileModule(t *testing.T) {
	ctx := context.Background()
	invalid := counter()
	invalid.Codes[0].Body = []byte{0x0b} // no result
	bigMem := counter()
	bigMem.Memories[0].Min = 3
	tests := []struct {
		name   string
		bin    []byte
		policy *Policy
		check  func(error) bool
	}{
		{"valid", encode(counter()), nil, func(err error) bool { return err == nil }},
		{"malformed", []byte("\x00asm\x02\x00\x00\x00"), nil, func(err error) bool {
			var fe *FormatError
			return errors.As(err, &fe) && strings.Contains(err.Error(), "unknown binary version")
		}},
		{"invalid", encode(invalid), nil, func(err error) bool {
			var ve *ValidationError
			return errors.As(err, &ve) && strings.Contains(err.Error(), "type mismatch")
		}},
		{"against the policy", encode(bigMem), &Policy{MaxMemoryPages: LimitOf(2)}, func(err error) bool {
			var pe *PolicyError
			return errors.As(err, &pe) && pe.Value == 3 && pe.Limit == 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRuntime(ctx, RuntimeConfig{Policy: tt.policy})
			defer r.Close(ctx)
			if _, err := r.CompileModule(ctx, tt.bin); !tt.check(err) {
				t.Fatalf("unexpected result: %v", err)
			}
		})
	}
}

func TestRuntime_InstantiateModule(t *testing.T) {
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{})
	defer r.Close(ctx)
	c, err := r.CompileModule(ctx, encode(counter()))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := r.InstantiateModule(ctx, c, ModuleConfig{Name: "counter", StartFunctions: []string{"missing"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mod.ExportedGlobal("count").Get(); got != 10 {
		t.Errorf("start function left count at %d, want 10", got)
	}
	res, err := mod.ExportedFunction("inc").Call(ctx, 5)
	if err != nil || res[0] != 15 {
		t.Fatalf("inc(5) = %v, %v; want 15", res, err)
	}
	if _, err := mod.ExportedFunction("inc").Call(ctx); err == nil {
		t.Error("a call with too few params succeeded")
	}
	if _, err := r.InstantiateModule(ctx, c, ModuleConfig{Name: "counter"}); err == nil {
		t.Error("a second module named counter was instantiated")
	}
	if r.Module("counter") != mod {
		t.Error("Module(counter) is not the instance")
	}
	if err := r.RegisterModule("alias", mod); err != nil || r.Module("alias") != mod {
		t.Errorf("RegisterModule: %v", err)
	}

	// Start functions that trap fail the instantiation and free the name.
	_, err = r.InstantiateModule(ctx, c, ModuleConfig{Name: "t", StartFunctions: []string{"trap"}})
	var trap *api.Trap
	if !errors.As(err, &trap) || trap.Kind != api.TrapUnreachable {
		t.Fatalf("got %v, want unreachable", err)
	}
	if r.Module("t") != nil {
		t.Error("a module whose start function trapped is registered")
	}

	// A closed module's functions trap, and its names are free again.
	inc := mod.ExportedFunction("inc")
	mod.Close(ctx)
	if _, err := inc.Call(ctx, 1); !errors.As(err, &trap) || trap.Kind != api.TrapModuleClosed {
		t.Errorf("call after Close: %v", err)
	}
	if r.Module("counter") != nil || r.Module("alias") != nil {
		t.Error("Close left the module registered")
	}
}

func TestRuntime_InstantiateModule_imports(t *testing.T) {
	ctx := context.Background()
	importer := &wasm.Module{
		Types:   []wasm.FuncType{{Params: []wasm.ValueType{i64}}},
		Imports: []wasm.Import{{Module: "env", Name: "f", Kind: wasm.ExternFunc, Func: 0}},
	}
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	tests := []struct {
		name string
		host func(*Runtime) error
		want string
	}{
		{"missing", func(*Runtime) error { return nil }, "unknown import"},
		{"wrong type", func(r *Runtime) error {
			_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
				WithGoModuleFunction(nop, []api.ValueType{api.ValueTypeI32}, nil).Export("f").Instantiate(ctx)
			return err
		}, "incompatible import type"},
		{"matching", func(r *Runtime) error {
			_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
				WithGoModuleFunction(nop, []api.ValueType{api.ValueTypeI64}, nil).Export("f").Instantiate(ctx)
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRuntime(ctx, RuntimeConfig{})
			defer r.Close(ctx)
			if err := tt.host(r); err != nil {
				t.Fatal(err)
			}
			c, err := r.CompileModule(ctx, encode(importer))
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.InstantiateModule(ctx, c, ModuleConfig{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"env"."f"`) {
				t.Fatalf("got %v, want %q naming the import", err, tt.want)
			}
		})
	}
}

func TestHostModuleBuilder_Instantiate(t *testing.T) {
	ctx := context.Background()
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	tests := []struct {
		name  string
		build func(*HostModuleBuilder) *HostModuleBuilder
		want  string
	}{
		{"everything", func(b *HostModuleBuilder) *HostModuleBuilder {
			return b.NewFunctionBuilder().WithGoModuleFunction(nop, nil, nil).WithName("nop").Export("f").
				ExportMemoryWithMax("m", 1, 2).ExportTable("t", api.ValueTypeFuncref, 3).
				ExportGlobal("g", api.ValueTypeI64, 7, true)
		}, ""},
		{"no implementation", func(b *HostModuleBuilder) *HostModuleBuilder {
			return b.NewFunctionBuilder().Export("f")
		}, "no implementation"},
		{"bad value type", func(b *HostModuleBuilder) *HostModuleBuilder {
			return b.NewFunctionBuilder().WithGoModuleFunction(nop, []api.ValueType{0x42}, nil).Export("f")
		}, "invalid value type"},
		{"duplicate export", func(b *HostModuleBuilder) *HostModuleBuilder {
			return b.ExportMemory("x", 1).ExportGlobal("x", api.ValueTypeI32, 0, false)
		}, "duplicate export"},
		{"table of numbers", func(b *HostModuleBuilder) *HostModuleBuilder {
			return b.ExportTable("t", api.ValueTypeI32, 1)
		}, "not a reference type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRuntime(ctx, RuntimeConfig{})
			defer r.Close(ctx)
			mod, err := tt.build(r.NewHostModuleBuilder("h")).Instantiate(ctx)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g, ok := mod.ExportedGlobal("g").(api.MutableGlobal); !ok || g.Get() != 7 {
				t.Error("global g missing or not mutable")
			} else if g.Set(8); g.Get() != 8 {
				t.Error("Set did not store")
			}
			if m := mod.ExportedMemory("m"); m == nil || m.Pages() != 1 {
				t.Error("memory m missing")
			}
			if d := mod.ExportedFunctionDefinitions()["f"]; d.Name != "nop" || d.ModuleName != "h" {
				t.Errorf("definition %+v", d)
			}
		})
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{})
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, encode(counter()))
	if err != nil {
		t.Fatal(err)
	}
	m := mod.Memory()
	if m == nil || m.Size() != 65536 || m.Pages() != 1 {
		t.Fatalf("memory %v", m)
	}
	tests := []struct {
		name string
		op   func() bool
		ok   bool
	}{
		{"write at the end", func() bool { return m.WriteUint32Le(65532, 0xdeadbeef) }, true},
		{"read at the end", func() bool { v, ok := m.ReadUint32Le(65532); return ok && v == 0xdeadbeef }, true},
		{"write past the end", func() bool { return m.WriteUint64Le(65532, 1) }, false},
		{"read past the end", func() bool { _, ok := m.ReadUint16Le(65535); return ok }, false},
		{"read a byte", func() bool { v, ok := m.ReadUint8(65535); return ok && v == 0xde }, true},
		{"huge read", func() bool { _, ok := m.Read(1, 0xffffffff); return ok }, false},
		{"write slice", func() bool { return m.Write(0, []byte("hi")) && string(m.Bytes()[:2]) == "hi" }, true},
		{"grow", func() bool { p, ok := m.Grow(2); return ok && p == 1 && m.Pages() == 3 }, true},
		{"grow past max", func() bool { _, ok := m.Grow(1); return ok }, false},
		{"access grown pages", func() bool { return m.WriteUint64Le(3*65536-8, 1) }, true},
	}
	for _, tt := range tests {
		if got := tt.op(); got != tt.ok {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.ok)
		}
	}
}
