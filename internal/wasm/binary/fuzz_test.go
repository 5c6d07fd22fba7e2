package binary

import (
	"errors"
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// FuzzDecode checks that Decode never panics or hangs and fails only with
// a *wasm.FormatError that points into the input, and that every module
// it returns survives a round trip through Encode. It is seeded with the
// spec test suite's binaries, valid and malformed.
func FuzzDecode(f *testing.F) {
	for _, b := range testshared.SpecModules(f) {
		data, err := os.ReadFile(b.Path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(Encode(handBuilt()))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			var fe *wasm.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *wasm.FormatError", err, err)
			}
			if fe.Offset > uint64(len(data)) {
				t.Fatalf("error %q points past the input's %d bytes", err, len(data))
			}
			return
		}
		checkRoundTrip(t, m)
	})
}
