package clitest

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// testSpec is a wasi-testsuite NAME.json; a program without one runs
// without arguments and must exit with 0.
type testSpec struct {
	Args     []string          `json:"args"`
	Env      map[string]string `json:"env"`
	Root     string            `json:"root"`
	ExitCode int               `json:"exit_code"`
	Stdout   *string           `json:"stdout"`
}

// TestTestsuite runs every program of ../shared/testdata/wasi exactly as
// its README says: `wasmvisor run --dir SCRATCH::/ --env K=V NAME.wasm
// ARGS...` in the suite's directory, with the spec's root directory
// copied to SCRATCH, and compares the exit status and stdout.
func TestTestsuite(t *testing.T) {
	base := testshared.Path(t, "testdata", "wasi")
	for _, suite := range []string{"assemblyscript", "c", "rust"} {
		progs, err := filepath.Glob(filepath.Join(base, suite, "*.wasm"))
		if err != nil || len(progs) == 0 {
			t.Fatalf("no programs in %s: %v", suite, err)
		}
		for _, prog := range progs {
			t.Run(suite+"/"+strings.TrimSuffix(filepath.Base(prog), ".wasm"), func(t *testing.T) {
				t.Parallel()
				runTestsuiteProgram(t, prog)
			})
		}
	}
}

func runTestsuiteProgram(t *testing.T, prog string) {
	var spec testSpec
	if data, err := os.ReadFile(strings.TrimSuffix(prog, ".wasm") + ".json"); err == nil {
		if err := json.Unmarshal(data, &spec); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run"}
	if spec.Root != "" {
		scratch := t.TempDir()
		copyTree(t, filepath.Join(filepath.Dir(prog), spec.Root), scratch)
		args = append(args, "--dir", scratch+"::/")
	}
	for _, k := range slices.Sorted(maps.Keys(spec.Env)) {
		args = append(args, "--env", k+"="+spec.Env[k])
	}
	args = append(args, filepath.Base(prog))
	args = append(args, spec.Args...)
	r := wasmvisor(t, proc{dir: filepath.Dir(prog)}, args...)
	if r.code != spec.ExitCode {
		t.Fatalf("exit status %d, want %d\n%v", r.code, spec.ExitCode, r)
	}
	if spec.Stdout != nil && r.stdout != *spec.Stdout {
		t.Fatalf("stdout %q, want %q", r.stdout, *spec.Stdout)
	}
}
