package validate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Location says where in a module a rule was broken.
type Location struct {
	// Where names the entity: `func[3] "name"`, `global[1]`, `elem[0]`,
	// `export[2] "f"`, `import[0] "env"."f"`, `memory[0]`, `start`, `module`.
	Where string
	// Func is the index of the function whose body holds the error, or -1.
	Func int64
	// Offset is the module byte offset of the offending instruction or
	// entry, or 0 when unknown (no rule can fail at offset 0, the magic).
	Offset uint64
	// Op is the offending instruction, meaningful when HasOp.
	Op    wasm.Opcode
	HasOp bool
}

func (l *Location) prefix() string {
	instr := ""
	if l.HasOp {
		instr = l.Op.String()
	}
	return FormatLocation(l.Where, l.Offset, instr)
}

// FormatLocation formats a location as error messages start, the one
// format of this package's errors and the public API's:
// `func[3] "name" at offset 0x1f4 (i32.add)`. A zero offset and an
// empty instruction are left out.
func FormatLocation(where string, offset uint64, instruction string) string {
	var b strings.Builder
	b.WriteString(where)
	if offset != 0 {
		b.WriteString(" at offset 0x")
		b.WriteString(strconv.FormatUint(offset, 16))
	}
	if instruction != "" {
		b.WriteString(" (" + instruction + ")")
	}
	return b.String()
}

// Error is a violation of a WebAssembly 2.0 validation rule, for example
//
//	func[3] "name" at offset 0x1f4 (i32.add): type mismatch: expected i32, got f64
//
// Rule starts with the spec test suite's wording of the rule.
type Error struct {
	Location
	Rule string
}

func (e *Error) Error() string { return e.prefix() + ": " + e.Rule }

// PolicyError is a module that is valid WebAssembly but breaks the
// runtime Policy, for example
//
//	memory[0]: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)
//
// Flag is the `-W` setting responsible, so a user knows what to change.
type PolicyError struct {
	Location
	Rule string
	// Value and Limit are the offending quantity and the limit it broke;
	// both are zero for rules that are not limits (features, imports).
	Value, Limit uint64
	Flag         string
}

func (e *PolicyError) Error() string {
	return e.prefix() + ": " + e.Rule + " (" + e.Flag + ")"
}

// funcWhere names function idx with its name-section name if it has one.
func funcWhere(m *wasm.Module, idx uint32) string {
	if name := m.FuncName(idx); name != "" {
		return fmt.Sprintf("func[%d] %q", idx, name)
	}
	return fmt.Sprintf("func[%d]", idx)
}

// plural formats n with unit, adding "s" unless n is 1: "1 page", "4 pages".
func plural(n uint64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatUint(n, 10) + " " + unit + "s"
}
