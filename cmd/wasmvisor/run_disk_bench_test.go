package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

var (
	diskBench       = flag.Bool("disk-bench", false, "run TestRunDisk_Benchmark, which compares --disk with --dir")
	diskBenchRounds = flag.Int("disk-bench-rounds", 9, "rounds of TestRunDisk_Benchmark")
)

// benchFiles is how many small files the benchmark stats and opens.
const benchFiles = 3000

// TestRunDisk_Benchmark reads a large file and stats and opens many
// small ones through --disk (raw and qcow2 images) and through --dir,
// alternating run by run, and prints the median of each phase and the
// ratio of the image's time to the directory's. The program times its
// own phases, so compiling and starting it are left out. It runs only
// with -disk-bench:
//
//	go test ./cmd/wasmvisor -run TestRunDisk_Benchmark -disk-bench -v
func TestRunDisk_Benchmark(t *testing.T) {
	if !*diskBench {
		t.Skip("run with -disk-bench")
	}
	prog := buildC(t, "diskbench")
	src := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 64<<20)
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	if err := os.WriteFile(filepath.Join(src, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(src, "many"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range benchFiles {
		data := fmt.Appendf(nil, "file %d of the benchmark\n", i)
		if err := os.WriteFile(filepath.Join(src, "many", fmt.Sprintf("f%04d", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	disktest.Need(t, "mkfs.ext4", "qemu-img")
	dir := t.TempDir()
	raw := filepath.Join(dir, "bench.img")
	disktest.MakeExt4(t, src, raw, 128)
	qcow := filepath.Join(dir, "bench.qcow2")
	disktest.Convert(t, raw, qcow, "qcow2")

	modes := []struct {
		name string
		args []string
	}{
		{"--dir", []string{"--dir", src + "::/"}},
		{"--disk raw", []string{"--disk", raw}},
		{"--disk qcow2", []string{"--disk", qcow}},
	}
	phases := []string{"read", "stat", "stat-again", "open"}
	// times[mode][phase] holds one duration per round.
	times := make([]map[string][]time.Duration, len(modes))
	for i := range times {
		times[i] = map[string][]time.Duration{}
	}
	for range *diskBenchRounds {
		for i, m := range modes {
			args := append(slices.Clone(m.args), prog, "/big.bin", "/many", strconv.Itoa(benchFiles))
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("%s: exit status %d\n%s", m.name, code, stderr)
			}
			for line := range strings.Lines(stdout) {
				f := strings.Fields(line)
				ns, err := strconv.ParseInt(f[1], 10, 64)
				if len(f) != 3 || err != nil {
					t.Fatalf("%s: bad output line %q", m.name, line)
				}
				times[i][f[0]] = append(times[i][f[0]], time.Duration(ns))
			}
		}
	}
	median := func(d []time.Duration) time.Duration {
		s := slices.Clone(d)
		slices.Sort(s)
		return s[len(s)/2]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "medians of %d rounds; ratio = time through the image / time through the directory\n", *diskBenchRounds)
	fmt.Fprintf(&b, "%-14s %-20s %-20s %-20s %-20s\n", "", "read 64 MiB", "stat 3000 (cold)", "stat 3000 (warm)", "open+read 3000")
	for i, m := range modes {
		fmt.Fprintf(&b, "%-14s", m.name)
		for _, p := range phases {
			med := median(times[i][p])
			var cell string
			if p == "read" {
				cell = fmt.Sprintf("%.0f MB/s", float64(len(big))/med.Seconds()/1e6)
			} else {
				cell = fmt.Sprintf("%.2f µs/file", float64(med.Nanoseconds())/1e3/benchFiles)
			}
			if i > 0 {
				cell += fmt.Sprintf(" (%.2fx)", med.Seconds()/median(times[0][p]).Seconds())
			}
			fmt.Fprintf(&b, " %-20s", cell)
		}
		b.WriteString("\n")
	}
	t.Log("\n" + b.String())
}
