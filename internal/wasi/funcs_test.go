package wasi

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestFunctions(t *testing.T) {
	if len(Functions) != 46 {
		t.Fatalf("%d functions, want the 46 of wasi_snapshot_preview1", len(Functions))
	}
	seen := map[string]bool{}
	for i := range Functions {
		f := &Functions[i]
		if seen[f.Name] {
			t.Errorf("%s listed twice", f.Name)
		}
		seen[f.Name] = true
		if Lookup(f.Name) != f {
			t.Errorf("Lookup(%q) does not find it", f.Name)
		}
		wantResults := 1
		if f.Name == "proc_exit" {
			wantResults = 0
		}
		if len(f.Type.Results) != wantResults || (wantResults == 1 && f.Type.Results[0] != wasm.ValueTypeI32) {
			t.Errorf("%s: results %v", f.Name, f.Type.Results)
		}
		if f.impl == nil {
			t.Errorf("%s has no implementation", f.Name)
		}
	}
	// Spot-check signatures against the witx definitions.
	tests := []struct{ name, sig string }{
		{"clock_time_get", "(i32, i64, i32) -> (i32)"},
		{"fd_pread", "(i32, i32, i32, i64, i32) -> (i32)"},
		{"path_open", "(i32, i32, i32, i32, i32, i64, i64, i32, i32) -> (i32)"},
		{"fd_seek", "(i32, i64, i32, i32) -> (i32)"},
		{"proc_exit", "(i32) -> ()"},
		{"sock_recv", "(i32, i32, i32, i32, i32, i32) -> (i32)"},
		{"sched_yield", "() -> (i32)"},
	}
	for _, tt := range tests {
		if got := Lookup(tt.name).Type.String(); !strings.Contains(got, tt.sig) {
			t.Errorf("%s: type %s, want %s", tt.name, got, tt.sig)
		}
	}
	if Lookup("fd_nonesuch") != nil {
		t.Error("Lookup found a function that does not exist")
	}
}

func TestFunction_Call(t *testing.T) {
	e := newEnv(t)
	f := Lookup("fd_close")
	if err := f.Call(context.Background(), e.k, e.mem, nil); err == nil {
		t.Error("Call with an empty stack succeeded")
	}
	// An i32 whose slot carries garbage above 32 bits is still fd 1.
	stack := []uint64{0xdead_beef_0000_0001}
	if err := f.Call(context.Background(), e.k, e.mem, stack); err != nil || Errno(stack[0]) != ESUCCESS {
		t.Fatalf("fd_close(1) with a dirty slot: %v, %v", err, Errno(stack[0]))
	}
	// proc_exit has no result and ends the guest with an ExitError.
	stack = []uint64{42}
	err := Lookup("proc_exit").Call(context.Background(), e.k, e.mem, stack)
	var exit *ExitError
	if !errors.As(err, &exit) || exit.Code != 42 || stack[0] != 42 {
		t.Fatalf("proc_exit: %v, stack %v", err, stack)
	}
	if exit.Error() != "exit status 42" {
		t.Errorf("ExitError text %q", exit.Error())
	}
	// No memory at all: every pointer is out of bounds.
	stack = []uint64{0, 0}
	if err := Lookup("args_sizes_get").Call(context.Background(), e.k, nil, stack); err != nil || Errno(stack[0]) != EFAULT {
		t.Fatalf("args_sizes_get without memory: %v, %v", err, Errno(stack[0]))
	}
}

func TestErrno_String(t *testing.T) {
	tests := []struct {
		e    Errno
		want string
	}{
		{ESUCCESS, "success"}, {E2BIG, "2big"}, {ENOENT, "noent"}, {ENOTCAPABLE, "notcapable"}, {Errno(999), "errno(999)"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.e, got, tt.want)
		}
	}
	if ENOTCAPABLE != 76 || EXDEV != 75 || ENOENT != 44 || EBADF != 8 {
		t.Error("errno values do not match the witx numbering")
	}
}
