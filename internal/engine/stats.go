package engine

import (
	"context"
	"sync"
	"time"
)

// ExitStats counts what calls into micro-VMs cost: the exits their code
// made, by what each served, and where the time went. An engine adds to
// the ExitStats its call's context carries (WithExitStats); it is safe
// for concurrent use.
type ExitStats struct {
	mu sync.Mutex
	s  ExitCounts
}

// ExitCounts is a snapshot of ExitStats.
type ExitCounts struct {
	// Calls counts the calls that entered a VM.
	Calls int64
	// Exits counts the guest's exits to the host, each call's final
	// return included.
	Exits int64
	// ByCause counts exits by what they served: a host function by its
	// import name ("wasi_snapshot_preview1.fd_write"), "return", "trap",
	// or "step OP" for an instruction run on the host.
	ByCause map[string]int64
	// Run is the time calls spent in VMs, Host the part of it spent
	// serving exits on the host: Run-Host is guest code and the exits'
	// round trips.
	Run, Host time.Duration
}

// Add counts one exit for cause that kept the host busy for host.
func (s *ExitStats) Add(cause string, host time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s.ByCause == nil {
		s.s.ByCause = map[string]int64{}
	}
	s.s.Exits++
	s.s.ByCause[cause]++
	s.s.Host += host
}

// AddCall counts a call into a VM that ran for d.
func (s *ExitStats) AddCall(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.Calls++
	s.s.Run += d
}

// Counts returns a copy of the counts so far.
func (s *ExitStats) Counts() ExitCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.s
	c.ByCause = make(map[string]int64, len(s.s.ByCause))
	for k, v := range s.s.ByCause {
		c.ByCause[k] = v
	}
	return c
}

type exitStatsKey struct{}

// WithExitStats returns a context whose calls count their exits in s.
func WithExitStats(ctx context.Context, s *ExitStats) context.Context {
	return context.WithValue(ctx, exitStatsKey{}, s)
}

// ExitStatsFrom returns the ExitStats ctx carries, or nil.
func ExitStatsFrom(ctx context.Context) *ExitStats {
	s, _ := ctx.Value(exitStatsKey{}).(*ExitStats)
	return s
}
