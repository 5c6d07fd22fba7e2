package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// specCommand is the part of a wast2json command this test uses.
type specCommand struct {
	Type       string `json:"type"`
	Line       int    `json:"line"`
	Filename   string `json:"filename"`
	Text       string `json:"text"`
	ModuleType string `json:"module_type"`
}

// specModule is one binary module a spec script names, with what the
// script expects of it.
type specModule struct {
	specCommand
	script string
	path   string
}

func (s *specModule) where() string { return fmt.Sprintf("%s:%d %s", s.script, s.Line, s.Filename) }

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

// specModules returns every binary module of the spec scripts.
func specModules(t testing.TB) []specModule {
	t.Helper()
	dir := testshared.Path(t, "testdata", "spec", "json")
	scripts, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatalf("no spec scripts in %s", dir)
	}
	var out []specModule
	for _, script := range scripts {
		raw, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		var s struct{ Commands []specCommand }
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		for _, c := range s.Commands {
			if !strings.HasSuffix(c.Filename, ".wasm") {
				continue
			}
			out = append(out, specModule{specCommand: c, script: filepath.Base(script), path: filepath.Join(dir, c.Filename)})
		}
	}
	return out
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
	for _, s := range specModules(t) {
		if s.ModuleType == "text" {
			counts[s.Type+" (text format, skipped)"]++
			continue
		}
		data, err := os.ReadFile(s.path)
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
				t.Errorf("%s: %s: want valid, got decode error %v, validation error %v", s.where(), s.Type, decErr, valErr)
				continue
			}
			counts[s.Type+" validates"]++
		case "assert_invalid":
			var e *Error
			var fe *wasm.FormatError
			if text, ok := malformedBinaries[s.Filename]; ok {
				if !errors.As(valErr, &fe) || !strings.Contains(valErr.Error(), text) {
					t.Errorf("%s: assert_invalid of a binary without data count section: got %v, want %q", s.where(), valErr, text)
				}
				counts["assert_invalid whose binary lacks the data count section fails as malformed"]++
				continue
			}
			switch {
			case decErr != nil:
				t.Errorf("%s: assert_invalid %q: decode failed: %v", s.where(), s.Text, decErr)
			case !errors.As(valErr, &e):
				t.Errorf("%s: assert_invalid %q: got %T %v, want *validate.Error", s.where(), s.Text, valErr, valErr)
			case !strings.Contains(valErr.Error(), s.Text):
				t.Errorf("%s: assert_invalid: got %q, want text %q", s.where(), valErr, s.Text)
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
				t.Errorf("%s: assert_malformed %q: decoded and validated", s.where(), s.Text)
			case !errors.As(err, &fe):
				t.Errorf("%s: assert_malformed %q: got %T %v, want *wasm.FormatError", s.where(), s.Text, err, err)
			case !strings.Contains(err.Error(), s.Text):
				t.Errorf("%s: assert_malformed: got %q, want text %q", s.where(), err, s.Text)
			case decErr == nil:
				counts["assert_malformed (binary) fails in validation with the expected text"]++
			default:
				counts["assert_malformed (binary) fails in decoding with the expected text"]++
			}
		default:
			t.Errorf("%s: unexpected command %s with a module", s.where(), s.Type)
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
