package disktest

import (
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// UpdateSeeds, set by -update-seeds, makes the fuzz seed tests rebuild the
// seed images in testdata with the tools instead of checking them.
var UpdateSeeds = flag.Bool("update-seeds", false, "rebuild the fuzz seed images in testdata")

// WriteSeed stores a fuzz seed image gzipped at path: images are mostly
// zeros, so a 128 KiB image takes a few KiB in the repository.
func WriteSeed(t testing.TB, path string, data []byte) {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(data)
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Seeds returns the gzipped seed images in dir (testdata/seeds), by name.
func Seeds(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no seed images in %s; run go test -run TestSeeds -update-seeds", dir)
	}
	seeds := map[string][]byte{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		b, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		seeds[strings.TrimSuffix(filepath.Base(p), ".gz")] = b
	}
	return seeds
}
