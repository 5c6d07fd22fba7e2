package sightglass

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// TestMain lets Measure start this test binary as its child.
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}

func sharedPrograms(t *testing.T, names ...string) []Program {
	t.Helper()
	all, err := Discover(testshared.Path(t, "bench", "sightglass"))
	if err != nil {
		t.Fatal(err)
	}
	var out []Program
	for _, p := range all {
		for _, n := range names {
			if p.Name == n {
				out = append(out, p)
			}
		}
	}
	if len(out) != len(names) {
		t.Fatalf("found %d of the programs %v", len(out), names)
	}
	return out
}

// TestMeasure runs two quick programs on every engine and checks that
// each run was timed and its output checked. The micro-VM engine is left
// out where this host cannot run micro-VMs (CI runs the KVM tests in an
// emulated machine instead).
func TestMeasure(t *testing.T) {
	progs := sharedPrograms(t, "noop", "shootout-ackermann")
	engines := Engines()
	if err := wasmvisor.IsolationVM.Available(); err != nil {
		t.Logf("without %s: %v", wasmvisorVM.Name, err)
		engines = slices.DeleteFunc(engines, func(e *Engine) bool { return e == wasmvisorVM })
	}
	results, err := Measure(context.Background(), progs, Options{Engines: engines, Rounds: 2, Timeout: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		t.Run(r.Program, func(t *testing.T) {
			if r.Error != "" {
				t.Fatal(r.Error)
			}
			for i, ss := range r.Samples {
				if len(ss) != 2 {
					t.Fatalf("%s: %d samples, want 2", engines[i].Name, len(ss))
				}
				for _, s := range ss {
					if s.Compile <= 0 || s.Total < s.Compile+s.Measured || s.Wall < s.Total || s.MaxRSS < 1<<20 {
						t.Errorf("%s: implausible sample %+v", engines[i].Name, s)
					}
				}
			}
		})
	}
}

// TestMeasure_wrongOutput checks that a run whose output differs from
// the expected output fails the program, naming the engine and the line.
func TestMeasure_wrongOutput(t *testing.T) {
	progs := sharedPrograms(t, "shootout-ackermann")
	progs[0].Stdout = []byte("something else\n")
	results, err := Measure(context.Background(), progs, Options{Engines: DefaultEngines()[:1], Rounds: 1})
	if err != nil {
		t.Fatal(err)
	}
	const want = "wasmvisor, round 1: stdout differs at line 1"
	if got := results[0].Error; !strings.Contains(got, want) {
		t.Fatalf("got %q, want an error containing %q", got, want)
	}
}

func TestAutoRounds(t *testing.T) {
	opt := Options{Budget: 20 * time.Second, MinRounds: 3, MaxRounds: 11}
	tests := []struct {
		first time.Duration
		want  int
	}{{time.Millisecond, 11}, {4 * time.Second, 5}, {10 * time.Second, 3}, {10 * time.Minute, 3}}
	for _, tt := range tests {
		if got := autoRounds(tt.first, opt); got != tt.want {
			t.Errorf("autoRounds(%v) = %d, want %d", tt.first, got, tt.want)
		}
	}
}

func TestLookupEngines(t *testing.T) {
	tests := []struct {
		list, want, err string
	}{
		{list: "wasmvisor,wazero-compiler", want: "wasmvisor, wazero-compiler"},
		{list: " wazero-interp ", want: "wazero-interp"},
		{list: "wasmvisor,v8", err: `unknown engine "v8"`},
		{list: "wasmvisor,wasmvisor", err: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			es, err := LookupEngines(tt.list)
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case engineNames(es) != tt.want:
				t.Fatalf("got %s, want %s", engineNames(es), tt.want)
			}
		})
	}
}
