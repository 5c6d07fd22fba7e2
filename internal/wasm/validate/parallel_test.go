package validate

import (
	"errors"
	"runtime"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestFunctionsParallel checks that bodies validated on several
// goroutines report what validating them in order would: the first
// invalid body's error.
func TestFunctionsParallel(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 3 * parallelMin
	for _, tt := range []struct {
		name    string
		invalid []int
	}{
		{"valid", nil},
		{"first body", []int{0}},
		{"last body", []int{n - 1}},
		{"two, far apart", []int{parallelChunk + 3, n - 2}},
		{"two in one chunk", []int{parallelMin + 9, parallelMin + 5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &wasm.Module{}
			ft := sig(nil, vt(wasm.ValueTypeI32))
			for range n {
				addFunc(m, ft, nil, cat(i32c(1), op(wasm.OpEnd))...)
			}
			first := -1
			for _, i := range tt.invalid {
				m.Codes[i].Body = op(wasm.OpEnd) // no result
				if first < 0 || i < first {
					first = i
				}
			}
			for range 20 { // the race between goroutines differs each time
				err := Module(m, nil)
				var verr *Error
				switch {
				case first < 0 && err != nil:
					t.Fatalf("valid module: %v", err)
				case first >= 0 && (!errors.As(err, &verr) || verr.Func != int64(first)):
					t.Fatalf("error %v, want one in function %d", err, first)
				}
			}
		})
	}
}
