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

func compare(ctx context.Context, rounds int, only string) error {
	fmt.Printf("%-10s %14s %14s %8s\n", "program", "wasmvisor", "wazero-interp", "ratio")
	var logSum float64
	n := 0
	for _, p := range programs {
		if !strings.Contains(p.name, only) {
			continue
		}
		v, err := newVisor(ctx, p)
		if err != nil {
			return err
		}
		w, err := newWazero(ctx, p)
		if err != nil {
			return err
		}
		// Warm up both, and check that they agree.
		rv, err := v.run(ctx)
		if err != nil {
			return fmt.Errorf("%s: wasmvisor: %w", p.name, err)
		}
		rw, err := w.run(ctx)
		if err != nil {
			return fmt.Errorf("%s: wazero: %w", p.name, err)
		}
		if rv != rw {
			return fmt.Errorf("%s: results differ: wasmvisor %d, wazero %d", p.name, rv, rw)
		}
		var tv, tw []time.Duration
		for i := 0; i < rounds; i++ {
			for _, e := range []struct {
				r runner
				t *[]time.Duration
			}{{v, &tv}, {w, &tw}} {
				start := time.Now()
				if _, err := e.r.run(ctx); err != nil {
					return fmt.Errorf("%s: %w", p.name, err)
				}
				*e.t = append(*e.t, time.Since(start))
			}
		}
		v.close(ctx)
		w.close(ctx)
		mv, mw := median(tv), median(tw)
		ratio := float64(mw) / float64(mv)
		logSum += math.Log(ratio)
		n++
		fmt.Printf("%-10s %14v %14v %7.2fx\n", p.name, mv.Round(time.Microsecond), mw.Round(time.Microsecond), ratio)
	}
	if n > 0 {
		fmt.Printf("%-10s %14s %14s %7.2fx\n", "geomean", "", "", math.Exp(logSum/float64(n)))
	}
	return nil
}
