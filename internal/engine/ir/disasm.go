package ir

import (
	"fmt"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// String is the opcode's name: the constant's without "Op" for scalar
// opcodes, the WebAssembly mnemonic for SIMD ones.
func (op Opcode) String() string {
	if op >= OpSIMD {
		return (wasm.Opcode(op-OpSIMD) | 0xfd00).String()
	}
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return fmt.Sprintf("op(%d)", uint16(op))
}

// String lists the function's instructions, one per line, with branch
// targets as instruction indices: a debugging aid and what tests compare
// compiled code against.
func (fn *Func) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "func[%d] params=%d locals=%d frame=%d\n", fn.FuncIndex, fn.ParamSlots, fn.LocalSlots, fn.FrameSlots)
	for i, in := range fn.Code {
		fmt.Fprintf(&b, "%4d %-14s", i, in.Op)
		if IsBranch(in.Op) {
			fmt.Fprintf(&b, " ->%d", in.Target(i))
			if in.Op != OpJmp && in.Op != OpBrTableEntry {
				fmt.Fprintf(&b, " b=%d c=%d imm=%d", in.B, in.C, int64(in.Imm))
			}
		} else {
			fmt.Fprintf(&b, " a=%d b=%d c=%d imm=%d", in.A, in.B, in.C, int64(in.Imm))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
