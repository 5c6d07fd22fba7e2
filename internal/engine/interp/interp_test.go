package interp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestEngine_Call runs small functions that exercise the compiler's
// operand tracking: locals read after they change, results redirected
// into locals, constants folded into immediates, fused branches and
// moves into block results.
func TestEngine_Call(t *testing.T) {
	add := op(wasm.OpI32Add)
	tests := []struct {
		name string
		f    fn
		args []uint64
		want []uint64
	}{
		{"local read before set keeps the old value",
			fn{params: vt(i32), results: vt(i32), body: code(
				lget(0), lget(0), i32c(1), add, lset(0), lget(0), op(wasm.OpI32Mul))},
			[]uint64{5}, []uint64{30}},
		{"tee while the local is on the stack",
			fn{params: vt(i32), results: vt(i32), body: code(
				lget(0), i32c(10), ltee(0), add, lget(0), add)},
			[]uint64{1}, []uint64{21}},
		{"set inside a block keeps an outer operand",
			fn{params: vt(i32), results: vt(i32), body: code(
				lget(0), lget(0), iff(empty), i32c(7), lset(0), end, lget(0), add)},
			[]uint64{3}, []uint64{10}},
		{"set inside an untaken arm",
			fn{params: vt(i32, i32), results: vt(i32), body: code(
				lget(0), lget(1), iff(empty), i32c(7), lset(0), end, lget(0), add)},
			[]uint64{3, 0}, []uint64{6}},
		{"result written straight to a local",
			fn{params: vt(i32, i32), results: vt(i32), locals: []wasm.LocalGroup{{Count: 1, Type: i32}}, body: code(
				lget(0), lget(1), op(wasm.OpI32Sub), lset(2), lget(2), lget(2), op(wasm.OpI32Mul))},
			[]uint64{9, 4}, []uint64{25}},
		{"constant first operand of a non-commutative op",
			fn{params: vt(i32), results: vt(i32), body: code(i32c(100), lget(0), op(wasm.OpI32Sub))},
			[]uint64{1}, []uint64{99}},
		{"subtract a constant",
			fn{params: vt(i32), results: vt(i32), body: code(lget(0), i32c(5), op(wasm.OpI32Sub))},
			[]uint64{3}, []uint64{0xfffffffe}},
		{"swap two results",
			fn{params: vt(i32, i32), results: vt(i32, i32), body: code(lget(1), lget(0))},
			[]uint64{1, 2}, []uint64{2, 1}},
		{"rotate three results through return",
			fn{params: vt(i64, i64, i64), results: vt(i64, i64, i64), body: code(lget(1), lget(2), lget(0), op(wasm.OpReturn))},
			[]uint64{1, 2, 3}, []uint64{2, 3, 1}},
		{"br_if with a value out of a block",
			fn{params: vt(i32), results: vt(i32), body: code(
				block(ti32), i32c(11), lget(0), brIf(0), op(wasm.OpDrop), i32c(22), end)},
			[]uint64{1}, []uint64{11}},
		{"br_if with a value not taken",
			fn{params: vt(i32), results: vt(i32), body: code(
				block(ti32), i32c(11), lget(0), brIf(0), op(wasm.OpDrop), i32c(22), end)},
			[]uint64{0}, []uint64{22}},
		{"br_if returning from the function",
			fn{params: vt(i32), results: vt(i32), body: code(
				i32c(5), lget(0), brIf(0), op(wasm.OpDrop), i32c(6))},
			[]uint64{1}, []uint64{5}},
		{"loop counting down with a fused compare",
			fn{params: vt(i32), results: vt(i64), locals: []wasm.LocalGroup{{Count: 1, Type: i64}}, body: code(
				loop(empty),
				lget(1), lget(0), op(wasm.OpI64ExtendI32U), op(wasm.OpI64Add), lset(1),
				lget(0), i32c(1), op(wasm.OpI32Sub), ltee(0), i32c(0), op(wasm.OpI32GtS), brIf(0),
				end, lget(1))},
			[]uint64{100}, []uint64{5050}},
		{"br_table to blocks with values",
			fn{params: vt(i32), results: vt(i32), body: code(
				block(ti32), block(ti32), i32c(100), lget(0),
				append(op(wasm.OpBrTable), 2, 0, 0, 1),
				end, i32c(1), add, end)},
			[]uint64{0}, []uint64{101}},
		{"br_table default",
			fn{params: vt(i32), results: vt(i32), body: code(
				block(ti32), block(ti32), i32c(100), lget(0),
				append(op(wasm.OpBrTable), 2, 0, 0, 1),
				end, i32c(1), add, end)},
			[]uint64{7}, []uint64{100}},
		{"select with constants",
			fn{params: vt(i32), results: vt(i32), body: code(i32c(3), i32c(4), lget(0), op(wasm.OpSelect))},
			[]uint64{0}, []uint64{4}},
		{"if else with results",
			fn{params: vt(i32), results: vt(i64), body: code(
				lget(0), iff(ti64), i64c(-1), els, i64c(2), end)},
			[]uint64{1}, []uint64{^uint64(0)}},
		{"unreachable code after br",
			fn{params: vt(i32), results: vt(i32), body: code(
				block(ti32), i32c(1), br(0), op(wasm.OpI32Add), block(empty), end, end)},
			nil, []uint64{1}},
		{"load through a wrapping add",
			fn{params: vt(i32), results: vt(i32), body: code(
				i32c(4), i32c(0x01020304), mem(wasm.OpI32Store, 0),
				lget(0), i32c(8), add, mem(wasm.OpI32Load8U, 4))},
			[]uint64{0xfffffff8}, []uint64{0x04}},
		{"load through a wrapping register add",
			fn{params: vt(i32, i32), results: vt(i32), body: code(
				i32c(4), i32c(0x01020304), mem(wasm.OpI32Store, 0),
				lget(0), lget(1), add, mem(wasm.OpI32Load16U, 5))},
			[]uint64{0xfffffff0, 0x10}, []uint64{0x0203}},
		{"store through adds and to a constant address",
			fn{params: vt(i32, i32), results: vt(i64), body: code(
				lget(0), i32c(1), add, lget(1), mem(wasm.OpI32Store8, 0),
				lget(0), lget(0), add, lget(1), mem(wasm.OpI32Store16, 0),
				i32c(16), i64c(-1), mem(wasm.OpI64Store, 0),
				i32c(0), mem(wasm.OpI64Load, 0))},
			[]uint64{2, 0xabcd}, []uint64{0x0000_abcd_cd00_0000}},
		{"address from a wrapped i64",
			fn{params: vt(i64), results: vt(i32), body: code(
				lget(0), op(wasm.OpI32WrapI64), i32c(0x55), mem(wasm.OpI32Store8, 1),
				lget(0), op(wasm.OpI32WrapI64), mem(wasm.OpI32Load8U, 1))},
			[]uint64{0xffff_ffff_0000_0010}, []uint64{0x55}},
		{"rotate by constants",
			fn{params: vt(i32, i64), results: vt(i32, i32, i64, i64), body: code(
				lget(0), i32c(4), op(wasm.OpI32Rotl), lget(0), i32c(36), op(wasm.OpI32Rotr),
				lget(1), i64c(8), op(wasm.OpI64Rotl), lget(1), i64c(-8), op(wasm.OpI64Rotr))},
			[]uint64{0x12345678, 0x0102030405060708},
			[]uint64{0x23456781, 0x81234567, 0x0203040506070801, 0x0203040506070801}},
		{"shift and add",
			fn{params: vt(i32, i32), results: vt(i32), body: code(
				lget(0), lget(1), i32c(2), op(wasm.OpI32Shl), add)},
			[]uint64{1, 0x40000001}, []uint64{5}},
		{"store and load with offsets",
			fn{params: vt(i32), results: vt(i32), body: code(
				i32c(8), lget(0), mem(wasm.OpI32Store, 4), i32c(4), mem(wasm.OpI32Load16U, 8))},
			[]uint64{0x12345678}, []uint64{0x5678}},
	}
	e := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.name = "f"
			inst := instance(t, e, store.New(), module(t, true, tt.f))
			got, err := invoke(context.Background(), e, inst, "f", tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEngine_Call_comparisons checks every integer comparison in its
// three shapes (two slots, constant second, constant first) both as a
// value and fused into if, against Go's operators.
func TestEngine_Call_comparisons(t *testing.T) {
	type cmp struct {
		op   wasm.Opcode
		is64 bool
		f    func(x, y int64) bool
	}
	cmps := []cmp{
		{wasm.OpI32Eq, false, func(x, y int64) bool { return int32(x) == int32(y) }},
		{wasm.OpI32Ne, false, func(x, y int64) bool { return int32(x) != int32(y) }},
		{wasm.OpI32LtS, false, func(x, y int64) bool { return int32(x) < int32(y) }},
		{wasm.OpI32LtU, false, func(x, y int64) bool { return uint32(x) < uint32(y) }},
		{wasm.OpI32GtS, false, func(x, y int64) bool { return int32(x) > int32(y) }},
		{wasm.OpI32GtU, false, func(x, y int64) bool { return uint32(x) > uint32(y) }},
		{wasm.OpI32LeS, false, func(x, y int64) bool { return int32(x) <= int32(y) }},
		{wasm.OpI32LeU, false, func(x, y int64) bool { return uint32(x) <= uint32(y) }},
		{wasm.OpI32GeS, false, func(x, y int64) bool { return int32(x) >= int32(y) }},
		{wasm.OpI32GeU, false, func(x, y int64) bool { return uint32(x) >= uint32(y) }},
		{wasm.OpI64Eq, true, func(x, y int64) bool { return x == y }},
		{wasm.OpI64Ne, true, func(x, y int64) bool { return x != y }},
		{wasm.OpI64LtS, true, func(x, y int64) bool { return x < y }},
		{wasm.OpI64LtU, true, func(x, y int64) bool { return uint64(x) < uint64(y) }},
		{wasm.OpI64GtS, true, func(x, y int64) bool { return x > y }},
		{wasm.OpI64GtU, true, func(x, y int64) bool { return uint64(x) > uint64(y) }},
		{wasm.OpI64LeS, true, func(x, y int64) bool { return x <= y }},
		{wasm.OpI64LeU, true, func(x, y int64) bool { return uint64(x) <= uint64(y) }},
		{wasm.OpI64GeS, true, func(x, y int64) bool { return x >= y }},
		{wasm.OpI64GeU, true, func(x, y int64) bool { return uint64(x) >= uint64(y) }},
	}
	values := []int64{-2, -1, 0, 1, 2, 1 << 40}
	e := New(Config{})
	for _, c := range cmps {
		t.Run(c.op.String(), func(t *testing.T) {
			pt, konst := i32, func(v int64) []byte { return i32c(int32(v)) }
			if c.is64 {
				pt, konst = i64, i64c
			}
			for _, k := range values {
				if !c.is64 {
					k = int64(int32(k))
				}
				k32 := k
				// In the shapes named "first", the constant is the first
				// operand and the function's second argument the other.
				bodies := map[string][]byte{
					"value":           code(lget(0), lget(1), op(c.op)),
					"if":              code(lget(0), lget(1), op(c.op), iff(ti32), i32c(1), els, i32c(0), end),
					"br_if":           code(block(ti32), i32c(1), lget(0), lget(1), op(c.op), brIf(0), op(wasm.OpDrop), i32c(0), end),
					"const second":    code(lget(0), konst(k32), op(c.op)),
					"if const second": code(lget(0), konst(k32), op(c.op), iff(ti32), i32c(1), els, i32c(0), end),
					"const first":     code(konst(k32), lget(1), op(c.op)),
					"br_if eqz first": code(block(empty), konst(k32), lget(1), op(c.op), op(wasm.OpI32Eqz), brIf(0), i32c(1), op(wasm.OpReturn), end, i32c(0)),
				}
				for shape, body := range bodies {
					inst := instance(t, e, store.New(), module(t, false, fn{name: "f", params: vt(pt, pt), results: vt(i32), body: body}))
					for _, x := range values {
						if !c.is64 {
							x = int64(int32(x))
						}
						a, b := uint64(x), uint64(k)
						want := c.f(x, k)
						if strings.Contains(shape, "first") {
							a, b = 0, uint64(x) // k op x
							want = c.f(k, x)
						}
						if !c.is64 {
							a, b = uint64(uint32(a)), uint64(uint32(b))
						}
						got, err := invoke(context.Background(), e, inst, "f", a, b)
						if err != nil {
							t.Fatal(err)
						}
						if (got[0] == 1) != want {
							t.Errorf("%s %s(%d, %d) = %d, want %v", shape, c.op, int64(a), int64(b), got[0], want)
						}
					}
				}
			}
		})
	}
}

// TestEngine_Call_traps checks trap kinds and backtraces.
func TestEngine_Call_traps(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		args []uint64
		kind api.TrapKind
	}{
		{"unreachable", code(op(wasm.OpUnreachable), i32c(0)), nil, api.TrapUnreachable},
		{"divide by zero", code(lget(0), i32c(0), op(wasm.OpI32DivU)), []uint64{1}, api.TrapIntegerDivideByZero},
		{"remainder by zero", code(lget(0), lget(0), op(wasm.OpI32Sub), lget(0), op(wasm.OpI32Xor), lget(0), op(wasm.OpI32RemS)), []uint64{0}, api.TrapIntegerDivideByZero},
		{"signed overflow", code(i32c(-1<<31), lget(0), op(wasm.OpI32DivS)), []uint64{0xffffffff}, api.TrapIntegerOverflow},
		{"load past the end", code(lget(0), mem(wasm.OpI32Load, 0)), []uint64{65533}, api.TrapOutOfBoundsMemory},
		{"load past the end by offset", code(lget(0), mem(wasm.OpI32Load, 0xffffffff)), []uint64{0}, api.TrapOutOfBoundsMemory},
		{"store past the end", code(lget(0), i32c(1), mem(wasm.OpI32Store8, 0), i32c(0)), []uint64{65536}, api.TrapOutOfBoundsMemory},
	}
	e := New(Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := module(t, true,
				fn{name: "f", params: vt(i32), results: vt(i32), body: code(lget(0), call(1))},
				fn{params: vt(i32), results: vt(i32), body: tt.body})
			m.Names = &wasm.NameSection{FuncNames: map[uint32]string{0: "outer", 1: "inner"}}
			inst := instance(t, e, store.New(), m)
			_, err := invoke(context.Background(), e, inst, "f", tt.args...)
			var trap *api.Trap
			if !errors.As(err, &trap) {
				t.Fatalf("got %v, want a trap", err)
			}
			if trap.Kind != tt.kind {
				t.Fatalf("got %v, want %v", trap.Kind, tt.kind)
			}
			if len(trap.Frames) != 2 || trap.Frames[0].FuncName != "inner" || trap.Frames[1].FuncName != "outer" {
				t.Fatalf("backtrace %v", trap.Frames)
			}
			if trap.Frames[1].Offset == 0 {
				t.Errorf("backtrace without offsets: %v", trap.Frames)
			}
		})
	}
}

// TestEngine_Call_stackExhausted checks that unbounded recursion traps,
// whatever the frame size, within a configured limit.
func TestEngine_Call_stackExhausted(t *testing.T) {
	tests := []struct {
		name string
		f    fn
	}{
		{"no locals", fn{name: "f", body: code(call(0))}},
		{"params and locals", fn{name: "f", params: vt(i64, i64), results: vt(i64),
			locals: []wasm.LocalGroup{{Count: 100, Type: i64}}, body: code(lget(0), lget(1), call(0))}},
	}
	for _, limit := range []int{0, 64 << 10} {
		e := New(Config{MaxStackBytes: limit})
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/limit %d", tt.name, limit), func(t *testing.T) {
				inst := instance(t, e, store.New(), module(t, false, tt.f))
				args := make([]uint64, len(tt.f.params))
				_, err := invoke(context.Background(), e, inst, "f", args...)
				if trapKind(err) != api.TrapCallStackExhausted {
					t.Fatalf("got %v, want call stack exhausted", err)
				}
			})
		}
	}
}

// TestEngine_Call_interrupt checks that a guest that never returns stops
// when its context ends.
func TestEngine_Call_interrupt(t *testing.T) {
	e := New(Config{})
	inst := instance(t, e, store.New(), module(t, false,
		fn{name: "spin", body: code(loop(empty), br(0), end)},
		fn{name: "calls", body: code(loop(empty), call(2), br(0), end)},
		fn{body: code()}))
	for _, name := range []string{"spin", "calls"} {
		t.Run(name+"/deadline", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, err := invoke(ctx, e, inst, name)
			if trapKind(err) != api.TrapTimeout || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want timeout", err)
			}
		})
		t.Run(name+"/cancel", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			_, err := invoke(ctx, e, inst, name)
			if trapKind(err) != api.TrapInterrupted {
				t.Fatalf("got %v, want interrupted", err)
			}
		})
	}
}
