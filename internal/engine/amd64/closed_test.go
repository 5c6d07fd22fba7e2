package amd64

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestEngineClosedInstance: a call into an instance that was closed,
// whose memory is unmapped, traps "module closed", whether it is reached
// through an import or a table, and so does returning into an instance
// a host function closed.
func TestEngineClosedInstance(t *testing.T) { forTargets(t, testEngineClosedInstance) }

func testEngineClosedInstance(t *testing.T, newEngine func(Config) *Engine) {
	e := newEngine(Config{})
	s := store.New()
	sig := wasm.FuncType{Params: vts(vI32), Results: vts(vI32)}
	// other.touch writes and reads its own memory.
	other := compiledInstance(t, e, s, tmod{memory: &wasm.Limits{Min: 1}, funcs: []tfn{
		{name: "touch", params: vts(vI32), results: vts(vI32), body: wcode(
			wi32(0), wget(0), wmem(wasm.OpI32Store, 0), wi32(0), wmem(wasm.OpI32Load, 0))},
	}}.build(t), "other")
	if err := s.Register("other", other); err != nil {
		t.Fatal(err)
	}
	var victim *store.Instance
	hostInstance(t, s, "env", store.HostFunc{Export: "close_caller", Type: sig,
		Fn: func(context.Context, api.Module, []uint64) error { victim.Close(); return nil }})
	inst := compiledInstance(t, e, s, tmod{
		types:   []wasm.FuncType{sig},
		imports: []timport{{"other", "touch", vts(vI32), vts(vI32)}, {"env", "close_caller", vts(vI32), vts(vI32)}},
		funcs: []tfn{
			/* 2 */ {name: "direct", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wcall(0))},
			/* 3 */ {name: "indirect", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wi32(0), wcallInd(0))},
		},
		tableSize: 1,
		elems:     []uint32{0},
	}.build(t), "test")
	for _, name := range []string{"direct", "indirect"} {
		if got, err := invoke(context.Background(), e, exported(t, inst, name), 7); err != nil || got[0] != 7 {
			t.Fatalf("%s before close: %v, %v", name, got, err)
		}
	}
	other.Close()
	for _, name := range []string{"direct", "indirect"} {
		_, err := invoke(context.Background(), e, exported(t, inst, name), 7)
		if kindOf(err) != api.TrapModuleClosed {
			t.Errorf("%s after the callee's instance closed: %v, want module closed", name, err)
		}
	}

	// A module whose function calls, through another compiled module, a
	// host function that closes the first: returning into it traps.
	mid := compiledInstance(t, e, s, tmod{
		imports: []timport{{"env", "close_caller", vts(vI32), vts(vI32)}},
		funcs:   []tfn{{name: "relay", params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wcall(0))}},
	}.build(t), "mid")
	if err := s.Register("mid", mid); err != nil {
		t.Fatal(err)
	}
	victim = compiledInstance(t, e, s, tmod{
		memory:  &wasm.Limits{Min: 1},
		imports: []timport{{"mid", "relay", vts(vI32), vts(vI32)}},
		funcs: []tfn{{name: "f", params: vts(vI32), results: vts(vI32), body: wcode(
			wget(0), wcall(0), wi32(0), wmem(wasm.OpI32Load, 0), wop(wasm.OpI32Add))}},
	}.build(t), "victim")
	_, err := invoke(context.Background(), e, exported(t, victim, "f"), 1)
	if kindOf(err) != api.TrapModuleClosed {
		t.Errorf("returning into a closed instance: %v, want module closed", err)
	}
}
