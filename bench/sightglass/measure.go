package sightglass

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Mode says how a run starts an engine.
type Mode int

const (
	// InProcess runs the engine as a library in a child process: the
	// harness's own binary, started again (see RunChildIfRequested). It
	// measures bench.start to bench.end and the compile time as well as
	// the whole process.
	InProcess Mode = iota
	// CLI runs the engine's command-line tool, started by a child as
	// above, on a copy of the program whose bench imports are empty
	// functions (see StubPrograms). It measures the whole process only.
	CLI
)

func (m Mode) String() string {
	if m == CLI {
		return "cli"
	}
	return "in-process"
}

// MarshalText writes the mode as its String.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a mode written by MarshalText.
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "in-process":
		*m = InProcess
	case "cli":
		*m = CLI
	default:
		return fmt.Errorf("unknown mode %q", b)
	}
	return nil
}

// Options configure Measure.
type Options struct {
	// Engines run in this order in the first round; the first is the one
	// the report compares the others with.
	Engines []*Engine
	Mode    Mode
	// Tools are the CLIs, for Mode CLI.
	Tools Tools
	// Rounds is the number of runs per engine and program. Zero chooses
	// it per program from the first round: as many rounds as fit in
	// Budget, within [MinRounds, MaxRounds].
	Rounds               int
	Budget               time.Duration
	MinRounds, MaxRounds int
	// Timeout bounds one run; zero means no limit.
	Timeout time.Duration
	// Progress, if not nil, receives a line per round.
	Progress io.Writer
	// CPUProfile, if not empty, is a directory where each in-process run
	// writes a CPU profile, PROGRAM.ENGINE.pprof (the last round's
	// remains). Profiling slows the runs a little.
	CPUProfile string
}

// Sample is one run of one program on one engine.
type Sample struct {
	// Timing is measured inside the process (zero in Mode CLI).
	Timing
	// Wall is the whole process, from starting it to its exit.
	Wall time.Duration
	// MaxRSS is the process's peak resident set size in bytes.
	MaxRSS int64
	// Floor, in Mode CLI, is a lower bound of MaxRSS that Linux imposes:
	// the RSS of the process that started the CLI.
	Floor int64
}

// Result holds one program's runs.
type Result struct {
	// Program is the program's name.
	Program string
	// Samples has one slice per engine, in Options.Engines order.
	Samples [][]Sample
	// Error says which run failed, if one did; the program's remaining
	// runs were skipped.
	Error string `json:",omitempty"`
}

// Measure runs every program on every engine, alternating the engines
// run by run and rotating their order each round, and checks each run's
// output: against the expected files, and, for a stream that has none,
// against the first run's output so that the engines at least agree.
// A program whose run fails gets an Error and no further runs; Measure
// itself fails only if it cannot start, or ctx ends.
func Measure(ctx context.Context, progs []Program, opt Options) ([]Result, error) {
	if len(opt.Engines) == 0 {
		return nil, errors.New("no engines to measure")
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the harness binary to start children: %w", err)
	}
	results := make([]Result, 0, len(progs))
	for _, p := range progs {
		r := Result{Program: p.Name, Samples: make([][]Sample, len(opt.Engines))}
		if err := measureProgram(ctx, &p, r.Samples, self, opt); err != nil {
			r.Error = err.Error()
		}
		if ctx.Err() != nil {
			return results, ctx.Err()
		}
		results = append(results, r)
	}
	return results, nil
}

func measureProgram(ctx context.Context, p *Program, samples [][]Sample, self string, opt Options) error {
	wasm, err := filepath.Abs(p.Wasm)
	if err != nil {
		return err
	}
	var ref *output // the first run's output, for streams without an expected file
	rounds := max(opt.Rounds, 1)
	for round := 0; round < rounds; round++ {
		roundStart := time.Now()
		var line strings.Builder
		fmt.Fprintf(&line, "%s: round %d", p.Name, round+1)
		for i := range opt.Engines {
			ei := (i + round) % len(opt.Engines)
			e := opt.Engines[ei]
			childArgs := []string{"run", e.Name, wasm}
			if opt.CPUProfile != "" {
				childArgs = append(childArgs, filepath.Join(opt.CPUProfile, p.Name+"."+e.Name+".pprof"))
			}
			if opt.Mode == CLI {
				childArgs = append([]string{"exec"}, e.cli(opt.Tools, wasm)...)
			}
			s, out, err := runOnce(ctx, self, childArgs, p.Dir, opt.Mode, opt.Timeout)
			if err == nil {
				err = p.Check(out.stdout, out.stderr)
			}
			if err == nil && ref != nil {
				err = ref.agree(out, p)
			}
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", e.Name, round+1, err)
			}
			if ref == nil {
				ref = &output{engine: e.Name, stdout: out.stdout, stderr: out.stderr}
			}
			samples[ei] = append(samples[ei], s)
			fmt.Fprintf(&line, "  %s %s", e.Name, formatDuration(s.headline(opt.Mode)))
		}
		if round == 0 && opt.Rounds == 0 {
			rounds = autoRounds(time.Since(roundStart), opt)
		}
		if opt.Progress != nil {
			fmt.Fprintf(opt.Progress, "%s (of %d)\n", line.String(), rounds)
		}
	}
	return nil
}

// autoRounds picks how many rounds fit in the budget, given how long the
// first one took.
func autoRounds(first time.Duration, opt Options) int {
	n := opt.MinRounds
	if first > 0 {
		n = max(n, int(opt.Budget/first))
	}
	if opt.MaxRounds > 0 {
		n = min(n, opt.MaxRounds)
	}
	return max(n, 1)
}

// headline is the figure the progress line shows for a run.
func (s Sample) headline(m Mode) time.Duration {
	if m == InProcess {
		return s.Measured
	}
	return s.Wall
}

type output struct {
	engine         string
	stdout, stderr []byte
}

// agree checks the streams p has no expected file for against the first
// run's.
func (o *output) agree(got output, p *Program) error {
	if p.Stdout == nil && !bytes.Equal(got.stdout, o.stdout) {
		return fmt.Errorf("stdout differs from the first run's (on %s): %w", o.engine, compare("stdout", got.stdout, o.stdout))
	}
	if p.Stderr == nil && !bytes.Equal(got.stderr, o.stderr) {
		return fmt.Errorf("stderr differs from the first run's (on %s): %w", o.engine, compare("stderr", got.stderr, o.stderr))
	}
	return nil
}

// runOnce runs one program on one engine in a child in dir and returns
// what the child reports, with the program's output.
func runOnce(ctx context.Context, self string, childArgs []string, dir string, mode Mode, timeout time.Duration) (Sample, output, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, self, append([]string{childFlag}, childArgs...)...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = dieWithParent()
	r, w, err := os.Pipe()
	if err != nil {
		return Sample{}, output{}, err
	}
	defer r.Close()
	cmd.ExtraFiles = []*os.File{w} // the child's resultFD
	var report []byte
	var reportErr error
	reportDone := make(chan struct{})
	go func() {
		report, reportErr = io.ReadAll(r)
		close(reportDone)
	}()
	start := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		return Sample{}, output{}, fmt.Errorf("starting the child: %w", err)
	}
	err = cmd.Wait()
	wall := time.Since(start)
	<-reportDone
	out := output{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	switch {
	case timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return Sample{}, out, fmt.Errorf("no exit after %v", timeout)
	case err != nil:
		return Sample{}, out, fmt.Errorf("the child failed: %w%s", err, stderrTail(out.stderr))
	case reportErr != nil:
		return Sample{}, out, fmt.Errorf("reading the child's report: %w", reportErr)
	}
	var rep childReport
	if err := json.Unmarshal(report, &rep); err != nil {
		return Sample{}, out, fmt.Errorf("the child sent no report (%v)%s", err, stderrTail(out.stderr))
	}
	switch {
	case rep.Err != "":
		return Sample{}, out, fmt.Errorf("%s%s", rep.Err, stderrTail(out.stderr))
	case rep.ExitCode != 0:
		return Sample{}, out, fmt.Errorf("exit code %d%s", rep.ExitCode, stderrTail(out.stderr))
	}
	s := Sample{Timing: rep.Timing, Wall: wall, MaxRSS: rep.PeakRSS, Floor: rep.Floor}
	if mode == CLI {
		s.Wall = rep.Wall
	}
	return s, out, nil
}

// stderrTail quotes the end of a failed run's standard error.
func stderrTail(b []byte) string {
	const max = 2000
	if len(b) == 0 {
		return ""
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "; stderr ends:\n" + string(b)
}
