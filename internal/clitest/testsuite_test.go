package clitest

import (
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// TestTestsuite runs every program of ../shared/testdata/wasi exactly as
// its README says: `wasmvisor run --dir SCRATCH::/ --env K=V NAME.wasm
// ARGS...` in the suite's directory, with the spec's root directory
// copied to SCRATCH, and compares the exit status and stdout.
func TestTestsuite(t *testing.T) {
	for _, prog := range testshared.WASIPrograms(t) {
		t.Run(prog.Name, func(t *testing.T) {
			t.Parallel()
			runTestsuiteProgram(t, prog)
		})
	}
}

func runTestsuiteProgram(t *testing.T, prog testshared.WASIProgram) {
	args := []string{"run"}
	if prog.Root != "" {
		scratch := t.TempDir()
		testshared.CopyTree(t, prog.Root, scratch)
		args = append(args, "--dir", scratch+"::/")
	}
	for _, kv := range prog.EnvList() {
		args = append(args, "--env", kv)
	}
	args = append(args, filepath.Base(prog.Wasm))
	args = append(args, prog.Args...)
	r := wasmvisor(t, proc{dir: filepath.Dir(prog.Wasm)}, args...)
	if r.code != prog.ExitCode {
		t.Fatalf("exit status %d, want %d\n%v", r.code, prog.ExitCode, r)
	}
	if prog.Stdout != nil && r.stdout != *prog.Stdout {
		t.Fatalf("stdout %q, want %q", r.stdout, *prog.Stdout)
	}
}
