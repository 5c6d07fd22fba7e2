package validate

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// malformedBinaries are assert_invalid modules whose binary, as wast2json
// wrote it, is malformed: the text module uses data.drop or memory.init
// but has no data segment, so wast2json left out the data count section,
// which the binary format requires for those instructions. The script
// tests the text module's validation; its binary must fail with the
// malformation (wabt's own wasm-validate reports the same).
var malformedBinaries = map[string]string{
	"memory_init.4.wasm": "data count section required",
	"memory_init.9.wasm": "data count section required",
}

// TestModule_SpecSuite runs the WebAssembly 2.0 spec test suite's module
// commands through decode and validation: every module the scripts load
// (including those that later fail to link or instantiate) must validate,
// every assert_invalid module must decode and then fail validation with
// the expected text, and every binary assert_malformed module must fail
// decoding or validation with the expected text. Text-format modules need
// a WAT parser and are only counted.
func TestModule_SpecSuite(t *testing.T) {
	counts := map[string]int{}
	for _, s := range testshared.SpecModules(t) {
		if s.ModuleType == "text" {
			counts[s.Type+" (text format, skipped)"]++
			continue
		}
		data, err := os.ReadFile(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		m, decErr := binary.Decode(data)
		var valErr error
		if decErr == nil {
			valErr = Module(m, nil)
		}
		switch s.Type {
		case "module", "assert_unlinkable", "assert_uninstantiable", "assert_trap", "assert_exhaustion", "assert_return":
			if decErr != nil || valErr != nil {
				t.Errorf("%s: %s: want valid, got decode error %v, validation error %v", s.Where(), s.Type, decErr, valErr)
				continue
			}
			counts[s.Type+" validates"]++
		case "assert_invalid":
			var e *Error
			var fe *wasm.FormatError
			if text, ok := malformedBinaries[s.Filename]; ok {
				if !errors.As(valErr, &fe) || !strings.Contains(valErr.Error(), text) {
					t.Errorf("%s: assert_invalid of a binary without data count section: got %v, want %q", s.Where(), valErr, text)
				}
				counts["assert_invalid whose binary lacks the data count section fails as malformed"]++
				continue
			}
			switch {
			case decErr != nil:
				t.Errorf("%s: assert_invalid %q: decode failed: %v", s.Where(), s.Text, decErr)
			case !errors.As(valErr, &e):
				t.Errorf("%s: assert_invalid %q: got %T %v, want *validate.Error", s.Where(), s.Text, valErr, valErr)
			case !strings.Contains(valErr.Error(), s.Text):
				t.Errorf("%s: assert_invalid: got %q, want text %q", s.Where(), valErr, s.Text)
			default:
				counts["assert_invalid fails validation with the expected text"]++
			}
		case "assert_malformed":
			err := decErr
			if err == nil {
				err = valErr
			}
			var fe *wasm.FormatError
			switch {
			case err == nil:
				t.Errorf("%s: assert_malformed %q: decoded and validated", s.Where(), s.Text)
			case !errors.As(err, &fe):
				t.Errorf("%s: assert_malformed %q: got %T %v, want *wasm.FormatError", s.Where(), s.Text, err, err)
			case !strings.Contains(err.Error(), s.Text):
				t.Errorf("%s: assert_malformed: got %q, want text %q", s.Where(), err, s.Text)
			case decErr == nil:
				counts["assert_malformed (binary) fails in validation with the expected text"]++
			default:
				counts["assert_malformed (binary) fails in decoding with the expected text"]++
			}
		default:
			t.Errorf("%s: unexpected command %s with a module", s.Where(), s.Type)
		}
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%6d %s", counts[k], k)
	}
}
