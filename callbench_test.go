package wasmvisor

import (
	"context"
	"testing"
)

// BenchmarkCall measures a call from Go into a function that does
// almost nothing: the fixed cost of entering and leaving each tier.
func BenchmarkCall(b *testing.B) {
	for _, tier := range []Tier{TierInterp, TierCompiled} {
		b.Run(tier.String(), func(b *testing.B) {
			if err := tier.Available(); err != nil {
				b.Skip(err)
			}
			ctx := context.Background()
			r := NewRuntime(ctx, RuntimeConfig{Tier: tier})
			defer r.Close(ctx)
			mod, err := r.Instantiate(ctx, encode(counter()))
			if err != nil {
				b.Fatal(err)
			}
			inc := mod.ExportedFunction("inc")
			for b.Loop() {
				if _, err := inc.Call(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
