package sightglass

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestStat_of(t *testing.T) {
	tests := []struct {
		name string
		stat Stat
		in   []float64
		want float64
	}{
		{"median odd", Median, []float64{3, 1, 2}, 2},
		{"median even", Median, []float64{4, 1, 3, 2}, 2.5},
		{"median one", Median, []float64{7}, 7},
		{"min", Min, []float64{3, 1, 2}, 1},
		{"empty", Median, nil, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.stat.of(tt.in)
			if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGeomean(t *testing.T) {
	if got := geomean([]float64{0.5, 2, 4, 0.25}); math.Abs(got-1) > 1e-12 {
		t.Errorf("got %v, want 1", got)
	}
	if got := geomean(nil); !math.IsNaN(got) {
		t.Errorf("empty: got %v, want NaN", got)
	}
}

func TestSig3(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{{1234.5, "1234"}, {123.4, "123"}, {12.34, "12.3"}, {1.234, "1.23"}, {0.1234, "0.123"}, {0.001234, "0.00123"}, {0, "0.00"}}
	for _, tt := range tests {
		if got := sig3(tt.in); got != tt.want {
			t.Errorf("sig3(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{{33600 * time.Millisecond, "33.6 s"}, {96 * time.Millisecond, "96.0 ms"}, {812 * time.Microsecond, "812 µs"}, {400 * time.Nanosecond, "0.4 µs"}}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func samples(measured ...time.Duration) []Sample {
	s := make([]Sample, len(measured))
	for i, d := range measured {
		s[i] = Sample{Timing: Timing{Measured: d, Compile: d / 10}, Wall: d + time.Millisecond, MaxRSS: 8 << 20}
	}
	return s
}

func TestReport(t *testing.T) {
	ms := time.Millisecond
	results := []Result{
		{Program: "fast", Samples: [][]Sample{samples(10*ms, 11*ms, 90*ms), samples(40*ms, 40*ms, 40*ms)}},
		{Program: "slow", Samples: [][]Sample{samples(200*ms, 100*ms, 100*ms), samples(100*ms, 100*ms, 100*ms)}},
		{Program: "noop", Samples: [][]Sample{samples(1 * ms), samples(100 * ms)}},
		{Program: "broken", Samples: [][]Sample{samples(1 * ms), nil}, Error: "b, round 1: stdout differs"},
	}
	var buf bytes.Buffer
	run := &Run{Date: time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC), Machine: "a machine", Engines: []string{"a", "b"}, Duration: 90 * time.Second, Results: results}
	Report(&buf, run, Median)
	// Compare with the padding collapsed.
	out := strings.Join(strings.FieldsFunc(buf.String(), func(r rune) bool { return r == ' ' }), " ")
	for _, want := range []string{
		"2026-11-26 17:00 UTC, a machine\n4 programs, engines in-process (a child process per run): a, b; the whole run took 1m30s",
		"| fast | 3 | 11.0 ms | 40.0 ms | 0.275 |",
		"| slow | 3 | 100 ms | 100 ms | 1.00 |",
		"| noop | 1 | 1.00 ms | 100 ms | 0.01 |",
		"| broken | FAILED | 1.00 ms | – | – |",
		// noop and the failed program stay out of the mean: √(0.275·1).
		"| geometric mean | | | | 0.524 |",
		"a takes 0.524× the time of b over 2 programs: a is 1.91× as fast",
		"FAILED:\n- broken: b, round 1: stdout differs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
