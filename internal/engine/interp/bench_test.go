package interp

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The benchmarks measure the dispatch loop on the three things guests
// spend their time on: arithmetic in loops, memory and calls.

func benchmark(b *testing.B, f fn, want uint64, args ...uint64) {
	e := New(Config{})
	inst := instance(b, e, store.New(), module(b, true, f))
	ctx := context.Background()
	for b.Loop() {
		got, err := invoke(ctx, e, inst, f.name, args...)
		if err != nil {
			b.Fatal(err)
		}
		if got[0] != want {
			b.Fatalf("got %d, want %d", got[0], want)
		}
	}
}

// BenchmarkLoop sums i*i for i from n down to 1.
func BenchmarkLoop(b *testing.B) {
	benchmark(b, fn{name: "f", params: vt(i32), results: vt(i64), locals: []wasm.LocalGroup{{Count: 1, Type: i64}}, body: code(
		loop(empty),
		lget(1), lget(0), op(wasm.OpI64ExtendI32U), lget(0), op(wasm.OpI64ExtendI32U), op(wasm.OpI64Mul), op(wasm.OpI64Add), lset(1),
		lget(0), i32c(1), op(wasm.OpI32Sub), ltee(0), brIf(0),
		end, lget(1))}, 333338333350000, 100000)
}

// BenchmarkMemory stores n words and sums them back.
func BenchmarkMemory(b *testing.B) {
	benchmark(b, fn{name: "f", params: vt(i32), results: vt(i32), locals: []wasm.LocalGroup{{Count: 2, Type: i32}}, body: code(
		loop(empty),
		lget(1), i32c(2), op(wasm.OpI32Shl), lget(1), mem(wasm.OpI32Store, 0),
		lget(1), i32c(1), op(wasm.OpI32Add), ltee(1), lget(0), op(wasm.OpI32LtU), brIf(0),
		end,
		loop(empty),
		lget(1), i32c(1), op(wasm.OpI32Sub), ltee(1),
		i32c(2), op(wasm.OpI32Shl), mem(wasm.OpI32Load, 0), lget(2), op(wasm.OpI32Add), lset(2),
		lget(1), brIf(0),
		end, lget(2))}, 8386560, 4096)
}

// BenchmarkCalls computes fib(20) recursively.
func BenchmarkCalls(b *testing.B) {
	benchmark(b, fn{name: "f", params: vt(i32), results: vt(i32), body: code(
		lget(0), i32c(2), op(wasm.OpI32LtU), iff(ti32),
		lget(0),
		els,
		lget(0), i32c(1), op(wasm.OpI32Sub), call(0),
		lget(0), i32c(2), op(wasm.OpI32Sub), call(0),
		op(wasm.OpI32Add),
		end)}, 6765, 20)
}
