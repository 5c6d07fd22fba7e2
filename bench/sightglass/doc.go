// Package sightglass runs the sightglass benchmark programs
// (../shared/bench/sightglass) on wasmvisor and on wazero side by side
// (and on Node.js) and reports how long each engine takes.
//
// Every run is a process of its own, started in the program's directory
// the way a command-line user starts it: the directory is preopened as
// ".", standard output and error go to pipes the harness reads and
// compares with the benchmark's *.expected files. A run reports three
// times: the measured figure (from the guest's bench.start call to its
// bench.end call), the compile time, and the whole process from start to
// exit (compile, instantiate, run), which is what a user waits for; the
// kernel adds the process's peak resident set size.
//
// Engines are run alternately, one run each in turn, with the order
// rotated every round, so that noise from a shared machine falls on all
// of them alike; the report takes the median of the rounds.
//
// The in-process engines run in a child process that is the harness's
// own binary started again (see RunChildIfRequested); the CLI engines run
// the wasmvisor and wazero commands on copies of the programs whose
// bench imports are defined as empty functions, since neither command
// lets a user supply that host module.
package sightglass
