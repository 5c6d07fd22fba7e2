package binary

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// deferredToValidation lists the binary assert_malformed modules whose
// malformation is inside a function body, where the decoder does not
// look (see the package documentation): the validator, which walks every
// body, reports them. The test checks that each decodes, and that an
// instruction walk of its bodies (walkBodies) finds the expected error.
var deferredToValidation = map[string]string{
	"binary.41.wasm":        "memory.grow's reserved byte is 0x01",
	"binary.42.wasm":        "memory.grow's reserved byte is a 2-byte LEB128 zero",
	"binary.43.wasm":        "memory.grow's reserved byte is a 3-byte LEB128 zero",
	"binary.44.wasm":        "memory.grow's reserved byte is a 4-byte LEB128 zero",
	"binary.45.wasm":        "memory.grow's reserved byte is a 5-byte LEB128 zero",
	"binary.46.wasm":        "memory.size's reserved byte is 0x01",
	"binary.47.wasm":        "memory.size's reserved byte is a 2-byte LEB128 zero",
	"binary.48.wasm":        "memory.size's reserved byte is a 3-byte LEB128 zero",
	"binary.49.wasm":        "memory.size's reserved byte is a 4-byte LEB128 zero",
	"binary.50.wasm":        "memory.size's reserved byte is a 5-byte LEB128 zero",
	"binary.64.wasm":        "memory.init in a body without a data count section",
	"binary.65.wasm":        "data.drop in a body without a data count section",
	"binary-leb128.41.wasm": "an i32.load alignment LEB128 of 6 bytes in a body",
	"binary-leb128.42.wasm": "an i32.store alignment LEB128 of 6 bytes in a body",
	"binary-leb128.67.wasm": "an i32.load alignment LEB128 with unused bits set in a body",
	"binary-leb128.68.wasm": "an i32.load alignment LEB128 with some unused bits set in a body",
	"binary-leb128.69.wasm": "an i32.store alignment LEB128 with unused bits set in a body",
	"binary-leb128.70.wasm": "an i32.store alignment LEB128 with some unused bits set in a body",
	"binary-leb128.82.wasm": "a 0xfc sub-opcode LEB128 of 6 bytes in a body",
	"binary.109.wasm": "a br_table whose target count is one less than given, " +
		"so the body's blocks are left open",
}

// TestDecode_Spec decodes every binary module of the spec test suite:
// modules the scripts load and modules they expect to be invalid,
// unlinkable or uninstantiable must decode; malformed modules must fail
// with the expected message, or be listed in deferredToValidation.
func TestDecode_Spec(t *testing.T) {
	counts := map[string]int{}
	var failed int
	for _, b := range testshared.SpecModules(t) {
		if b.ModuleType == "text" {
			continue
		}
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		where := fmt.Sprintf("%s:%d (%s)", b.Script, b.Line, b.Filename)
		m, err := Decode(data)
		switch b.Type {
		case "module", "assert_invalid", "assert_unlinkable", "assert_uninstantiable":
			if err != nil {
				t.Errorf("%s: %s: decode: %v", where, b.Type, err)
				failed++
				continue
			}
			counts[b.Type]++
		case "assert_malformed":
			if reason, ok := deferredToValidation[b.Filename]; ok {
				if err != nil {
					t.Errorf("%s: deferred to validation (%s), but decode failed: %v", where, reason, err)
					failed++
					continue
				}
				if werr := walkBodies(m); werr == nil || !strings.Contains(werr.Error(), b.Text) {
					t.Errorf("%s: deferred to validation (%s): walking the bodies gave %v, want %q", where, reason, werr, b.Text)
					failed++
					continue
				}
				counts["assert_malformed deferred to validation"]++
				continue
			}
			var fe *wasm.FormatError
			switch {
			case err == nil:
				t.Errorf("%s: decoded, want malformed %q", where, b.Text)
				failed++
				continue
			case !errors.As(err, &fe):
				t.Errorf("%s: error %v is %T, want *wasm.FormatError", where, err, err)
				failed++
				continue
			case !strings.Contains(err.Error(), b.Text):
				t.Errorf("%s: error %q, want it to contain %q", where, err, b.Text)
				failed++
				continue
			}
			counts["assert_malformed"]++
		default:
			t.Errorf("%s: unexpected command type %s with a binary module", where, b.Type)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		t.Logf("%-40s %5d passed", k, counts[k])
	}
	if failed > 0 {
		t.Logf("%d failed", failed)
	}
}

// walkBodies walks every function body of m with wasm.Reader the way a
// validator does before typing (nesting, the final end, the data count
// rule) and returns the first malformation.
func walkBodies(m *wasm.Module) error {
	var rd wasm.Reader
	var in wasm.Instr
	for i := range m.Codes {
		c := &m.Codes[i]
		rd.Reset(c.Body, c.BodyOffset)
		depth := 0
		for depth >= 0 {
			if err := rd.Next(&in); err != nil {
				return err
			}
			switch in.Op {
			case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
				depth++
			case wasm.OpEnd:
				depth--
			case wasm.OpMemoryInit, wasm.OpDataDrop:
				if !m.HasDataCount {
					return errors.New("data count section required")
				}
			}
		}
		if !rd.EOF() {
			return errors.New("END opcode expected")
		}
	}
	return nil
}
