package clitest

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestRun_hostMemoryBounded runs guests that try to take host memory
// past their limits and checks the peak resident memory of the process:
// each limit must hold in host memory, not only in what the guest sees.
func TestRun_hostMemoryBounded(t *testing.T) {
	hog, tables := wat(t, "hog"), wat(t, "tables")
	const baseline = 96 << 20 // the runtime itself, well above what it needs
	tests := []struct {
		name  string
		args  []string
		code  int
		limit int64 // bytes the guest may take
	}{
		{"memory grown page by page", []string{"-W", "max-memory-size=64MiB", hog}, 0, 64 << 20},
		{"tables together", []string{tables}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(wasmvisorBin, append([]string{"run"}, tt.args...)...)
			out, err := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != tt.code {
				t.Fatalf("exit status %d (%v), want %d:\n%s", code, err, tt.code, out)
			}
			peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			if peak > tt.limit+baseline {
				t.Errorf("peak RSS %d MiB, more than the guest's %d MiB and the runtime's %d MiB", peak>>20, tt.limit>>20, baseline>>20)
			}
			t.Logf("peak RSS %d MiB", peak>>20)
		})
	}
}
