// Command wasmvisor decodes, validates and runs WebAssembly programs.
//
// Usage:
//
//	wasmvisor <command> [arguments]
//
// The commands are:
//
//	run       run a WASI command, or --invoke one of a module's exports,
//	          with wasmtime run's options (--dir, --env, --invoke,
//	          --preload, --tcplisten, -W) and --disk IMAGE to boot the
//	          program from an ext4 file system inside a raw, qcow2 or VMDK
//	          disk image, under a copy-on-write overlay; --tier=interp or
//	          --tier=compiled picks how the code runs
//	validate  check modules against WebAssembly 2.0 and the runtime
//	          policy given with -W
//	inspect   print a summary of a module: sections, imports, exports,
//	          limits, code size, custom sections
//	wast      run spec test scripts in wast2json form and count the
//	          results, on the tier --tier names
//	check     print the execution tier this host gets, tell whether
//	          hardware isolation (KVM micro-VMs) works on this host, and
//	          with --bench measure its start-up and hypercall costs
//
// Run 'wasmvisor <command> -h' for a command's options. Exit statuses
// follow wasmtime: a program's own proc_exit code, 134 after a trap, 1
// for an error before the program starts, and 2 for a usage error.
//
// WASMVISOR_CPUPROFILE=FILE writes a CPU profile of the command to FILE,
// for go tool pprof. WASMVISOR_PERFMAP=1 writes /tmp/perf-PID.map, which
// names the compiled tier's code for Linux perf: 'perf record' of a run
// then shows the program's own functions.
package main
