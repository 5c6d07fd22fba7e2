// Package kvmtest lets tests that need /dev/kvm skip cleanly where it
// cannot be used, with one greppable message: every such skip starts with
// "KVM unavailable: ", so CI can report whether KVM tests ran.
package kvmtest
