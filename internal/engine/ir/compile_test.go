package ir

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestCompiler_compile pins down the code of small functions: what the
// register form saves (no code for local.get, results written straight
// to locals, constants as immediates, fused compare-and-branch and
// address arithmetic) is visible here.
func TestCompiler_compile(t *testing.T) {
	tests := []struct {
		name string
		f    fn
		want string
	}{
		{"set after add targets the local",
			fn{params: vt(i32, i32), results: vt(i32), locals: []wasm.LocalGroup{{Count: 1, Type: i32}}, body: code(
				lget(0), lget(1), op(wasm.OpI32Add), lset(2), lget(2), i32c(3), op(wasm.OpI32Mul))},
			`
I32Add a=2 b=0 c=1 imm=0
I32MulI a=0 b=2 c=0 imm=3
Return a=0 b=0 c=0 imm=0`},
		{"countdown loop with fused compare",
			fn{params: vt(i32), body: code(
				loop(empty), lget(0), i32c(1), op(wasm.OpI32Sub), ltee(0), i32c(0), op(wasm.OpI32GtS), brIf(0), end)},
			`
I32AddI a=0 b=0 c=0 imm=4294967295
BrIfI32GtSI ->0 b=0 c=0 imm=0
Return a=0 b=0 c=0 imm=0`},
		{"array element load",
			fn{params: vt(i32, i32), results: vt(i32), body: code(
				lget(0), lget(1), i32c(2), op(wasm.OpI32Shl), op(wasm.OpI32Add), mem(wasm.OpI32Load, 8))},
			`
I32AddShl a=2 b=0 c=1 imm=2
I32Load a=0 b=2 c=0 imm=8
Return a=0 b=0 c=0 imm=0`},
		{"if with eqz condition",
			fn{params: vt(i32), results: vt(i32), body: code(
				lget(0), op(wasm.OpI32Eqz), iff(ti32), i32c(7), els, lget(0), end)},
			`
BrIfNez32 ->3 b=0 c=0 imm=0
Const a=1 b=0 c=0 imm=7
Jmp ->4
Mov a=1 b=0 c=0 imm=0
Mov a=0 b=1 c=0 imm=0
Return a=0 b=0 c=0 imm=0`},
		{"Go's boolean test folds into one branch",
			fn{params: vt(wasm.ValueTypeI64), results: vt(i32), body: code(
				lget(0), op(wasm.OpI64Eqz), op(wasm.OpI64ExtendI32U), op(wasm.OpI64Eqz), op(wasm.OpI32Eqz),
				iff(ti32), i32c(7), els, i32c(9), end)},
			`
BrIfI64NeI ->3 b=0 c=0 imm=0
Const a=1 b=0 c=0 imm=7
Jmp ->4
Const a=1 b=0 c=0 imm=9
Mov a=0 b=1 c=0 imm=0
Return a=0 b=0 c=0 imm=0`},
		{"eqz of a comparison is its inverse",
			fn{params: vt(i32, i32), results: vt(i32), body: code(
				lget(0), lget(1), op(wasm.OpI32LtU), op(wasm.OpI32Eqz))},
			`
I32GeU a=0 b=0 c=1 imm=0
Return a=0 b=0 c=0 imm=0`},
		{"eqz of a value computed earlier stays",
			fn{params: vt(i32, i32), results: vt(i32, i32), body: code(
				lget(0), lget(1), op(wasm.OpI32LtU), lget(0), op(wasm.OpI32Eqz))},
			`
I32LtU a=2 b=0 c=1 imm=0
I32Eqz a=3 b=0 c=0 imm=0
Mov a=1 b=3 c=0 imm=0
Mov a=0 b=2 c=0 imm=0
Return a=0 b=0 c=0 imm=0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := module(t, true, tt.f)
			fn, err := newCompiler(m).compile(0, &m.Codes[0])
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range strings.Split(fn.String(), "\n")[1:] {
				if f := strings.Fields(line); len(f) > 1 && f[1] != "Unreachable" {
					got = append(got, strings.Join(f[1:], " "))
				}
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(tt.want); g != w {
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func TestOpNames(t *testing.T) {
	for op := Opcode(0); op < OpScalarEnd; op++ {
		if int(op) >= len(opNames) || opNames[op] == "" {
			t.Fatalf("opcode %d has no name: run go generate", op)
		}
	}
}

func TestCompile(t *testing.T) {
	m := module(t, false,
		fn{params: vt(i32), results: vt(i32), body: code(lget(0), i32c(1), op(wasm.OpI32Add))},
		fn{params: vt(i32), body: code(loop(empty), lget(0), brIf(0), end)})
	mod, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(mod.Funcs) != 2 || mod.NumImported != 0 {
		t.Fatalf("got %d functions, %d imported", len(mod.Funcs), mod.NumImported)
	}
	for i, f := range mod.Funcs {
		if f.Module != mod || f.FuncIndex != uint32(i) || len(f.Offsets) != len(f.Code) {
			t.Errorf("function %d: module %p (want %p), index %d, %d offsets for %d instructions",
				i, f.Module, mod, f.FuncIndex, len(f.Offsets), len(f.Code))
		}
	}
	loopFn := mod.Funcs[1]
	br := &loopFn.Code[0]
	if !IsBranch(br.Op) || !IsControl(br.Op) || br.Target(0) != 0 {
		t.Errorf("loop branch %s targets %d, want a branch to 0", br.Op, br.Target(0))
	}
	if IsControl(OpI32Add) || !IsControl(OpReturn) || !IsControl(OpCallIndirect) {
		t.Error("IsControl misclassifies")
	}

	one, err := CompileFunc(m, 1)
	if err != nil {
		t.Fatal(err)
	}
	if one.Module != nil || one.String() != loopFn.String() {
		t.Errorf("CompileFunc gave\n%s\nwant\n%s", one, loopFn)
	}
	if _, err := CompileFunc(m, 2); err == nil {
		t.Error("CompileFunc of an undefined function succeeded")
	}
}

// TestEachOn: every function reaches a yield of the goroutine that
// translated it, as Compile translates it; an error from a yield is
// returned, and stopped is told once.
func TestEachOn(t *testing.T) {
	var fns []fn
	for i := range 300 {
		fns = append(fns, fn{params: vt(i32), results: vt(i32), body: code(lget(0), i32c(int32(i)), op(wasm.OpI32Add))})
	}
	m := module(t, false, fns...)
	eager, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	if w := Workers(m, 4); w != 4 {
		t.Errorf("Workers(300 functions, 4 CPUs) = %d", w)
	}
	if w := Workers(module(t, false, fns[:10]...), 4); w != 1 {
		t.Errorf("Workers(10 functions, 4 CPUs) = %d", w)
	}
	var (
		mu      sync.Mutex
		got     = map[int]string{}
		yields  int
		stopped int
	)
	err = EachOn(m, 4, func() func(i int, f *Func) error {
		mu.Lock()
		yields++
		mu.Unlock()
		return func(i int, f *Func) error {
			mu.Lock()
			defer mu.Unlock()
			got[i] = f.String()
			return nil
		}
	}, func() { stopped++ })
	if err != nil || stopped != 0 || yields < 1 || yields > 4 {
		t.Fatalf("EachOn: %v, stopped %d times, %d yields made", err, stopped, yields)
	}
	for i, f := range eager.Funcs {
		if got[i] != f.String() {
			t.Fatalf("function %d:\n%s\nwant:\n%s", i, got[i], f)
		}
	}
	fail := errors.New("yield failed")
	err = EachOn(m, 4, func() func(i int, f *Func) error {
		return func(i int, f *Func) error {
			if i == 150 {
				return fail
			}
			return nil
		}
	}, func() {
		mu.Lock()
		stopped++
		mu.Unlock()
	})
	if !errors.Is(err, fail) || stopped != 1 {
		t.Errorf("EachOn with a failing yield: %v, stopped told %d times", err, stopped)
	}
}

// TestLazy checks that Lazy's functions are translated on their first
// Translate, once however many goroutines ask, into what Compile makes.
func TestLazy(t *testing.T) {
	m := module(t, false,
		fn{params: vt(i32), results: vt(i32), body: code(lget(0), i32c(1), op(wasm.OpI32Add))},
		fn{params: vt(i32), body: code(loop(empty), lget(0), brIf(0), end)})
	eager, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	lazy := Lazy(m)
	for i, f := range lazy.Funcs {
		if f.Ready() || f.Code != nil || f.Module != lazy || f.FuncIndex != uint32(i) {
			t.Fatalf("function %d translated before it was asked for", i)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := lazy.Funcs[1].Translate(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if f := lazy.Funcs[1]; !f.Ready() || f.String() != eager.Funcs[1].String() || f.FrameSlots != eager.Funcs[1].FrameSlots {
		t.Errorf("translated on demand:\n%s\nwant:\n%s", f, eager.Funcs[1])
	}
	if lazy.Funcs[0].Ready() {
		t.Error("translating one function translated another")
	}
}
