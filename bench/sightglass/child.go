package sightglass

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childFlag, as the first argument of the harness's binary, makes it a
// child that runs one program and reports on resultFD (see
// RunChildIfRequested):
//
//	self childFlag run ENGINE WASM [PROFILE]   the engine in this process,
//	                                            writing a CPU profile
//	self childFlag exec ARGV...                 a CLI, as a child of this process
const childFlag = "-sightglass-child"

// resultFD is the descriptor a child writes its report to, so that its
// standard output and error carry only the program's.
const resultFD = 3

// childReport is what a child sends back.
type childReport struct {
	Timing
	// Wall is the CLI's process from start to exit (exec only; for run
	// the parent times the child itself).
	Wall time.Duration
	// PeakRSS is the peak resident set size of the process that ran the
	// program, in bytes.
	PeakRSS int64
	// Floor is the peak resident set size of the child when it started
	// the CLI (exec only): Linux counts it in the CLI's peak, because
	// the CLI shares the child's memory from fork to exec.
	Floor int64
	Err   string `json:",omitempty"`
}

// RunChildIfRequested runs one program and exits when the process was
// started by Measure as a child; otherwise it returns at once. Call it
// first thing in main, and in TestMain of tests that measure.
func RunChildIfRequested() {
	if len(os.Args) < 2 || os.Args[1] != childFlag {
		return
	}
	var rep childReport
	if err := runChild(os.Args[2:], &rep); err != nil {
		rep = childReport{Err: err.Error()}
	}
	if err := json.NewEncoder(os.NewFile(resultFD, "result")).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "sightglass child: writing the report:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func runChild(args []string, rep *childReport) error {
	switch {
	case (len(args) == 3 || len(args) == 4) && args[0] == "run":
		if len(args) == 4 {
			stop, err := startCPUProfile(args[3])
			if err != nil {
				return err
			}
			defer stop()
		}
		es, err := LookupEngines(args[1])
		if err != nil {
			return err
		}
		bin, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		t, err := es[0].Run(context.Background(), bin, wasmArg(args[2]), os.Stdout, os.Stderr)
		if err != nil {
			return err
		}
		rep.Timing = t
		rep.PeakRSS, err = peakRSS()
		// An engine that runs the program in a process of its own
		// (node) is measured by that process's peak.
		var ru syscall.Rusage
		if err == nil && syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
			rep.PeakRSS = max(rep.PeakRSS, ru.Maxrss<<10)
		}
		return err
	case len(args) >= 2 && args[0] == "exec":
		return execCLI(args[1:], rep)
	}
	return fmt.Errorf("child wants run ENGINE WASM [PROFILE] or exec ARGV..., got %q", args)
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// execCLI runs a command with the child's standard streams and reports
// its exit code, duration and peak RSS.
func execCLI(argv []string, rep *childReport) error {
	floor, err := peakRSS()
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = dieWithParent()
	start := time.Now()
	err = cmd.Run()
	rep.Wall = time.Since(start)
	rep.Floor = floor
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rep.PeakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok && exit.Exited() {
		rep.ExitCode = uint32(exit.ExitCode())
		return nil
	}
	return err
}

// peakRSS returns this process's peak resident set size (VmHWM), which,
// unlike getrusage, does not count the parent's memory that the process
// shared between fork and exec.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/self/status: VmHWM %q: %w", v, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("/proc/self/status has no VmHWM line")
}

// dieWithParent makes a child process get killed when the harness dies,
// so that an interrupted measurement leaves no program running.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
