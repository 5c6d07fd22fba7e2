package amd64

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// TestJoin_sameCode: a module large enough for every CPU to translate
// pieces of it (join.go) gets the same code and tables every time,
// whatever order the workers finish in; with -race it also checks that
// the workers share nothing they write.
func TestJoin_sameCode(t *testing.T) {
	for _, name := range []string{"regex", "pulldown-cmark"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(testshared.Path(t, "bench", "sightglass", name, "benchmark.wasm"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := binary.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Codes) < 256 {
				t.Fatalf("%d functions: too few to spread over workers", len(m.Codes))
			}
			first, funcs, slow, err := generate(InProcess, m)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				again, funcs2, slow2, err := generate(InProcess, m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.b, again.b) || !reflect.DeepEqual(funcs, funcs2) || !reflect.DeepEqual(slow, slow2) {
					t.Fatal("two translations of the module differ")
				}
			}
		})
	}
}
