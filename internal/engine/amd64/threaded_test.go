package amd64

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestThreadedDispatch runs a state machine in the shape Go's compiler
// gives every loop (a br_table on a state local at the loop's head,
// each state setting the next and jumping back), with a call in it so
// that no slot is pinned, and checks both its result and that its jumps
// went to their states directly.
func TestThreadedDispatch(t *testing.T) {
	const state, acc, n = 1, 2, 0
	body := wcode(
		wloop(wvoid), wblock(wvoid), wblock(wvoid), wblock(wvoid),
		wget(state), wop(wasm.OpBrTable), []byte{2, 0, 1, 2}, wend,
		// State 0: acc = acc*3 + n; n--; state 2 when n is 0, else 1.
		wget(acc), wi32(3), wop(wasm.OpI32Mul), wget(n), wop(wasm.OpI32Add), wset(acc),
		wget(n), wi32(1), wop(wasm.OpI32Sub), wtee(n), wop(wasm.OpI32Eqz),
		wif(wvoid), wi32(2), wset(state), wbr(3), wend,
		wi32(1), wset(state), wbr(2), wend,
		// State 1: acc ^= acc >> 3, a call, then state 0.
		wget(acc), wget(acc), wi32(3), wop(wasm.OpI32ShrU), wop(wasm.OpI32Xor), wset(acc),
		wcall(1), wi32(0), wset(state), wbr(1), wend,
		// State 2, the default: the result.
		wget(acc), wop(wasm.OpReturn), wend, wop(wasm.OpUnreachable))
	m := tmod{funcs: []tfn{
		/* 0 */ {name: "f", params: vts(vI32), results: vts(vI32), locals: []wasm.LocalGroup{{Count: 2, Type: vI32}}, body: body},
		/* 1 */ {body: wcode()},
	}}.build(t)

	threaded := 0
	traceThreaded = func(fn *ir.Func, _ int) {
		if fn.FuncIndex == 0 {
			threaded++
		}
	}
	defer func() { traceThreaded = nil }()
	e := New(Config{})
	s := store.New()
	inst := compiledInstance(t, e, s, m, "test")
	if threaded != 3 {
		t.Errorf("%d jumps threaded, want 3", threaded)
	}
	for _, arg := range []uint32{1, 2, 7, 1000} {
		want := uint32(0)
		for k := arg; ; {
			want = want*3 + k
			if k--; k == 0 {
				break
			}
			want ^= want >> 3
		}
		got, err := invoke(context.Background(), e, exported(t, inst, "f"), uint64(arg))
		if err != nil {
			t.Fatal(err)
		}
		if uint32(got[0]) != want {
			t.Errorf("f(%d) = %#x, want %#x", arg, got[0], want)
		}
	}
}
