package amd64

import (
	"testing"
	"unsafe"
)

// TestExecCtxLayout checks the offsets generated code and
// enter_amd64.s use against the struct's real layout.
func TestExecCtxLayout(t *testing.T) {
	var c execCtx
	for _, tt := range []struct {
		name      string
		got, want uintptr
	}{
		{"goSP", unsafe.Offsetof(c.goSP), ctxGoSP},
		{"goBP", unsafe.Offsetof(c.goBP), ctxGoBP},
		{"jitSP", unsafe.Offsetof(c.jitSP), ctxJitSP},
		{"exitCode", unsafe.Offsetof(c.exitCode), ctxExitCode},
		{"exitArg", unsafe.Offsetof(c.exitArg), ctxExitArg},
		{"fp", unsafe.Offsetof(c.fp), ctxFP},
		{"vmctx", unsafe.Offsetof(c.vmctx), ctxVMCtx},
		{"stackEnd", unsafe.Offsetof(c.stackEnd), ctxStackEnd},
		{"nativeLim", unsafe.Offsetof(c.nativeLim), ctxNativeLim},
		{"interrupt", unsafe.Offsetof(c.interrupt), ctxInterrupt},
		{"target", unsafe.Offsetof(c.target), ctxTarget},
		{"exitPtr", unsafe.Offsetof(c.exitPtr), ctxExitPtr},
		{"exitArgs", unsafe.Offsetof(c.exitArgs), ctxExitArgs},
	} {
		if tt.got != tt.want {
			t.Errorf("execCtx.%s at %d, generated code uses %d", tt.name, tt.got, tt.want)
		}
	}
	// enter_amd64.s hard-codes these.
	if ctxFP != 32 || ctxVMCtx != 40 || vmMemBase != 0 || vmMemLenPtr != 8 {
		t.Errorf("enter_amd64.s offsets out of date")
	}
}
