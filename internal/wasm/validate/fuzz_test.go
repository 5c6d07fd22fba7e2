package validate

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// FuzzValidate decodes and validates arbitrary bytes, seeded with every
// binary of the spec suite. Validation must never panic or hang, and its
// error must be one of the three documented types.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"))
	seeds, err := filepath.Glob(testshared.Path(f, "testdata", "spec", "json", "*.wasm"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	policy := DefaultPolicy()
	policy.MaxMemoryPages = Max(16)
	policy.Disabled = SIMD
	policy.AllowImports = []string{"spectest.*", "env.*"}
	f.Fuzz(func(t *testing.T, data []byte) {
		// The fuzzer has no per-input time limit; a generous one here
		// turns a hang (say, work quadratic in a count) into a failure the
		// fuzzer saves, without flaking on a loaded machine.
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("decoding and validating %d bytes took %v", len(data), d)
			}
		}()
		m, err := binary.Decode(data)
		if err != nil {
			return
		}
		for _, p := range []*Policy{nil, policy} {
			err := Module(m, p)
			var (
				e  *Error
				pe *PolicyError
				fe *wasm.FormatError
			)
			if err != nil && !errors.As(err, &e) && !errors.As(err, &pe) && !errors.As(err, &fe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if p == nil && pe != nil {
				t.Fatalf("policy error without a policy: %v", err)
			}
		}
	})
}
