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
		for _, e := range engines {
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

// TestAgree checks that the engines compute the same results.
func TestAgree(t *testing.T) {
	ctx := context.Background()
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			p.arg = min(p.arg, 20)
			var want uint64
			for i, e := range engines {
				r, err := e.new(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				defer r.close(ctx)
				got, err := r.run(ctx)
				if err != nil {
					t.Fatalf("%s: %v", e.name, err)
				}
				if i == 0 {
					want = got
				} else if got != want {
					t.Fatalf("%s %d, %s %d", engines[0].name, want, e.name, got)
				}
			}
		})
	}
}
