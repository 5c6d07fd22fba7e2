package sightglass

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Engine is one way of running a program: a runtime with its settings,
// both in-process (as an embedder calls it) and through its command-line
// tool (as a user types it).
type Engine struct {
	// Name identifies the engine in flags and tables.
	Name string
	// About says which runtime, configuration and WASI it is.
	About string
	// run runs the program in the calling process.
	run func(ctx context.Context, bin []byte, env runEnv) (exitCode uint32, err error)
	// cli returns the command line that runs the WASI command wasm,
	// working directory preopened as ".", with the tools in tools.
	cli func(tools Tools, wasm string) []string
}

// runEnv is what an engine's run function gives the program.
type runEnv struct {
	args           []string
	stdout, stderr io.Writer
	marks          *marks
}

// Tools are the command-line programs the CLI mode runs.
type Tools struct {
	Wasmvisor, Wazero string
}

// marks records the instants a run reports. bench.start and bench.end
// come from the guest, which calls each once.
type marks struct {
	mu                   sync.Mutex
	compiled, start, end time.Time
	startCalls, endCalls int
}

func (m *marks) compileDone() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.compiled = time.Now()
}

func (m *marks) benchStart() {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.start = now
	m.startCalls++
}

func (m *marks) benchEnd() {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.end = now
	m.endCalls++
}

// Timing is what a run measures inside the process that runs the program.
type Timing struct {
	// Compile is decoding, validating and preparing the code.
	Compile time.Duration
	// Measured is from bench.start to bench.end.
	Measured time.Duration
	// Total is compiling, instantiating and running to the end of _start.
	Total time.Duration
	// ExitCode is proc_exit's argument, or 0 when _start returns.
	ExitCode uint32
}

// Run runs the program in bin once, in this process, with name as its
// argv[0], the given output streams, and the working directory preopened
// as ".". It fails if the program exits with an error other than
// proc_exit, or does not call bench.start and bench.end once each.
func (e *Engine) Run(ctx context.Context, bin []byte, name string, stdout, stderr io.Writer) (Timing, error) {
	m := &marks{}
	t0 := time.Now()
	code, err := e.run(ctx, bin, runEnv{args: []string{name}, stdout: stdout, stderr: stderr, marks: m})
	total := time.Since(t0)
	if err != nil {
		return Timing{}, fmt.Errorf("%s: %w", e.Name, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.startCalls != 1 || m.endCalls != 1 {
		return Timing{}, fmt.Errorf("%s: bench.start called %d times and bench.end %d times, want once each", e.Name, m.startCalls, m.endCalls)
	}
	return Timing{
		Compile:  m.compiled.Sub(t0),
		Measured: m.end.Sub(m.start),
		Total:    total,
		ExitCode: code,
	}, nil
}

// engines lists every engine; the first ones, up to defaultEngines, run
// unless the user picks others.
var engines = []*Engine{wasmvisorEngine, wazeroCompiler, wasmvisorInterp, wazeroInterp, wazeroInterpCtx, wazeroCompilerCtx, wasmvisorVM, nodeEngine}

const defaultEngines = 2

// Engines returns every engine the harness knows.
func Engines() []*Engine { return slices.Clone(engines) }

// DefaultEngines returns the engines a run compares unless told otherwise:
// wasmvisor first (the others are compared with it), then wazero's
// interpreter and compiler as its users run them.
func DefaultEngines() []*Engine { return slices.Clone(engines[:defaultEngines]) }

// LookupEngines returns the engines named in a comma-separated list.
func LookupEngines(list string) ([]*Engine, error) {
	var out []*Engine
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(engines, func(e *Engine) bool { return e.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("unknown engine %q (known: %s)", name, engineNames(engines))
		}
		if slices.Contains(out, engines[i]) {
			return nil, fmt.Errorf("engine %q is listed twice", name)
		}
		out = append(out, engines[i])
	}
	if len(out) == 0 {
		return nil, errors.New("no engines selected")
	}
	return out, nil
}

func engineNames(es []*Engine) string {
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name
	}
	return strings.Join(names, ", ")
}

// wasmArg is the name a program sees as its argv[0], as the CLIs pass it.
func wasmArg(path string) string { return filepath.Base(path) }
