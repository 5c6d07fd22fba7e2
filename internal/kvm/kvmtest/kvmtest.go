package kvmtest

import (
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm"
)

// SkipPrefix starts the message of every skip for want of KVM.
const SkipPrefix = "KVM unavailable: "

// RequireEnv names the environment variable that, set to 1, turns every
// skip for want of KVM into a failure. CI sets it where it has arranged
// for KVM (on the machine or under emulation), so that a KVM test can
// never pass there by skipping.
const RequireEnv = "WASMVISOR_REQUIRE_KVM"

// Require skips t unless /dev/kvm can be opened.
func Require(t testing.TB) {
	t.Helper()
	sys, err := kvm.Open()
	if err != nil {
		Skip(t, err)
		return
	}
	sys.Close()
}

// Skip skips t with the reason err, for setup failures that mean KVM
// cannot be used on this host (a missing capability, say); under
// RequireEnv=1 it fails t instead.
func Skip(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s%v (%s=1: KVM tests must run here)", SkipPrefix, err, RequireEnv)
		return
	}
	t.Skip(SkipPrefix + err.Error())
}
