package spectest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// TestSpec runs every script of the WebAssembly 2.0 spec test suite on
// every tier the host offers and fails on any failed command.
func TestSpec(t *testing.T) {
	files, err := filepath.Glob(testshared.Path(t, "testdata", "spec", "json", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no spec scripts found")
	}
	tiers := []wasmvisor.Tier{wasmvisor.TierInterp}
	if wasmvisor.DefaultTier() == wasmvisor.TierCompiled {
		tiers = append(tiers, wasmvisor.TierCompiled)
	}
	for _, tier := range tiers {
		t.Run(tier.String(), func(t *testing.T) {
			var total Result
			for _, f := range files {
				name := strings.TrimSuffix(filepath.Base(f), ".json")
				t.Run(name, func(t *testing.T) {
					res, err := RunFileWith(context.Background(), f, wasmvisor.RuntimeConfig{Tier: tier})
					if err != nil {
						t.Fatal(err)
					}
					for _, fl := range res.Failures {
						t.Error(fl)
					}
					total.Add(res)
				})
			}
			t.Logf("%d scripts: %d passed, %d failed, %d skipped", len(files), total.Passed, total.Failed, total.Skipped)
		})
	}
}
