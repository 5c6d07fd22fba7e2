package wasmvisor

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// FuzzRuntime feeds arbitrary binaries through the whole pipeline:
// compile (decode, validate, prepare), link against stub host modules
// that satisfy every import, instantiate and call every exported function
// with zero arguments, under a small stack limit and a deadline. Any
// outcome is fine except a crash, a hang or an internal engine error.
func FuzzRuntime(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testshared.Dir(f), "testdata", "spec", "json", "*.wasm"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r := NewRuntime(ctx, RuntimeConfig{Policy: DefaultPolicy(), MaxStackBytes: 256 << 10})
		defer r.Close(ctx)
		c, err := r.CompileModule(ctx, data)
		if err != nil {
			failOnInternal(t, err)
			return
		}
		if err := stubImports(ctx, r, c.mod); err != nil {
			t.Fatalf("stubbing imports: %v", err)
		}
		mod, err := r.InstantiateModule(ctx, c, ModuleConfig{})
		if err != nil {
			failOnInternal(t, err)
			return
		}
		for name, d := range mod.ExportedFunctionDefinitions() {
			n := 0
			for _, p := range d.ParamTypes {
				n += wasm.ValueType(p).Slots()
			}
			callCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			_, err := mod.ExportedFunction(name).Call(callCtx, make([]uint64, n)...)
			cancel()
			failOnInternal(t, err)
		}
	})
}

func failOnInternal(t *testing.T, err error) {
	var trap *api.Trap
	if errors.As(err, &trap) && trap.Kind == api.TrapInternal {
		t.Fatalf("internal engine error: %v", err)
	}
}

// stubImports instantiates, for every module m imports from, a host
// module that provides each import with the type m asks for.
func stubImports(ctx context.Context, r *Runtime, m *wasm.Module) error {
	builders := map[string]*HostModuleBuilder{}
	done := map[[2]string]bool{}
	for _, imp := range m.Imports {
		if done[[2]string{imp.Module, imp.Name}] {
			continue // the first import of a name decides its kind
		}
		done[[2]string{imp.Module, imp.Name}] = true
		b := builders[imp.Module]
		if b == nil {
			b = r.NewHostModuleBuilder(imp.Module)
			builders[imp.Module] = b
		}
		switch imp.Kind {
		case wasm.ExternFunc:
			ft := m.Types[imp.Func]
			b.NewFunctionBuilder().WithGoModuleFunction(func(_ context.Context, _ api.Module, stack []uint64) error {
				clear(stack)
				return nil
			}, apiTypes(ft.Params), apiTypes(ft.Results)).Export(imp.Name)
		case wasm.ExternMemory:
			if imp.Memory.HasMax {
				b.ExportMemoryWithMax(imp.Name, imp.Memory.Min, imp.Memory.Max)
			} else {
				b.ExportMemory(imp.Name, imp.Memory.Min)
			}
		case wasm.ExternTable:
			et := api.ValueType(imp.Table.ElemType)
			if imp.Table.HasMax {
				b.ExportTableWithMax(imp.Name, et, imp.Table.Min, imp.Table.Max)
			} else {
				b.ExportTable(imp.Name, et, imp.Table.Min)
			}
		case wasm.ExternGlobal:
			b.ExportGlobal(imp.Name, api.ValueType(imp.Global.ValType), 0, imp.Global.Mutable)
		}
	}
	for _, b := range builders {
		if _, err := b.Instantiate(ctx); err != nil {
			// A stub the runtime cannot create (a table or memory over the
			// limits) leaves the import unresolved, which is a link error
			// of the fuzzed module, not a failure.
			continue
		}
	}
	return nil
}
