package amd64

import (
	"fmt"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// wb assembles a function body from instructions given as opcodes and
// immediates (bytes, or int values encoded as signed LEB128).
func wb(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case wasm.Opcode:
			b = append(b, byte(v))
		case byte:
			b = append(b, v)
		case int:
			b = leb128.AppendInt64(b, int64(v))
		default:
			panic("wb: unknown part")
		}
	}
	return append(b, byte(wasm.OpEnd))
}

// TestWriteBackEdges runs code shaped for the corners of the write-back
// slot cache on the interpreter and on both targets and wants the same
// results, traps, memory and globals: values still in registers when an
// instruction traps, a branch whose condition is used again, a loop whose
// locals a call reads, values evicted while a later instruction reads
// them, results dead before their block ends.
func TestWriteBackEdges(t *testing.T) {
	const (
		get = wasm.OpLocalGet
		set = wasm.OpLocalSet
		tee = wasm.OpLocalTee
		i32 = wasm.OpI32Const
	)
	ii := []wasm.ValueType{tI32, tI32}
	// eightValues pushes eight values of the parameters, one more than
	// there are slot registers; adds(n) adds the top n+1 together.
	eightValues := []any{
		get, byte(0), i32, 1, wasm.OpI32Add,
		get, byte(0), i32, 2, wasm.OpI32Mul,
		get, byte(1), i32, 3, wasm.OpI32Xor,
		get, byte(1), i32, 4, wasm.OpI32Sub,
		get, byte(0), get, byte(1), wasm.OpI32Or,
		get, byte(0), get, byte(1), wasm.OpI32And,
		get, byte(0), i32, 5, wasm.OpI32Rotl,
		get, byte(1), i32, 6, wasm.OpI32ShrU,
	}
	adds := func(n int) []any {
		var b []any
		for range n {
			b = append(b, wasm.OpI32Add)
		}
		return b
	}
	cases := []edgeCase{
		// x is computed into a register, then a load that may trap: the
		// result must be x + the loaded value, or the trap.
		{"value used after a trap point", ii, 1, wb(
			get, byte(0), get, byte(1), wasm.OpI32Add, set, byte(2),
			get, byte(1), wasm.OpI32Load, byte(2), byte(0), get, byte(2), wasm.OpI32Add)},
		// A division that traps between a result and its use.
		{"value used after a division", ii, 1, wb(
			get, byte(0), i32, 7, wasm.OpI32Mul, set, byte(2),
			get, byte(0), get, byte(1), wasm.OpI32DivS, get, byte(2), wasm.OpI32Sub)},
		// The condition of br_if is also the block's result and is read
		// after the branch falls through.
		{"branch condition reused", ii, 1, wb(
			wasm.OpBlock, byte(tI32),
			get, byte(0), get, byte(1), wasm.OpI32Xor, tee, byte(2),
			get, byte(2), wasm.OpBrIf, byte(0),
			wasm.OpDrop, get, byte(2), i32, 3, wasm.OpI32Add,
			wasm.OpEnd)},
		// A loop keeps its counter and sum in registers; every iteration
		// calls a function that reads memory the loop wrote.
		{"loop local read by a call", ii, 2, wb(
			wasm.OpLoop, byte(0x40),
			get, byte(2), get, byte(3), wasm.OpI32Store, byte(2), byte(0),
			get, byte(3), wasm.OpCall, byte(0), get, byte(2), wasm.OpI32Add, set, byte(2),
			get, byte(3), i32, 4, wasm.OpI32Add, tee, byte(3),
			i32, 64, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
			wasm.OpEnd,
			get, byte(2))},
		// More live values than slot registers: every one is read after
		// others have taken its register.
		{"evicted values read later", ii, 0, wb(cat(eightValues, adds(7))...)},
		// A local overwritten in the same straight line, and a select
		// whose condition and operands come from registers.
		{"dead store and select", ii, 1, wb(
			get, byte(0), i32, 9, wasm.OpI32Add, set, byte(2),
			get, byte(1), i32, 3, wasm.OpI32Mul, set, byte(2),
			get, byte(2), get, byte(0), get, byte(0), get, byte(1), wasm.OpI32LtU, wasm.OpSelect,
			get, byte(2), wasm.OpI32Add)},
		// A result whose slot is written again after a branch target.
		{"value live into a block", ii, 1, wb(
			get, byte(0), i32, 1, wasm.OpI32Shl, set, byte(2),
			wasm.OpBlock, byte(0x40),
			get, byte(1), wasm.OpBrIf, byte(0),
			get, byte(2), i32, 1, wasm.OpI32Add, set, byte(2),
			wasm.OpEnd,
			get, byte(2))},
		// Stores whose value and address come from registers, read back.
		{"store from registers", ii, 0, wb(
			get, byte(0), get, byte(1), i32, 5, wasm.OpI32Mul, wasm.OpI32Store, byte(2), byte(8),
			get, byte(0), wasm.OpI32Load, byte(2), byte(8))},
		// Temporaries an instruction pops are dead after it, but not one
		// below them that stays on the stack across a branch, nor one a
		// br_if carries (its move reads it), nor one a local.tee keeps.
		{"popped and kept temporaries", ii, 1, wb(
			wasm.OpBlock, byte(tI32),
			get, byte(0), get, byte(1), wasm.OpI32Add,
			get, byte(0), i32, 3, wasm.OpI32Mul, tee, byte(2),
			get, byte(1), i32, 7, wasm.OpI32And, wasm.OpBrIf, byte(0),
			wasm.OpI32Add, get, byte(2), wasm.OpI32Xor,
			wasm.OpEnd,
			get, byte(2), wasm.OpI32Add)},
		// A local.tee of a temporary that is not the last result: a move
		// reads it, and it stays on the stack under enough values to
		// take every slot register before it is read again.
		{"teed temporary read after evictions", ii, 2, wb(cat(
			[]any{get, byte(0), i32, 3, wasm.OpI32Mul,
				get, byte(1), i32, 1, wasm.OpI32Add, set, byte(3),
				tee, byte(2)},
			eightValues, adds(8),
			[]any{get, byte(3), wasm.OpI32Xor, get, byte(2), wasm.OpI32Xor})...)},
		// Stores write no slot: a parameter written before a store (whose
		// unused a field is 0) and a value an indexed store reads (its a
		// field) must survive the pressure after it.
		{"stores define no slot", ii, 1, wb(cat(
			[]any{get, byte(0), i32, 5, wasm.OpI32Add, set, byte(0),
				get, byte(1), get, byte(1), wasm.OpI32Store, byte(2), byte(0),
				get, byte(1), get, byte(0), wasm.OpI32Add, get, byte(0), i32, 9, wasm.OpI32Xor, wasm.OpI32Store, byte(2), byte(0)},
			eightValues, adds(7),
			[]any{get, byte(0), wasm.OpI32Add,
				get, byte(1), get, byte(0), wasm.OpI32Add, wasm.OpI32Load, byte(2), byte(0), wasm.OpI32Add})...)},
		// A comparison of two temporaries fused into the branch, which
		// pops both, and a br_table on a temporary.
		{"branches popping temporaries", ii, 1, wb(
			wasm.OpBlock, byte(0x40), wasm.OpBlock, byte(0x40),
			get, byte(0), i32, 5, wasm.OpI32Add, get, byte(1), i32, 9, wasm.OpI32Xor, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
			get, byte(0), get, byte(1), wasm.OpI32Sub, set, byte(2),
			get, byte(0), i32, 3, wasm.OpI32And, wasm.OpBrTable, byte(2), byte(0), byte(1), byte(0),
			wasm.OpEnd,
			get, byte(2), i32, 11, wasm.OpI32Add, set, byte(2),
			wasm.OpEnd,
			get, byte(2), get, byte(0), wasm.OpI32Add)},
		// Constants stored as immediates at every width, negative and
		// past 32 bits, and constant addresses with stored parameters.
		{"stored constants", ii, 0, wb(
			get, byte(0), i32, -2, wasm.OpI32Store8, byte(0), byte(0),
			get, byte(0), i32, -300, wasm.OpI32Store16, byte(0), byte(1),
			get, byte(0), i32, -70000, wasm.OpI32Store, byte(0), byte(3),
			get, byte(0), wasm.OpI64Const, -5, wasm.OpI64Store, byte(0), byte(7),
			get, byte(0), wasm.OpI64Const, 1<<40+3, wasm.OpI64Store, byte(0), byte(15),
			i32, 100, get, byte(1), wasm.OpI32Store16, byte(0), byte(0),
			i32, 104, get, byte(1), wasm.OpI32Store, byte(0), byte(0),
			get, byte(0), wasm.OpI32Load, byte(0), byte(0),
			get, byte(0), wasm.OpI32Load, byte(0), byte(4), wasm.OpI32Add,
			get, byte(0), wasm.OpI32Load, byte(0), byte(8), wasm.OpI32Add,
			get, byte(0), wasm.OpI32Load, byte(0), byte(12), wasm.OpI32Add,
			get, byte(0), wasm.OpI32Load, byte(0), byte(16), wasm.OpI32Add,
			get, byte(0), wasm.OpI32Load, byte(0), byte(20), wasm.OpI32Add,
			i32, 100, wasm.OpI32Load, byte(0), byte(0), wasm.OpI32Add,
			i32, 104, wasm.OpI32Load, byte(0), byte(0), wasm.OpI32Add)},
		// Go's boolean test: eqz, extend, eqz, eqz and if, folded into
		// one comparison and its branch.
		{"negated comparisons", ii, 0, wb(
			get, byte(0), get, byte(1), wasm.OpI32LtS, wasm.OpI32Eqz,
			get, byte(0), wasm.OpI64ExtendI32U, wasm.OpI64Eqz, wasm.OpI64ExtendI32U, wasm.OpI64Eqz, wasm.OpI32Eqz,
			wasm.OpIf, byte(tI32), i32, 100, wasm.OpElse, i32, 200, wasm.OpEnd,
			wasm.OpI32Add)},
	}
	diffEdgeCases(t, cases, [][]uint64{{0, 0}, {1, 2}, {5, 0}, {65532, 1}, {65533, 7}, {0x80000000, 0xffffffff}, {12, 65536}, {7, 3}})
}

// cat concatenates the parts of function bodies for wb.
func cat(parts ...[]any) []any {
	var all []any
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// edgeCase is a function body shaped for a corner of the generator.
type edgeCase struct {
	name   string
	params []wasm.ValueType
	locals int // extra i32 locals
	body   []byte
}

// diffEdgeCases exports each case as a function returning an i32, in a
// module with one page of memory and, as function 0, a callee that
// returns its argument's i32 at memory plus one; it calls every case
// with every argument list on the interpreter and on both targets and
// wants the same results, traps, memory and globals.
func diffEdgeCases(t *testing.T, cases []edgeCase, args [][]uint64) {
	t.Helper()
	const (
		get = wasm.OpLocalGet
		i32 = wasm.OpI32Const
	)
	m := &wasm.Module{Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 1, HasMax: true}}}}
	m.Types = append(m.Types, wasm.FuncType{Params: []wasm.ValueType{tI32}, Results: []wasm.ValueType{tI32}})
	m.Funcs = append(m.Funcs, 0)
	m.Codes = append(m.Codes, wasm.Code{Body: wb(get, byte(0), wasm.OpI32Load, byte(2), byte(0), i32, 1, wasm.OpI32Add)})
	for i, c := range cases {
		m.Types = append(m.Types, wasm.FuncType{Params: c.params, Results: []wasm.ValueType{tI32}})
		m.Funcs = append(m.Funcs, uint32(i+1))
		code := wasm.Code{Body: c.body}
		if c.locals > 0 {
			code.Locals = []wasm.LocalGroup{{Count: uint32(c.locals), Type: tI32}}
			code.NumLocals = uint64(c.locals)
		}
		m.Codes = append(m.Codes, code)
		m.Exports = append(m.Exports, wasm.Export{Name: c.name, Kind: wasm.ExternFunc, Index: uint32(i + 1)})
	}
	m.IndexImports()
	if err := validate.Module(m, nil); err != nil {
		t.Fatalf("test module is invalid: %v", err)
	}
	vectors := func(string, *wasm.FuncType) [][]uint64 { return args }
	targets := []string{"in-process"}
	if !testing.Short() {
		targets = append(targets, "micro-vm")
	}
	for _, target := range targets {
		t.Run(target, func(t *testing.T) {
			var compiled func() tier
			if target == "micro-vm" {
				// The subtest's t: without KVM, vmEngine skips it.
				e := vmEngine(t, diffStackBytes)
				compiled = func() tier { return engineTier("micro-vm", e) }
			}
			d := &differ{where: target, max: 20}
			if !diffModule(d, m, diffOptions{timeout: 5 * time.Second, vectors: vectors, maxReports: 20, compiled: compiled}) {
				t.Fatal("module not compared")
			}
			for _, r := range d.reports {
				t.Error(r)
			}
			if want := len(cases) * len(args); d.calls < want {
				t.Errorf("%d calls compared, want %d", d.calls, want)
			}
		})
	}
}

// TestMemoryCopyEdges copies within a patterned region with every size
// class of the copy routine (none, one byte, the two-access sizes, 17 to
// 32, 33 to 64, chunked with and without a partial last chunk) and destinations
// below, at and above the source, overlapping by less than a chunk, by
// more, and not at all, by less than a 64-byte chunk and by more; and ranges that end past the memory, which trap
// before anything is copied.
func TestMemoryCopyEdges(t *testing.T) {
	const (
		get = wasm.OpLocalGet
		set = wasm.OpLocalSet
		i32 = wasm.OpI32Const
	)
	// Bytes 0 to 8191 get 7i+1 (mod 256); then memory.copy(d, s, n) and
	// the sum of the first and last word of the destination.
	body := wb(
		wasm.OpLoop, byte(0x40),
		get, byte(3), get, byte(3), i32, 7, wasm.OpI32Mul, i32, 1, wasm.OpI32Add, wasm.OpI32Store8, byte(0), byte(0),
		get, byte(3), i32, 1, wasm.OpI32Add, set, byte(3),
		get, byte(3), i32, 8192, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		wasm.OpEnd,
		get, byte(0), get, byte(1), get, byte(2), byte(0xfc), byte(10), byte(0), byte(0),
		get, byte(0), wasm.OpI32Load, byte(0), byte(0),
		get, byte(0), get, byte(2), wasm.OpI32Add, wasm.OpI32Load, byte(0), byte(0),
		wasm.OpI32Add)
	cases := []edgeCase{{"copy", []wasm.ValueType{tI32, tI32, tI32}, 1, body}}
	var args [][]uint64
	// Two sources, one 8 and one 3 past a 16-byte boundary, so that the
	// destinations take every alignment; lengths round the routine's
	// thresholds and round one chunk past its aligned part.
	for _, s := range []int64{1000, 1003} {
		for _, n := range []uint64{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 66, 72, 79, 80, 81, 96, 100, 127, 128, 129, 143, 144, 145, 255, 511, 512, 513, 700, 1000} {
			for _, dist := range []int64{-1000, -600, -100, -65, -64, -33, -32, -17, -16, -9, -8, -1, 0, 1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 100, 600, 1000} {
				args = append(args, []uint64{uint64(s + dist), uint64(s), n})
			}
		}
	}
	// Long copies, which go in rep movsb pieces of the distance when it
	// and the length are long enough, in both directions.
	for _, s := range []int64{4000, 4003} {
		for _, n := range []uint64{2047, 2048, 2049, 3000, 4000} {
			for _, dist := range []int64{-3500, -2049, -2048, -2047, -1000, -100, -1, 1, 100, 1000, 2047, 2048, 2049, 3500} {
				args = append(args, []uint64{uint64(s + dist), uint64(s), n})
			}
		}
	}
	args = append(args,
		[]uint64{65536 - 40, 0, 40}, []uint64{0, 65536 - 40, 40}, // the last bytes
		[]uint64{65536 - 39, 0, 40}, []uint64{0, 65536 - 39, 40}, // one past
		[]uint64{65536, 0, 0}, []uint64{65537, 0, 0}, []uint64{0, 0xffffffff, 2},
	)
	// In-process code copies with AVX where the host has it, and with
	// SSE as a micro-VM's does otherwise: both routines, here.
	wide := InProcess.AVX
	defer func() { InProcess.AVX = wide }()
	for _, avx := range []bool{false, true} {
		if avx && !wide {
			continue
		}
		InProcess.AVX = avx
		t.Run(fmt.Sprintf("avx=%v", avx), func(t *testing.T) { diffEdgeCases(t, cases, args) })
	}
}

// TestMemoryFillEdges fills a patterned region with every size class of
// the fill routine (none, one byte, the two-store sizes, 17 to 32, the
// 16-byte loop, rep stosb from fillRepFrom) at destinations of every
// alignment, and ranges that end past the memory, which trap before
// anything is written; the result sums words at and around both ends.
func TestMemoryFillEdges(t *testing.T) {
	const (
		get = wasm.OpLocalGet
		set = wasm.OpLocalSet
		i32 = wasm.OpI32Const
	)
	word := func(at ...any) []any {
		return append(append([]any{}, at...), wasm.OpI32Load, byte(0), byte(0), wasm.OpI32Add)
	}
	parts := []any{
		wasm.OpLoop, byte(0x40),
		get, byte(3), get, byte(3), i32, 7, wasm.OpI32Mul, i32, 1, wasm.OpI32Add, wasm.OpI32Store8, byte(0), byte(0),
		get, byte(3), i32, 1, wasm.OpI32Add, set, byte(3),
		get, byte(3), i32, 8192, wasm.OpI32LtU, wasm.OpBrIf, byte(0),
		wasm.OpEnd,
		get, byte(0), get, byte(1), get, byte(2), byte(0xfc), byte(11), byte(0),
		i32, 0,
	}
	// The words at d-4, d, d+n-4 and d+n (wrapping below zero reads
	// near the top, which the fill never reaches).
	for _, at := range [][]any{
		{get, byte(0), i32, 4, wasm.OpI32Sub, i32, 0xfff8, wasm.OpI32And},
		{get, byte(0), i32, 0xfff8, wasm.OpI32And},
		{get, byte(0), get, byte(2), wasm.OpI32Add, i32, 4, wasm.OpI32Sub, i32, 0xfff8, wasm.OpI32And},
		{get, byte(0), get, byte(2), wasm.OpI32Add, i32, 0xfff8, wasm.OpI32And},
	} {
		parts = append(parts, word(at...)...)
	}
	cases := []edgeCase{{"fill", []wasm.ValueType{tI32, tI32, tI32}, 1, wb(parts...)}}
	var args [][]uint64
	for _, d := range []uint64{1000, 1001, 1003, 1008, 1015} {
		for _, n := range []uint64{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65, 100, 2047, 2048, 2049, 5000} {
			args = append(args, []uint64{d, 0xa5, n}, []uint64{d, 0x1ff, n})
		}
	}
	args = append(args,
		[]uint64{65536 - 40, 3, 40}, []uint64{65536 - 39, 3, 40}, // the last bytes, one past
		[]uint64{65536, 3, 0}, []uint64{65537, 3, 0}, []uint64{0xffffffff, 3, 2},
	)
	diffEdgeCases(t, cases, args)
}

// TestLocalsZeroed checks that the entry zeroes the declared locals that
// may be read before they are written (localsReadFirst): one read in the
// first straight line before any write, one written only past a branch,
// which a call that does not branch must see zero, whatever an earlier
// call left in the frame; and none that is written first.
func TestLocalsZeroed(t *testing.T) {
	const (
		get = wasm.OpLocalGet
		set = wasm.OpLocalSet
		i32 = wasm.OpI32Const
	)
	// Locals 1 to 4: 1 written first, 2 read first, 3 written from 1
	// and 2, 4 written only when the parameter is 0.
	body := wb(
		i32, 5, set, byte(1),
		get, byte(2), get, byte(1), wasm.OpI32Add, set, byte(3),
		wasm.OpBlock, byte(0x40),
		get, byte(0), wasm.OpBrIf, byte(0),
		i32, 9, set, byte(4),
		i32, 100, set, byte(2),
		wasm.OpEnd,
		get, byte(3), get, byte(4), wasm.OpI32Add, get, byte(2), wasm.OpI32Add)
	cases := []edgeCase{{"locals", []wasm.ValueType{tI32}, 4, body}}
	diffEdgeCases(t, cases, [][]uint64{{0}, {1}, {0}, {1}, {1}})
}

// TestFoldedAddressEdges checks accesses whose address stays in the slot
// register of the 32-bit result it is (address with fold): a store whose
// value is loaded while every slot register holds a live value, loads
// into the address's own slot, and addresses at the end of the memory
// and past it.
func TestFoldedAddressEdges(t *testing.T) {
	const (
		get = wasm.OpLocalGet
		set = wasm.OpLocalSet
		tee = wasm.OpLocalTee
		i32 = wasm.OpI32Const
		add = wasm.OpI32Add
	)
	// Locals 2 to 8 (slots): 2 = p0 + 8, the address; 3 to 8 live
	// sums of p0; then store p1 at [2], read back into 2, and sum all.
	body := wb(
		get, byte(0), i32, 8, add, set, byte(2),
		get, byte(0), i32, 1, add, set, byte(3),
		get, byte(3), i32, 2, add, set, byte(4),
		get, byte(4), i32, 3, add, set, byte(5),
		get, byte(5), i32, 4, add, set, byte(6),
		get, byte(6), i32, 5, add, set, byte(7),
		get, byte(7), i32, 6, add, set, byte(8),
		get, byte(2), get, byte(1), wasm.OpI32Store, byte(2), byte(0),
		get, byte(2), wasm.OpI32Load, byte(2), byte(4), tee, byte(2),
		get, byte(2), wasm.OpI32Load, byte(2), byte(0), add,
		get, byte(3), add, get, byte(4), add, get, byte(5), add,
		get, byte(6), add, get, byte(7), add, get, byte(8), add)
	cases := []edgeCase{{"fold", []wasm.ValueType{tI32, tI32}, 7, body}}
	diffEdgeCases(t, cases, [][]uint64{{0, 7}, {100, 0xdeadbeef}, {65520, 1}, {65524, 2}, {65536, 3}, {0xfffffff8, 4}})
}
