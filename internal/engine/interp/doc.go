// Package interp is the interpreter tier: it translates each validated
// function once into a register-style form built for speed and runs it.
//
// Every value lives in a slot of its function's frame, a window of one
// contiguous []uint64 value stack: parameters, then declared locals, then
// one slot per operand-stack position (v128 takes two). Instructions name
// their source and destination slots, so local.get emits nothing, results
// are written straight to the local a following local.set names,
// constants become immediates, and compare-and-branch, eqz-and-branch and
// operations with a constant operand are fused into single instructions.
// Branch targets are resolved instruction indices; nothing is decoded at
// run time.
//
// Calls do not recurse on the Go stack: a callee's frame starts at the
// caller's argument slots (so arguments and results are never copied) and
// a frame record is pushed on an explicit call stack. Stack space and call
// depth are bounded, and a guest that loops can be interrupted: taken
// branches and calls check a flag that context cancellation sets.
package interp
