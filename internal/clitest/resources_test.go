package clitest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// TestRun_hostMemoryBounded runs guests that try to take host memory
// past their limits (RATIONALE.md, "Host memory per instance"): each
// limit must hold in host memory, not only in what the guest sees.
func TestRun_hostMemoryBounded(t *testing.T) {
	const runtime = 96 << 20 // the runtime's own: well above what it needs
	t.Run("memory grown page by page", func(t *testing.T) {
		const limit = 64 << 20
		checkPeak(t, limit+runtime, "run", "-W", "max-memory-size=64MiB", wat(t, "hog"))
	})
	t.Run("tables together", func(t *testing.T) {
		check{code: 1, stderr: []string{"for all of a module's tables"}}.verify(t, wasmvisor(t, proc{}, "run", wat(t, "tables")))
	})
	t.Run("tables grown", func(t *testing.T) {
		// 10 million elements of 8 bytes, twice that while a table's
		// slice grows, and a micro-VM's copy in the guest.
		checkPeak(t, 3*8*10_000_000+runtime, "run", wat(t, "tablehog"))
	})
	hoard := buildC(t, "hoard", "-O2", filepath.Join("testdata", "hoard.c"))
	t.Run("descriptors", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		// 4096 descriptors are host descriptors, a few hundred bytes of
		// the kernel's each.
		checkPeak(t, runtime, "run", "--dir", dir+"::/d", hoard, "fds", "/d/f")
	})
	t.Run("directory listings", func(t *testing.T) {
		if testing.Short() {
			t.Skip("lists a directory of 100,000 entries 40 times")
		}
		// Each listing holds 6 MB; 40 descriptors would hold 250 MB
		// without the bound.
		dir := t.TempDir()
		for i := range 100_000 {
			f, err := os.Create(filepath.Join(dir, "entry-with-a-longish-name-"+strconv.Itoa(i)))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		checkPeak(t, wasi.MaxSnapshotBytes+runtime, "run", "--dir", dir+"::/d", hoard, "dirs", "/d", "40")
	})
	t.Run("in-memory overlay", func(t *testing.T) {
		if testing.Short() {
			t.Skip("fills the 1 GiB overlay")
		}
		need(t, "mkfs.ext4")
		img := filepath.Join(t.TempDir(), "small.img")
		build(t, "", nil, img, "mkfs.ext4", "-q", "-d", t.TempDir(), img, "8M")
		checkPeak(t, memfs.DefaultMaxBytes+runtime, "run", "--disk", img, hoard, "fill", "/big")
	})
}

// checkPeak runs wasmvisor with args, a guest that says "full" on its
// standard output once it took what it could and then waits for its
// input to end, and checks the process's peak resident memory then.
func checkPeak(t *testing.T, limit int64, args ...string) {
	t.Helper()
	cmd := exec.Command(wasmvisorBin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); line != "full\n" {
		stdin.Close()
		cmd.Wait()
		t.Fatalf("guest said %q (%v)\n%s", line, err, stderr.String())
	}
	// The process's own high-water mark: its parent's resource usage
	// would count the test's memory too (the child starts sharing it).
	peak := highWaterMark(t, cmd.Process.Pid)
	t.Logf("peak RSS %d MiB", peak>>20)
	if peak > limit {
		t.Errorf("peak RSS %d MiB, more than the limit and the runtime's own, %d MiB", peak>>20, limit>>20)
	}
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
