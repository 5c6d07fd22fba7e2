package amd64

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// loopEdgeCases are loops shaped for the corners of pinning slots to
// registers for a loop's extent (loops.go), and whether each must pin.
func loopEdgeCases() (cases []edgeCase, pinned []bool) {
	const (
		get   = wasm.OpLocalGet
		set   = wasm.OpLocalSet
		tee   = wasm.OpLocalTee
		i32   = wasm.OpI32Const
		void  = byte(0x40)
		block = wasm.OpBlock
		loop  = wasm.OpLoop
		end   = wasm.OpEnd
	)
	ii := []wasm.ValueType{tI32, tI32}
	add := func(c edgeCase, pins bool) {
		cases = append(cases, c)
		pinned = append(pinned, pins)
	}
	// br_if out of a block nested in the loop, past the loop's own
	// block; a branch to a label inside the loop; the pinned locals
	// read after the loop.
	add(edgeCase{"loop left by br_if from a nested block", ii, 2, wb(
		block, void, loop, void, block, void,
		get, byte(3), get, byte(0), wasm.OpI32Xor, get, byte(2), wasm.OpI32Add, set, byte(3),
		get, byte(2), get, byte(1), wasm.OpI32Eq, wasm.OpBrIf, byte(2),
		get, byte(3), i32, 3, wasm.OpI32Rotl, set, byte(3),
		get, byte(2), i32, 7, wasm.OpI32And, wasm.OpI32Eqz, wasm.OpBrIf, byte(0),
		get, byte(3), i32, 1, wasm.OpI32Add, set, byte(3),
		end,
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 200, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end, end,
		get, byte(3), get, byte(2), wasm.OpI32Mul)}, true)
	// br_table whose entries go round the loop, out to the block after
	// it, and out past that block.
	add(edgeCase{"loop with br_table in and out", ii, 2, wb(
		block, void, block, void, loop, void,
		get, byte(3), get, byte(2), wasm.OpI32Add, get, byte(0), wasm.OpI32Xor, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, set, byte(2),
		get, byte(2), i32, 300, wasm.OpI32GtU, wasm.OpBrIf, byte(2),
		get, byte(3), get, byte(1), wasm.OpI32Add, i32, 7, wasm.OpI32And,
		wasm.OpBrTable, byte(6), byte(0), byte(0), byte(0), byte(0), byte(0), byte(1), byte(2),
		end, end,
		get, byte(3), i32, 1000, wasm.OpI32Add, set, byte(3),
		end,
		get, byte(3), get, byte(2), wasm.OpI32Sub)}, true)
	// A store that goes out of bounds and a division by zero inside the
	// loop: memory written before the trap must be there.
	add(edgeCase{"loop that traps inside", ii, 2, wb(
		loop, void,
		get, byte(3), get, byte(2), wasm.OpI32Add, set, byte(3),
		get, byte(2), i32, 4, wasm.OpI32Mul, get, byte(0), wasm.OpI32Add, get, byte(3), wasm.OpI32Store, byte(2), byte(0),
		get, byte(3), get, byte(2), get, byte(0), wasm.OpI32Sub, wasm.OpI32DivU, get, byte(3), wasm.OpI32Add, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), get, byte(1), wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(3))}, true)
	// The block before the loop ends at the loop's head: its br_if
	// enters the loop by a branch to the head.
	add(edgeCase{"loop entered by a branch to its head", ii, 2, wb(
		block, void,
		get, byte(0), wasm.OpBrIf, byte(0),
		get, byte(1), i32, 5, wasm.OpI32Add, set, byte(2),
		i32, 9, set, byte(3),
		end,
		loop, void,
		get, byte(2), get, byte(3), wasm.OpI32Add, set, byte(2),
		get, byte(3), i32, 1, wasm.OpI32Add, tee, byte(3), i32, 50, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(2))}, true)
	// The inner loop pins; the outer one, holding a loop head, does
	// not, and reads and resets the inner loop's locals between runs.
	add(edgeCase{"nested loops", ii, 3, wb(
		loop, void,
		i32, 0, set, byte(3),
		loop, void,
		get, byte(3), get, byte(2), wasm.OpI32Add, get, byte(4), wasm.OpI32Xor, set, byte(4),
		get, byte(3), i32, 1, wasm.OpI32Add, tee, byte(3), get, byte(1), i32, 15, wasm.OpI32And, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(4), get, byte(3), wasm.OpI32Mul, get, byte(0), wasm.OpI32Add, set, byte(4),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 20, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(4))}, true)
	// return from inside the loop with a value computed from pinned
	// locals.
	add(edgeCase{"return from inside a loop", ii, 2, wb(
		loop, void,
		get, byte(3), get, byte(0), wasm.OpI32Add, set, byte(3),
		get, byte(3), get, byte(1), wasm.OpI32GtU, wasm.OpIf, void,
		get, byte(3), get, byte(2), wasm.OpI32Sub, wasm.OpReturn,
		end,
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 1000, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(2))}, true)
	// A loop closed by an unconditional br, left by a br_if in its
	// middle, with a constant written to a pinned local on one arm.
	add(edgeCase{"loop closed by br, constants into pinned locals", ii, 3, wb(
		block, void, loop, void,
		get, byte(2), i32, 3, wasm.OpI32RemU, wasm.OpI32Eqz, wasm.OpIf, void,
		i32, 7, set, byte(3),
		wasm.OpElse,
		get, byte(3), get, byte(0), wasm.OpI32Add, set, byte(3),
		end,
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 100, wasm.OpI32GeU, wasm.OpBrIf, byte(1),
		get, byte(3), get, byte(1), wasm.OpI32Xor, set, byte(4),
		wasm.OpBr, byte(0),
		end, end,
		get, byte(3), get, byte(4), wasm.OpI32Add)}, true)
	// 64-bit temporaries round the loop.
	add(edgeCase{"64-bit values in a loop", ii, 2, wb(
		loop, void,
		get, byte(3), wasm.OpI64ExtendI32U, get, byte(0), wasm.OpI64ExtendI32U, wasm.OpI64Mul,
		wasm.OpI64Const, -7046029254386353131, wasm.OpI64Add, wasm.OpI64Const, 29, wasm.OpI64ShrU,
		wasm.OpI32WrapI64, get, byte(2), wasm.OpI32Add, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 64, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(3))}, true)
	// select reading pinned locals and writing one.
	add(edgeCase{"select in a loop", ii, 3, wb(
		loop, void,
		get, byte(3), get, byte(4), get, byte(2), i32, 1, wasm.OpI32And, wasm.OpSelect, set, byte(4),
		get, byte(3), get, byte(0), wasm.OpI32Add, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), get, byte(1), i32, 31, wasm.OpI32And, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(4), get, byte(3), wasm.OpI32Add)}, true)
	// Millions of iterations under the call's deadline, which does not
	// fire: the poll at the head runs every iteration.
	add(edgeCase{"long loop under a deadline", ii, 2, wb(
		loop, void,
		get, byte(3), i32, 5, wasm.OpI32Mul, get, byte(2), wasm.OpI32Xor, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 2000000, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(3))}, true)
	// Loops without memory accesses lend the cache the memory length's
	// register (loopRegion.spareLen); a load and a store after each way
	// out check their bounds against it, at the edge of the memory for
	// some arguments. Ten locals live round the loop, so that the
	// register holds a pin or a temporary.
	rounds := func(n byte) []any {
		var b []any
		for k := byte(2); k < n; k++ {
			b = append(b, get, k, get, k+1, wasm.OpI32Xor, i32, int(k), wasm.OpI32Rotl, get, byte(0), wasm.OpI32Add, set, k)
		}
		return b
	}
	add(edgeCase{"memory-free loop, then memory: fall-through", ii, 10, wb(slices.Concat(
		[]any{loop, void},
		rounds(10),
		[]any{get, byte(11), i32, 1, wasm.OpI32Add, tee, byte(11), i32, 40, wasm.OpI32LtU, wasm.OpBrIf, byte(0), end},
		[]any{get, byte(0), get, byte(3), wasm.OpI32Store, byte(2), byte(0)},
		[]any{get, byte(0), wasm.OpI32Load, byte(2), byte(0), get, byte(2), wasm.OpI32Add, get, byte(7), wasm.OpI32Xor})...)}, true)
	add(edgeCase{"memory-free loop, then memory: br_if and br_table out", ii, 10, wb(slices.Concat(
		[]any{block, void, block, void, loop, void},
		rounds(10),
		[]any{get, byte(2), get, byte(1), wasm.OpI32Eq, wasm.OpBrIf, byte(1)},
		[]any{get, byte(11), i32, 1, wasm.OpI32Add, tee, byte(11), i32, 3, wasm.OpI32And},
		[]any{wasm.OpBrTable, byte(3), byte(0), byte(0), byte(0), byte(2), end, end},
		[]any{get, byte(0), get, byte(5), wasm.OpI32Store, byte(2), byte(0), end},
		[]any{get, byte(0), wasm.OpI32Load, byte(2), byte(0), get, byte(4), wasm.OpI32Add})...)}, true)
	// A call in the loop: not pinned, but the locals the call's
	// argument comes from must be in their slots.
	add(edgeCase{"loop with a call is not pinned", ii, 2, wb(
		loop, void,
		get, byte(2), get, byte(3), wasm.OpI32Store, byte(2), byte(0),
		get, byte(2), wasm.OpCall, byte(0), get, byte(3), wasm.OpI32Add, set, byte(3),
		get, byte(2), i32, 1, wasm.OpI32Add, tee, byte(2), i32, 10, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		end,
		get, byte(3))}, false)
	return cases, pinned
}

// TestLoopPinEdges runs loopEdgeCases on the interpreter and on both
// targets and wants the same results, traps, memory and globals; and
// wants each case that should pin a loop to pin one.
func TestLoopPinEdges(t *testing.T) {
	cases, pinned := loopEdgeCases()
	got := map[uint32]bool{}
	tracePins = func(fn *ir.Func, _ int, pins []pin) {
		if len(pins) > 0 {
			got[fn.FuncIndex] = true
		}
	}
	defer func() { tracePins = nil }()
	diffEdgeCases(t, cases, [][]uint64{{0, 0}, {1, 2}, {5, 0}, {65532, 1}, {65533, 7}, {0x80000000, 0xffffffff}, {12, 65536}, {7, 3}, {3, 40}})
	for i, c := range cases {
		if got[uint32(i+1)] != pinned[i] {
			t.Errorf("%s: pinned %v, want %v", c.name, got[uint32(i+1)], pinned[i])
		}
	}
}

// TestLoopPollResumes sets the interrupt flag again and again while a
// pinned loop runs, without canceling the call: every poll exits to Go
// and resumes, and the loop's values must survive the exits.
func TestLoopPollResumes(t *testing.T) {
	const n = 20_000_000
	e := New(Config{})
	s := store.New()
	inst := compiledInstance(t, e, s, tmod{funcs: []tfn{{
		name: "f", params: vts(vI32), results: vts(vI32),
		locals: []wasm.LocalGroup{{Count: 2, Type: vI32}},
		body: wcode(wloop(wvoid),
			wget(2), wi32(5), wop(wasm.OpI32Mul), wget(1), wop(wasm.OpI32Xor), wget(0), wop(wasm.OpI32Add), wset(2),
			wget(1), wi32(1), wop(wasm.OpI32Add), wtee(1), wi32(n), wop(wasm.OpI32LtU), wbrIf(0),
			wend, wget(2)),
	}}}.build(t), "test")
	want := uint32(0)
	for i := uint32(0); i < n; i++ {
		want = want*5 ^ i + 3
	}
	c, err := e.get()
	if err != nil {
		t.Fatal(err)
	}
	e.put(c)
	var exits atomic.Int32
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Microsecond):
				if atomic.SwapUint32(&c.interrupt, 1) == 0 {
					exits.Add(1)
				}
			}
		}
	}()
	got, err := invoke(context.Background(), e, exported(t, inst, "f"), 3)
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	if uint32(got[0]) != want {
		t.Errorf("got %#x, want %#x", got[0], want)
	}
	if exits.Load() < 3 {
		t.Skipf("only %d polls resumed (the call did not take the pooled context?)", exits.Load())
	}
	t.Logf("%d polls resumed", exits.Load())
}
