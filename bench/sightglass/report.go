package sightglass

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Stat reduces one engine's samples of a program to one figure.
type Stat int

const (
	// Median is the middle of the sorted samples (the mean of the two
	// middle ones for an even count).
	Median Stat = iota
	// Min is the fastest sample.
	Min
)

func (s Stat) String() string {
	if s == Min {
		return "min"
	}
	return "median"
}

func (s Stat) of(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if s == Min {
		return v[0]
	}
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// geomean is the geometric mean of positive values; NaN if there are none.
func geomean(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range v {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(v)))
}

// metric is one column family of the report: a figure per sample.
type metric struct {
	title string
	value func(Sample) float64
	// stat overrides the report's Stat (peak memory is a maximum).
	stat   func([]float64) float64
	format func(float64) string
}

var (
	measuredMetric = metric{
		title:  "bench.start to bench.end",
		value:  func(s Sample) float64 { return s.Measured.Seconds() },
		format: formatSeconds,
	}
	wallMetric = metric{
		title:  "whole process: start, compile, instantiate, run, exit",
		value:  func(s Sample) float64 { return s.Wall.Seconds() },
		format: formatSeconds,
	}
	compileMetric = metric{
		title:  "compile (decode, validate, prepare the code)",
		value:  func(s Sample) float64 { return s.Compile.Seconds() },
		format: formatSeconds,
	}
	rssMetric = metric{
		title: "peak resident set size of the process (largest of the runs)",
		value: func(s Sample) float64 { return float64(s.MaxRSS) },
		stat: func(v []float64) float64 {
			if len(v) == 0 {
				return math.NaN()
			}
			return slices.Max(v)
		},
		format: func(b float64) string { return sig3(b/(1<<20)) + " MiB" },
	}
)

// excludedFromMean reports programs that are listed but left out of the
// geometric mean: noop does no work between bench.start and bench.end,
// so its ratio is noise.
func excludedFromMean(name string) bool { return name == "noop" }

// Run is a whole measurement: what Measure returned and where and how it
// was taken. It is what -save writes and -load reads.
type Run struct {
	Date time.Time
	// Machine is Machine()'s description.
	Machine string
	Mode    Mode
	// Engines are the engines' names, in the order of each Result's
	// Samples; the first is the one the others are compared with.
	Engines []string
	// Duration is how long the measurement took.
	Duration time.Duration
	Results  []Result
}

// Report writes a header and Markdown tables of the run: for each metric
// the stat of every engine, and the time ratio of the first engine to
// each other one, with their geometric means.
func Report(w io.Writer, run *Run, stat Stat) {
	mode := "engines in-process (a child process per run)"
	ms := []metric{measuredMetric, wallMetric, compileMetric, rssMetric}
	if run.Mode == CLI {
		mode = "the CLIs"
		ms = []metric{wallMetric, rssMetric}
	}
	fmt.Fprintf(w, "%s, %s\n", run.Date.UTC().Format("2006-01-02 15:04 MST"), run.Machine)
	fmt.Fprintf(w, "%d programs, %s: %s; the whole run took %s\n\n",
		len(run.Results), mode, strings.Join(run.Engines, ", "), run.Duration.Round(time.Second))
	for _, m := range ms {
		writeTable(w, run.Results, run.Engines, m, stat)
	}
	if run.Mode == CLI {
		var floor int64
		for _, r := range run.Results {
			for _, ss := range r.Samples {
				for _, s := range ss {
					floor = max(floor, s.Floor)
				}
			}
		}
		fmt.Fprintf(w, "Linux counts the memory of the process that starts a CLI in the CLI's peak (they share it from fork to exec): up to %s here, a floor under every figure above.\n\n",
			rssMetric.format(float64(floor)))
	}
	var failed []string
	for _, r := range run.Results {
		if r.Error != "" {
			failed = append(failed, fmt.Sprintf("- %s: %s", r.Program, r.Error))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "FAILED:\n%s\n", strings.Join(failed, "\n"))
	}
}

func writeTable(w io.Writer, results []Result, engines []string, m metric, stat Stat) {
	reduce := stat.of
	statName := stat.String()
	if m.stat != nil {
		reduce, statName = m.stat, "max"
	}
	base := engines[0]
	head := []string{"program", "runs"}
	head = append(head, engines...)
	for _, e := range engines[1:] {
		head = append(head, base+" / "+e)
	}
	rows := [][]string{head}
	ratios := make([][]float64, len(engines))
	for _, r := range results {
		row := []string{r.Program, fmt.Sprint(len(r.Samples[0]))}
		if r.Error != "" {
			row[1] = "FAILED"
		}
		vals := make([]float64, len(engines))
		for i, ss := range r.Samples {
			v := make([]float64, len(ss))
			for j, s := range ss {
				v[j] = m.value(s)
			}
			vals[i] = reduce(v)
			row = append(row, cell(vals[i], m.format))
		}
		for i := 1; i < len(engines); i++ {
			q := vals[0] / vals[i]
			row = append(row, cell(q, sig3))
			if r.Error == "" && !excludedFromMean(r.Program) && q > 0 && !math.IsInf(q, 0) {
				ratios[i] = append(ratios[i], q)
			}
		}
		rows = append(rows, row)
	}
	mean := []string{"geometric mean", ""}
	for range engines {
		mean = append(mean, "")
	}
	var summary []string
	for i := 1; i < len(engines); i++ {
		g := geomean(ratios[i])
		mean = append(mean, cell(g, sig3))
		if !math.IsNaN(g) && m.stat == nil {
			summary = append(summary, fmt.Sprintf("%s takes %s× the time of %s over %d programs: %s",
				base, sig3(g), engines[i], len(ratios[i]), speedup(base, g)))
		}
	}
	rows = append(rows, mean)
	fmt.Fprintf(w, "%s, %s:\n\n", capitalize(m.title), statName)
	writeMarkdown(w, rows)
	for _, s := range summary {
		fmt.Fprintf(w, "- %s\n", s)
	}
	fmt.Fprintln(w)
}

// speedup words a time ratio as how many times faster or slower the
// engine is.
func speedup(engine string, ratio float64) string {
	if ratio <= 1 {
		return fmt.Sprintf("%s is %s× as fast", engine, sig3(1/ratio))
	}
	return fmt.Sprintf("%s is %s× as slow", engine, sig3(ratio))
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func cell(v float64, format func(float64) string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return format(v)
}

// writeMarkdown writes rows as a Markdown table, the first row as the
// header, padded so that it reads as a table in a terminal too.
func writeMarkdown(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				fmt.Fprintf(&b, " %s%s |", c, pad)
			} else {
				fmt.Fprintf(&b, " %s%s |", pad, c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(rows[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
		if i > 0 {
			sep[i] = sep[i][1:] + ":"
		}
	}
	line(sep)
	for _, r := range rows[1:] {
		line(r)
	}
}

// formatSeconds prints a duration in seconds with three significant
// digits in the unit that suits it.
func formatSeconds(s float64) string {
	switch {
	case s >= 1:
		return sig3(s) + " s"
	case s >= 1e-3:
		return sig3(s*1e3) + " ms"
	}
	return sig3(s*1e6) + " µs"
}

func formatDuration(d time.Duration) string { return formatSeconds(d.Seconds()) }

// sig3 prints v with three significant digits (more for v ≥ 1000),
// never in exponent form.
func sig3(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1 || a == 0:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
