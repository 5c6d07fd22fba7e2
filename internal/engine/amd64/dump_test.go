package amd64

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"golang.org/x/arch/x86/x86asm"
)

// TestDumpCode prints the machine code of the functions of the module
// WASMVISOR_DUMP names whose names (or indices) match WASMVISOR_DUMP_FUNC,
// each slot-form instruction followed by its code: what to read when
// working on the generator's templates.
func TestDumpCode(t *testing.T) {
	file := os.Getenv("WASMVISOR_DUMP")
	if file == "" {
		t.Skip("WASMVISOR_DUMP names no module")
	}
	bin, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m, err := binary.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(os.Getenv("WASMVISOR_DUMP_FUNC"))
	// Funcs are recycled once translated: keep their text and index.
	type mark struct{ pc, off int }
	type traced struct {
		index uint32
		text  []string
		marks []mark
	}
	var order []*traced
	traceInstr = func(fn *ir.Func, pc, off int) {
		if pc == 0 {
			order = append(order, &traced{index: fn.FuncIndex, text: strings.Split(fn.String(), "\n")})
		}
		f := order[len(order)-1]
		f.marks = append(f.marks, mark{pc, off})
	}
	defer func() { traceInstr = nil }()
	mem, funcs, _, err := generate(InProcess, m)
	if err != nil {
		t.Fatal(err)
	}
	code := mem.b
	total := 0
	for _, fn := range order {
		fc := funcs[fn.index-m.NumImportedFuncs()]
		total += int(fc.end - fc.start)
		name := m.FuncName(fn.index)
		if !re.MatchString(name) && !re.MatchString(fmt.Sprint(fn.index)) {
			continue
		}
		fmt.Printf("== func %d %s: %d bytes, %d instructions\n", fn.index, name, fc.end-fc.start, len(fn.marks))
		ms, lines := fn.marks, fn.text
		// The prologue, before the first instruction's mark.
		ms = append([]mark{{pc: -1}}, ms...)
		for k, mk := range ms {
			// The marks are offsets in the function's piece (join.go).
			end := int(fc.end)
			if k+1 < len(ms) {
				end = int(fc.start) + ms[k+1].off
			}
			if mk.pc < 0 {
				fmt.Printf("prologue\n")
			} else {
				fmt.Printf("%s\n", lines[mk.pc+1])
			}
			for off := int(fc.start) + mk.off; off < end; {
				inst, err := x86asm.Decode(code[off:end], 64)
				if err != nil {
					fmt.Printf("\t%06x\t(bad)\n", off)
					off++
					continue
				}
				fmt.Printf("\t%06x\t%s\n", off, x86asm.GNUSyntax(inst, uint64(off), nil))
				off += inst.Len
			}
		}
	}
	fmt.Printf("code: %d bytes in functions, %d in all\n", total, len(code))
	runtime.KeepAlive(mem) // its cleanup unmaps code
}
