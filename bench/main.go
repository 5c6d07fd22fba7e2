package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	rounds := flag.Int("rounds", 15, "timed runs per engine and program")
	only := flag.String("run", "", "run only programs whose name contains this")
	flag.Parse()
	if err := compare(context.Background(), *rounds, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// compare prints a Markdown table: each engine's median time per
// program, and wasmvisor's time as a fraction of each other engine's
// with the geometric mean of those ratios.
func compare(ctx context.Context, rounds int, only string) error {
	head := []string{"program"}
	for _, e := range engines {
		head = append(head, e.name)
	}
	for _, e := range engines[1:] {
		head = append(head, engines[0].name+" / "+e.name)
	}
	fmt.Println("| " + strings.Join(head, " | ") + " |")
	fmt.Println("|---" + strings.Repeat("|--:", len(head)-1) + "|")
	logSum := make([]float64, len(engines))
	n := 0
	for _, p := range programs {
		if !strings.Contains(p.name, only) {
			continue
		}
		runners := make([]runner, len(engines))
		for i, e := range engines {
			r, err := e.new(ctx, p)
			if err != nil {
				return err
			}
			defer r.close(ctx)
			runners[i] = r
		}
		// Warm up every engine, and check that they agree.
		var want uint64
		for i, r := range runners {
			got, err := r.run(ctx)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", p.name, engines[i].name, err)
			}
			if i == 0 {
				want = got
			} else if got != want {
				return fmt.Errorf("%s: results differ: %s %d, %s %d", p.name, engines[0].name, want, engines[i].name, got)
			}
		}
		times := make([][]time.Duration, len(engines))
		for round := 0; round < rounds; round++ {
			for j := range runners {
				i := (j + round) % len(runners)
				start := time.Now()
				if _, err := runners[i].run(ctx); err != nil {
					return fmt.Errorf("%s: %s: %w", p.name, engines[i].name, err)
				}
				times[i] = append(times[i], time.Since(start))
			}
		}
		row := []string{p.name}
		med := make([]time.Duration, len(engines))
		for i := range engines {
			med[i] = median(times[i])
			row = append(row, fmt.Sprint(med[i].Round(100*time.Microsecond)))
		}
		for i := 1; i < len(engines); i++ {
			ratio := float64(med[0]) / float64(med[i])
			logSum[i] += math.Log(ratio)
			row = append(row, fmt.Sprintf("%.3g", ratio))
		}
		n++
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	if n > 0 {
		row := []string{"geometric mean"}
		for range engines {
			row = append(row, "")
		}
		for i := 1; i < len(engines); i++ {
			row = append(row, fmt.Sprintf("%.3g", math.Exp(logSum[i]/float64(n))))
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}
	return nil
}
