// Package wasi is the virtual kernel that serves WASI preview 1
// (wasi_snapshot_preview1) to one instance: its arguments and
// environment, clocks, randomness, descriptors (stdio, files and
// directories of an fs.Namespace, pre-opened listening sockets) and exit.
//
// The kernel knows nothing about the engine that runs the guest. A call
// arrives as a Function from the Functions table together with the
// guest's linear memory, as bytes that stay put for the duration of the
// call, and its parameters as raw values; it leaves the errno in the
// result slot. The same entry point serves an in-process host call and a
// hypercall from a micro-VM. proc_exit, and a blocking call interrupted
// by the context, come back as errors for the engine to end the guest
// with.
//
// Every pointer and length from the guest is checked against the memory:
// a bad one gives EFAULT, never a host panic. Structure layouts, errno
// values and rights follow the preview 1 witx definitions:
// https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md
//
// A Kernel serves one instance; preview 1 has no threads, so its calls
// must not be made concurrently.
package wasi
