// Package launch turns a program description into a run: it compiles
// the module and its preloads under the limits, opens what the program
// finds pre-opened (sockets, a disk image, host directories), links it
// to WASI, calls its entry point and returns the exit status and what
// the run cost. `wasmvisor run` is flag parsing and output over it; a
// daemon or a container shim would describe programs the same way.
//
// It also parses the `-W key=value` settings (Limits) that `run`,
// `compile` and `validate` share.
package launch
