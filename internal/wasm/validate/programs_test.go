package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// programs returns the paths of the real-world programs in the shared
// data: the WASI test programs and the sightglass benchmarks.
func programs(t testing.TB) []string {
	t.Helper()
	var paths []string
	for _, dir := range []string{testshared.Path(t, "testdata", "wasi"), testshared.Path(t, "bench", "sightglass")} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".wasm") {
				paths = append(paths, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(paths) == 0 {
		t.Fatal("no programs in the shared data")
	}
	return paths
}

func decodeFile(t testing.TB, path string) *wasm.Module {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := binary.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// Compilers' output (C, Rust, AssemblyScript) must pass under the default
// policy: it is what the policy is for.
func TestModule_Programs(t *testing.T) {
	paths := programs(t)
	for _, path := range paths {
		if err := Module(decodeFile(t, path), DefaultPolicy()); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	t.Logf("%d programs validate under the default policy", len(paths))
}

// bigModule returns the largest sightglass program with its functions
// repeated until the code is at least size bytes, a stand-in for a large
// real-world module: the copies call the original functions, so every
// body stays valid.
func bigModule(t testing.TB, size int) *wasm.Module {
	m := decodeFile(t, testshared.Path(t, "bench", "sightglass", "regex", "benchmark.wasm"))
	funcs, codes := m.Funcs, m.Codes
	total := 0
	for _, c := range codes {
		total += len(c.Body)
	}
	for n := total; n < size; n += total {
		m.Funcs = append(m.Funcs, funcs...)
		m.Codes = append(m.Codes, codes...)
	}
	return m
}

func BenchmarkModule(b *testing.B) {
	for _, name := range []string{"regex", "pulldown-cmark", "rust-json"} {
		b.Run(name, func(b *testing.B) {
			path := testshared.Path(b, "bench", "sightglass", name, "benchmark.wasm")
			m := decodeFile(b, path)
			fi, _ := os.Stat(path)
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				if err := Module(m, DefaultPolicy()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("10MB", func(b *testing.B) {
		m := bigModule(b, 10<<20)
		m.Size = uint64(len(binary.Encode(m)))
		b.SetBytes(int64(m.Size))
		b.ReportAllocs()
		for b.Loop() {
			if err := Module(m, DefaultPolicy()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("10MB-decode-and-validate", func(b *testing.B) {
		bin := binary.Encode(bigModule(b, 10<<20))
		b.SetBytes(int64(len(bin)))
		b.ReportAllocs()
		for b.Loop() {
			m, err := binary.Decode(bin)
			if err != nil {
				b.Fatal(err)
			}
			if err := Module(m, DefaultPolicy()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
