package shim

import (
	"os"
	"strconv"
	"strings"

	"github.com/containerd/cgroups/v3/cgroup1/stats"
	"github.com/containerd/containerd/protobuf"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/anypb"
)

// processMetrics returns the shim process's resident memory and CPU
// time as cgroup v1 metrics, the form `ctr task metrics` and the CRI
// plugin read from runc's shim. With one shim per container they are
// the container's; with one per pod, the pod's.
func processMetrics(c *container) (*anypb.Any, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return nil, err
	}
	user, sys := uint64(ru.Utime.Nano()), uint64(ru.Stime.Nano())
	rss, err := residentBytes()
	if err != nil {
		return nil, err
	}
	m := &stats.Metrics{
		CPU: &stats.CPUStat{Usage: &stats.CPUUsage{Total: user + sys, User: user, Kernel: sys}},
		Memory: &stats.MemoryStat{
			RSS:   rss,
			Usage: &stats.MemoryEntry{Usage: rss, Max: uint64(ru.Maxrss) * 1024},
		},
		Pids: &stats.PidsStat{Current: 1},
	}
	if n, ok := c.memoryLimit(); ok {
		m.Memory.Usage.Limit = n
	}
	return protobuf.MarshalAnyToProto(m)
}

// residentBytes reads the process's resident set from /proc.
func residentBytes() (uint64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0, os.ErrInvalid
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize()), err
}

// memoryLimit is the largest linear memory the program may have, in
// bytes; a sandbox has none.
func (c *container) memoryLimit() (uint64, bool) {
	if c.prog == nil {
		return 0, false
	}
	n, ok := c.prog.Limits.Policy.MaxMemoryPages.Value()
	return n * wasmPageSize, ok
}
