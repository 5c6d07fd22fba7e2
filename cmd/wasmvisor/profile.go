package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the command into the file
// WASMVISOR_CPUPROFILE names, if it names one, until stop is called. Such
// profiles of typical commands make default.pgo, the profile `go build`
// optimizes this command with (misc/pgo.sh).
func startCPUProfile() (stop func()) {
	path := os.Getenv("WASMVISOR_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "wasmvisor: WASMVISOR_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "wasmvisor: WASMVISOR_CPUPROFILE: %v\n", err)
		}
	}
}
