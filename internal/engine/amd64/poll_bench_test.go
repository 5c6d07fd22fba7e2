package amd64

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// BenchmarkInterruptChecks measures what the interrupt polls at loop
// heads and function entries cost: the same loops compiled with
// and without them (the micro-VM target has none). Compare the two
// sub-benchmarks' ns/op.
func BenchmarkInterruptChecks(b *testing.B) {
	// sum(n): a counted loop of integer arithmetic, and calls(n): a
	// loop calling a small function, each n iterations.
	m := tmod{funcs: []tfn{
		{name: "sum", params: vts(vI32), results: vts(vI32), locals: []wasm.LocalGroup{{Count: 1, Type: vI32}},
			body: wcode(wloop(wvoid),
				wget(1), wget(0), wget(0), wop(wasm.OpI32Mul), wop(wasm.OpI32Add), wset(1),
				wget(0), wi32(1), wop(wasm.OpI32Sub), wtee(0), wbrIf(0), wend, wget(1))},
		{name: "calls", params: vts(vI32), results: vts(vI32), locals: []wasm.LocalGroup{{Count: 1, Type: vI32}},
			body: wcode(wloop(wvoid),
				wget(1), wget(0), wcall(2), wop(wasm.OpI32Add), wset(1),
				wget(0), wi32(1), wop(wasm.OpI32Sub), wtee(0), wbrIf(0), wend, wget(1))},
		{params: vts(vI32), results: vts(vI32), body: wcode(wget(0), wi32(3), wop(wasm.OpI32Xor))},
	}}.build(b)
	noPolls := *InProcess
	noPolls.PollInterrupts = false
	for _, fn := range []string{"sum", "calls"} {
		for _, tt := range []struct {
			name string
			t    *Target
		}{{"polls", InProcess}, {"no-polls", &noPolls}} {
			b.Run(fn+"/"+tt.name, func(b *testing.B) {
				e := New(Config{Target: tt.t})
				f := exported(b, compiledInstance(b, e, store.New(), m, "bench"), fn)
				stack := make([]uint64, 1)
				for b.Loop() {
					stack[0] = 1 << 20
					if err := e.Call(context.Background(), f, stack); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
