// Package ir is the slot form of WebAssembly code, shared by the
// interpreter (package interp) and the machine-code compiler tier, and
// the translator that produces it from validated function bodies.
//
// Every value lives in a slot of its function's frame, 8 bytes each,
// slot i at byte 8*i of the frame: parameters, then declared locals,
// then one slot per operand-stack position (v128 takes two).
// Instructions (Instr) name their source and destination slots, so
// local.get emits nothing, results are written straight to the local a
// following local.set names, constants become immediates, and
// compare-and-branch, eqz-and-branch and operations with a constant
// operand are fused into single instructions. Branch targets are
// resolved (relative offsets, see Instr.Target); nothing is left to
// decode at run time.
//
// A call names the slot where its arguments start: the callee's frame
// begins there, so arguments and results are never copied. A function's
// results are left in the first slots of its frame. A frame needs
// Func.FrameSlots slots, at most MaxFrameSlots.
//
// Compile translates every function of a module, in parallel; Func.String
// prints a function's code for debugging. ops.go lists the opcodes and
// their operands; opnames.go is generated from it (go generate).
package ir
