// Package x86 holds the x86-64 pieces of a micro-VM guest that has no
// operating system: the control-register, segment and descriptor-table
// setup for 64-bit mode with the guest's code in ring 3, the exception
// stubs that run in ring 0, and the exception vectors. Instructions are
// encoded by internal/asm/amd64.
//
// References are to the Intel 64 and IA-32 Architectures Software
// Developer's Manual (SDM), Volume 3A unless stated otherwise.
package x86
