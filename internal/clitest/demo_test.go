package clitest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemo runs demo/run.sh, the README's `make run`, with the binary
// under test: it builds the inventory program, packs demo/data into an
// ext4 image, runs the program on it (in a micro-VM where KVM works) and
// checks that the image is unchanged. Its output must show each step.
func TestDemo(t *testing.T) {
	bash := need(t, "bash")
	need(t, "mkfs.ext4")
	need(t, "go")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, filepath.Join("demo", "run.sh"))
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "WASMVISOR="+wasmvisorBin, "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("demo/run.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		"== isolation: ",
		"--disk inventory.img --dir out::/out",
		"read 14 rows from 3 files in /stock (489 bytes)",
		"computed 7 items worth 1639.10, 2 to reorder",
		"root file system that says: inventory demo disk",
		"E-500  shelf pin 5mm          4900      98.00  lisbon oslo",
		"reorder (under 50): C-300 (20 left), F-600 (7 left)",
		"== image unchanged: sha256 ",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
