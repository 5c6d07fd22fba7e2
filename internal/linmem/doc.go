// Package linmem provides WebAssembly linear memories whose bytes never
// move: the whole address range a memory may ever use is reserved once
// with PROT_NONE, and growing only makes more of it accessible. Compiled
// code can keep the base address in a register, and the micro-VM maps the
// same host pages into a guest as a memory slot.
package linmem
