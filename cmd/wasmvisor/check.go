package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/vm"
)

func init() {
	register("check", "tell whether hardware isolation (KVM micro-VMs) works here", func(args []string) int {
		return checkMain(args, os.Stdout, os.Stderr)
	})
}

// checkMain implements `wasmvisor check [--bench] [--runs N] [--device PATH]`.
// It prints the tier code runs on by default here, then checks hardware
// isolation. It exits 0 when the micro-VM monitor can run guests on this host and 1
// when it cannot, saying why.
func checkMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bench := fs.Bool("bench", false, "also measure VM start and exit costs")
	runs := fs.Int("runs", 200, "samples per benchmark median")
	device := fs.String("device", "/dev/kvm", "the KVM device")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor check [--bench] [--runs N] [--device PATH]\n\n"+
			"Print the execution tier this host gets (see run --tier), and check whether\n"+
			"wasmvisor can run instances in KVM micro-VMs on this host (the\n"+
			"device, its permissions, the KVM API and capabilities, the kind of\n"+
			"virtualization), run a test guest and say how its TSS is loaded. Without\n"+
			"KVM, say what that means and how to get it. With --bench, print the medians\n"+
			"of VM cold and pooled start, hypercall round trip and raw exit round trip.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 || *runs < 1 {
		fs.Usage()
		return 2
	}

	tier := wasmvisor.DefaultTier()
	if tier == wasmvisor.TierCompiled {
		fmt.Fprintln(stdout, "execution tier: compiled (code runs as x86-64 machine code)")
	} else {
		fmt.Fprintf(stdout, "execution tier: %s (%v)\n", tier, wasmvisor.TierCompiled.Available())
	}

	r := vm.Diagnose(*device)
	if r.Usable {
		fmt.Fprintln(stdout, "hardware isolation: available (run --isolation=vm runs programs in KVM micro-VMs; --isolation=auto picks them here)")
	} else {
		fmt.Fprintln(stdout, "hardware isolation: NOT available (run --isolation=auto runs programs in this process here)")
	}
	for _, f := range r.Findings {
		status := "ok"
		switch {
		case !f.OK:
			status = "FAIL"
		case f.Info:
			status = "info"
		}
		fmt.Fprintf(stdout, "  %-4s  %-14s  %s\n", status, f.Name, f.Detail)
	}
	if !r.Usable {
		return 1
	}
	if !*bench {
		return 0
	}

	m, err := vm.NewMonitor(vm.Config{Device: *device})
	if err != nil {
		fmt.Fprintf(stderr, "wasmvisor check: %v\n", err)
		return 1
	}
	defer m.Close()
	res, err := m.Bench(*runs)
	if err != nil {
		fmt.Fprintf(stderr, "wasmvisor check: benchmark: %v\n", err)
		return 1
	}
	us := func(d time.Duration) int64 { return d.Round(time.Microsecond).Microseconds() }
	fmt.Fprintf(stdout, "vm cold start: %d µs\n", us(res.ColdStart))
	fmt.Fprintf(stdout, "vm pooled start: %d µs\n", us(res.PooledStart))
	fmt.Fprintf(stdout, "hypercall round trip: %d µs\n", us(res.Hypercall))
	fmt.Fprintf(stdout, "raw exit round trip: %d µs\n", us(res.RawExit))
	if res.PoolMisses > 0 {
		fmt.Fprintf(stdout, "(%d of %d pooled starts found the pool empty)\n", res.PoolMisses, res.Runs)
	}
	return 0
}
