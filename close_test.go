package wasmvisor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// spinner is a module whose "spin" loops for ever reading its memory, and
// whose "ready" is a host import it calls first, so a test knows the loop
// is about to run.
func spinner() *wasm.Module {
	return &wasm.Module{
		Types:    []wasm.FuncType{{}},
		Imports:  []wasm.Import{{Module: "env", Name: "ready", Kind: wasm.ExternFunc, Func: 0}},
		Funcs:    []uint32{0},
		Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1}}},
		Exports:  []wasm.Export{{Name: "spin", Kind: wasm.ExternFunc, Index: 1}},
		Codes: []wasm.Code{{Body: []byte{
			0x10, 0x00, // call ready
			0x03, 0x40, // loop
			0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, // i32.const 0; i32.load; drop
			0x0c, 0x00, // br 0
			0x0b, 0x0b,
		}}},
	}
}

// TestClose_duringCall closes the runtime, or the module, while a call
// runs in it: the call ends with "module closed", and the process does
// not fault on the unmapped memory.
func TestClose_duringCall(t *testing.T) {
	configs := []struct {
		name string
		cfg  RuntimeConfig
	}{
		{"interp", RuntimeConfig{Tier: TierInterp}},
		{"compiled", RuntimeConfig{Tier: TierCompiled}},
		{"micro-vm", RuntimeConfig{Isolation: IsolationVM}},
	}
	for _, c := range configs {
		for _, what := range []string{"runtime", "module"} {
			t.Run(c.name+"/"+what, func(t *testing.T) {
				if err := c.cfg.Tier.Available(); err != nil {
					t.Skip(err)
				}
				if err := c.cfg.Isolation.Available(); err != nil {
					t.Skip(err)
				}
				ctx := context.Background()
				r := NewRuntime(ctx, c.cfg)
				defer r.Close(ctx)
				ready := make(chan struct{}, 1)
				_, err := r.NewHostModuleBuilder("env").NewFunctionBuilder().
					WithGoModuleFunction(func(context.Context, api.Module, []uint64) error {
						ready <- struct{}{}
						return nil
					}, nil, nil).Export("ready").Instantiate(ctx)
				if err != nil {
					t.Fatal(err)
				}
				mod, err := r.Instantiate(ctx, encode(spinner()))
				if err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() {
					_, err := mod.ExportedFunction("spin").Call(ctx)
					done <- err
				}()
				<-ready
				time.Sleep(10 * time.Millisecond) // into the loop
				if what == "runtime" {
					r.Close(ctx)
				} else {
					mod.Close(ctx)
				}
				select {
				case err = <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("the call still runs 10 s after Close")
				}
				var tr *api.Trap
				if !errors.As(err, &tr) || tr.Kind != api.TrapModuleClosed {
					t.Fatalf("call ended with %v, want a module closed trap", err)
				}
				// A call after Close does not start.
				if _, err := mod.ExportedFunction("spin").Call(ctx); !errors.As(err, &tr) || tr.Kind != api.TrapModuleClosed {
					t.Fatalf("call after Close: %v, want a module closed trap", err)
				}
			})
		}
	}
}
