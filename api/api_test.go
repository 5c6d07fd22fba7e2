package api

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestTrapKind_String(t *testing.T) {
	tests := []struct {
		kind TrapKind
		want string
	}{
		{TrapUnreachable, "unreachable"},
		{TrapIntegerDivideByZero, "integer divide by zero"},
		{TrapIntegerOverflow, "integer overflow"},
		{TrapInvalidConversion, "invalid conversion to integer"},
		{TrapOutOfBoundsMemory, "out of bounds memory access"},
		{TrapOutOfBoundsTable, "out of bounds table access"},
		{TrapIndirectCallTypeMismatch, "indirect call type mismatch"},
		{TrapUninitializedElement, "uninitialized element"},
		{TrapUndefinedElement, "undefined element"},
		{TrapCallStackExhausted, "call stack exhausted"},
		{TrapTimeout, "timeout"},
		{TrapInterrupted, "interrupted"},
		{TrapKind(200), "trap(200)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("%d: got %q, want %q", tt.kind, got, tt.want)
		}
	}
}

func TestTrap_Error(t *testing.T) {
	cause := errors.New("context deadline exceeded")
	trap := &Trap{Kind: TrapTimeout, Detail: "the call's deadline passed", Err: cause, Frames: []Frame{
		{Module: "m", FuncIndex: 4, FuncName: "spin"}, // stopped where no offset is known
		{Module: "m", FuncIndex: 3, FuncName: "loop", Offset: 0x1f4},
		{FuncIndex: 0, Host: true},
	}}
	want := "timeout: the call's deadline passed\n  0: m!spin[4]\n  1: m!loop[3] @0x1f4\n  2: func[0] (host)"
	if got := trap.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(trap, cause) {
		t.Error("Unwrap does not reach the cause")
	}
	if !errors.Is(fmt.Errorf("call: %w", trap), &Trap{Kind: TrapTimeout}) || errors.Is(trap, &Trap{Kind: TrapInterrupted}) {
		t.Error("Is does not match traps by kind")
	}
	if !errors.Is(fmt.Errorf("run: %w", &ExitError{Code: 3}), &ExitError{Code: 3}) || errors.Is(&ExitError{Code: 3}, &ExitError{}) {
		t.Error("Is does not match exits by code")
	}
	if got := (&ExitError{Code: 3}).Error(); !strings.Contains(got, "3") {
		t.Errorf("ExitError: %q", got)
	}
}

func TestEncoding(t *testing.T) {
	if DecodeI32(EncodeI32(-5)) != -5 || EncodeI32(-1) != 0xffffffff {
		t.Error("i32 encoding")
	}
	if DecodeU32(EncodeU32(7)) != 7 || EncodeI64(-1) != math.MaxUint64 {
		t.Error("u32/i64 encoding")
	}
	nan := math.Float32frombits(0x7fa00001)
	if EncodeF32(nan) != 0x7fa00001 || math.Float32bits(DecodeF32(0x7fa00001)) != 0x7fa00001 {
		t.Error("f32 NaN payload lost")
	}
	if DecodeF64(EncodeF64(-0.0)) != 0 || EncodeF64(math.Copysign(0, -1)) != 1<<63 {
		t.Error("f64 sign lost")
	}
	if ValueTypeName(ValueTypeV128) != "v128" || ValueTypeName(0x42) != "valtype(0x42)" {
		t.Error("ValueTypeName")
	}
}
