// Package interp is the interpreter tier: it runs the slot form of
// package ir, into which each validated function is translated once.
//
// A call's frames are windows of one contiguous []uint64 value stack.
// Calls do not recurse on the Go stack: a callee's frame starts at the
// caller's argument slots (so arguments and results are never copied) and
// a frame record is pushed on an explicit call stack. Stack space and call
// depth are bounded, and a guest that loops can be interrupted: taken
// branches and calls check a flag that context cancellation sets.
package interp
