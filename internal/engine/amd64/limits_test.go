package amd64

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestEngine_manyParamsSmallStack: a function with more params than the
// value stack holds traps before its params are copied, rather than
// writing past the stack.
func TestEngine_manyParamsSmallStack(t *testing.T) {
	params := make([]wasm.ValueType, 600)
	for i := range params {
		params[i] = vI64
	}
	e := New(Config{MaxStackBytes: 4096})
	inst := compiledInstance(t, e, store.New(), tmod{funcs: []tfn{
		{name: "last", params: params, results: vts(vI64), body: wcode(wget(599))},
	}}.build(t), "test")
	f := exported(t, inst, "last")
	err := e.Call(context.Background(), f, make([]uint64, len(params)))
	if kindOf(err) != api.TrapCallStackExhausted {
		t.Fatalf("got %v, want call stack exhausted", err)
	}
	// With room, the same call works.
	e = New(Config{MaxStackBytes: 64 << 10})
	inst = compiledInstance(t, e, store.New(), tmod{funcs: []tfn{
		{name: "last", params: params, results: vts(vI64), body: wcode(wget(599))},
	}}.build(t), "test")
	stack := make([]uint64, len(params))
	stack[599] = 42
	if err := e.Call(context.Background(), exported(t, inst, "last"), stack); err != nil || stack[0] != 42 {
		t.Fatalf("got %d, %v; want 42", stack[0], err)
	}
}
