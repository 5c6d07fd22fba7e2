package clitest

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestRun_hostMemoryBounded runs guests that try to take host memory
// past their limits: each limit must hold in host memory, not only in
// what the guest sees.
func TestRun_hostMemoryBounded(t *testing.T) {
	t.Run("memory grown page by page", func(t *testing.T) {
		const limit, runtime = 64 << 20, 96 << 20 // the runtime's own: well above what it needs
		cmd := exec.Command(wasmvisorBin, "run", "-W", "max-memory-size=64MiB", wat(t, "hog"))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer stdin.Close()
		// The guest is at its largest once it says so.
		if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "full\n" {
			t.Fatalf("guest said %q (%v)", line, err)
		}
		// The process's own high-water mark: its parent's resource usage
		// would count the test's memory too (the child starts sharing it).
		peak := highWaterMark(t, cmd.Process.Pid)
		t.Logf("peak RSS %d MiB", peak>>20)
		if peak > limit+runtime {
			t.Errorf("peak RSS %d MiB, more than the guest's %d MiB and the runtime's %d MiB", peak>>20, limit>>20, runtime>>20)
		}
	})
	t.Run("tables together", func(t *testing.T) {
		check{code: 1, stderr: []string{"for all of a module's tables"}}.verify(t, wasmvisor(t, proc{}, "run", wat(t, "tables")))
	})
}

// highWaterMark returns the peak resident memory of process pid, in
// bytes.
func highWaterMark(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}
