// Package kvmtest lets tests that need /dev/kvm skip cleanly where it
// cannot be used, with one greppable message: every such skip starts with
// "KVM unavailable: ", so CI can report whether KVM tests ran.
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
