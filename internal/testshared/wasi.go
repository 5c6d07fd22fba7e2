package testshared

import (
	"encoding/json"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// WASISuites are the directories of testdata/wasi, one per source language.
var WASISuites = []string{"assemblyscript", "c", "rust"}

// WASIProgram is one program of the WASI test suite (testdata/wasi) and
// what its NAME.json asks of a run. A program without a NAME.json runs
// without arguments and must exit with 0.
type WASIProgram struct {
	Name string // suite/name, for subtest names
	Wasm string // absolute path of NAME.wasm

	Args []string
	Env  map[string]string
	// Root is the absolute path of the directory to pre-open as "/" (a
	// copy of it, since the suite writes there), or "" for none.
	Root     string
	ExitCode int
	Stdout   *string // nil: not checked
}

// EnvList returns Env as KEY=VALUE strings in key order, so that runs
// are reproducible.
func (p WASIProgram) EnvList() []string {
	var env []string
	for _, k := range slices.Sorted(maps.Keys(p.Env)) {
		env = append(env, k+"="+p.Env[k])
	}
	return env
}

// WASIPrograms returns every program of the WASI test suite, failing t
// if a suite is empty or a NAME.json cannot be read.
func WASIPrograms(t testing.TB) []WASIProgram {
	t.Helper()
	base := Path(t, "testdata", "wasi")
	var progs []WASIProgram
	for _, suite := range WASISuites {
		paths, err := filepath.Glob(filepath.Join(base, suite, "*.wasm"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no programs in %s: %v", filepath.Join(base, suite), err)
		}
		for _, wasm := range paths {
			name := strings.TrimSuffix(filepath.Base(wasm), ".wasm")
			p := WASIProgram{Name: suite + "/" + name, Wasm: wasm}
			var spec struct {
				Args     []string          `json:"args"`
				Env      map[string]string `json:"env"`
				Root     string            `json:"root"`
				ExitCode int               `json:"exit_code"`
				Stdout   *string           `json:"stdout"`
			}
			data, err := os.ReadFile(strings.TrimSuffix(wasm, ".wasm") + ".json")
			switch {
			case os.IsNotExist(err):
			case err != nil:
				t.Fatal(err)
			default:
				if err := json.Unmarshal(data, &spec); err != nil {
					t.Fatalf("%s.json: %v", p.Name, err)
				}
			}
			p.Args, p.Env, p.ExitCode, p.Stdout = spec.Args, spec.Env, spec.ExitCode, spec.Stdout
			if spec.Root != "" {
				p.Root = filepath.Join(filepath.Dir(wasm), spec.Root)
			}
			progs = append(progs, p)
		}
	}
	return progs
}

// CopyTree copies the tree src into the directory dst, keeping symbolic
// links and making every file writable: the shared test data is
// read-only, and tests that write to a copy must be able to.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
