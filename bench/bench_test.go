package main

import (
	"context"
	"testing"
)

// BenchmarkPrograms runs each program on each engine; compare with
// benchstat, or run `go run .` for medians and ratios side by side.
func BenchmarkPrograms(b *testing.B) {
	ctx := context.Background()
	for _, p := range programs {
		for _, e := range []struct {
			name string
			new  func(context.Context, program) (runner, error)
		}{{"wasmvisor", newVisor}, {"wazero-interp", newWazero}} {
			b.Run(p.name+"/"+e.name, func(b *testing.B) {
				r, err := e.new(ctx, p)
				if err != nil {
					b.Fatal(err)
				}
				defer r.close(ctx)
				for b.Loop() {
					if _, err := r.run(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestAgree checks that both engines compute the same results.
func TestAgree(t *testing.T) {
	ctx := context.Background()
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			p.arg = min(p.arg, 20)
			v, err := newVisor(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			defer v.close(ctx)
			w, err := newWazero(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			defer w.close(ctx)
			rv, err := v.run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rw, err := w.run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rv != rw {
				t.Fatalf("wasmvisor %d, wazero %d", rv, rw)
			}
		})
	}
}
