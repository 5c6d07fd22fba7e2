// Package wasip1 serves WASI preview 1 (the host module
// wasi_snapshot_preview1) to the modules of a wasmvisor.Runtime.
//
// Register it once per Runtime; every module that imports from it then
// gets a virtual kernel of its own, built from that module's
// wasmvisor.ModuleConfig when it is instantiated (Args, Env, Stdin,
// Stdout, Stderr, Listeners, Dirs, Random) and closed with it. Many
// programs can therefore run side by side in one Runtime, each with its
// own arguments, descriptors and directories:
//
//	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
//	defer r.Close(ctx)
//	wasip1.MustInstantiate(ctx, r)
//	compiled, err := r.CompileModule(ctx, bin)
//	...
//	_, err = r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
//		Args:           []string{"prog", "input.txt"},
//		Dirs:           []wasmvisor.DirMount{{Host: "data", Guest: "/"}},
//		Stdout:         os.Stdout,
//		StartFunctions: []string{"_start"},
//	})
//
// A program that calls proc_exit ends with an *api.ExitError carrying
// its exit code (also for code 0); a blocking call that the context's
// deadline interrupts ends with an *api.Trap of kind api.TrapTimeout,
// like a running guest.
//
// Listeners come first in the descriptor table (3, 4, …), then Dirs, in
// the order given: the order of `wasmtime run --tcplisten … --dir …`,
// which programs that look for a socket at descriptor 3 rely on.
//
// The functions follow the preview 1 witx definitions:
// https://github.com/WebAssembly/WASI/blob/main/legacy/preview1/docs.md
package wasip1
