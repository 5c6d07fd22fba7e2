package amd64

import (
	"context"
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

func TestSmoke(t *testing.T) {
	bin, err := os.ReadFile("/work/shared/testdata/spec/json/i32.0.wasm")
	if err != nil {
		t.Skip(err)
	}
	m, err := binary.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Module(m, nil); err != nil {
		t.Fatal(err)
	}
	e := New(Config{})
	mod, err := e.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	anyCodes := mod.Codes()
	s := store.New()
	inst, err := s.Instantiate(m, "m", anyCodes, store.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Instantiated(inst); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []uint64
		want uint64
	}{
		{"add", []uint64{1, 2}, 3},
		{"sub", []uint64{1, 2}, 0xffffffff},
		{"mul", []uint64{7, 6}, 42},
		{"div_s", []uint64{7, 2}, 3},
		{"rem_u", []uint64{7, 2}, 1},
		{"clz", []uint64{1}, 31},
		{"ctz", []uint64{0}, 32},
	} {
		f := inst.Funcs[inst.Exports[tt.name].Index]
		stack := append([]uint64(nil), tt.args...)
		stack = append(stack, 0, 0)
		if err := e.Call(context.Background(), f, stack); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if stack[0] != tt.want {
			t.Errorf("%s%v = %#x, want %#x", tt.name, tt.args, stack[0], tt.want)
		}
	}
	f := inst.Funcs[inst.Exports["div_s"].Index]
	err = e.Call(context.Background(), f, []uint64{1, 0})
	t.Logf("div by zero: %v", err)
}
