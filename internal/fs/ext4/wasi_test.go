package ext4

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// TestOpen_WASITestRoots turns each directory the WASI test programs map
// as their root into an ext4 image and checks that the image serves the
// same tree: the programs will run with it given as --disk.
func TestOpen_WASITestRoots(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	dir := testshared.Path(t, "testdata", "wasi")
	specs, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]bool{}
	for _, p := range specs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var spec struct{ Root string }
		if err := json.Unmarshal(b, &spec); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if spec.Root != "" {
			roots[filepath.Join(filepath.Dir(p), spec.Root)] = true
		}
	}
	if len(roots) == 0 {
		t.Fatal("no WASI test names a root directory")
	}
	for root := range roots {
		rel, _ := filepath.Rel(dir, root)
		t.Run(rel, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "root.img")
			disktest.MakeExt4(t, root, img, 4, "-b", "1024")
			compareTree(t, mount(t, img), root)
		})
	}
}
