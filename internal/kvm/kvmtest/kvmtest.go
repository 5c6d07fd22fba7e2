package kvmtest

import (
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm"
)

// SkipPrefix starts the message of every skip for want of KVM.
const SkipPrefix = "KVM unavailable: "

// Require skips t unless /dev/kvm can be opened.
func Require(t testing.TB) {
	t.Helper()
	sys, err := kvm.Open()
	if err != nil {
		t.Skip(SkipPrefix + err.Error())
	}
	sys.Close()
}

// Skip skips t with the reason err, for setup failures that mean KVM
// cannot be used on this host (a missing capability, say).
func Skip(t testing.TB, err error) {
	t.Helper()
	t.Skip(SkipPrefix + err.Error())
}
