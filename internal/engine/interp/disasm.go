package interp

import (
	"fmt"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func (op opcode) String() string {
	if op >= opSIMD {
		return (wasm.Opcode(op-opSIMD) | 0xfd00).String()
	}
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return fmt.Sprintf("op(%d)", uint16(op))
}

// String lists the function's instructions, one per line, with branch
// targets as instruction indices: a debugging aid and what tests compare
// compiled code against.
func (fn *function) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "func[%d] params=%d locals=%d frame=%d\n", fn.funcIndex, fn.paramSlots, fn.localSlots, fn.frameSlots)
	for i, in := range fn.code {
		fmt.Fprintf(&b, "%4d %-14s", i, in.op)
		if isBranch(in.op) {
			fmt.Fprintf(&b, " ->%d", i+1+int(int32(in.a))/int(instrSize))
			if in.op != opJmp && in.op != opBrTableEntry {
				fmt.Fprintf(&b, " b=%d c=%d imm=%d", in.b, in.c, int64(in.imm))
			}
		} else {
			fmt.Fprintf(&b, " a=%d b=%d c=%d imm=%d", in.a, in.b, in.c, int64(in.imm))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
