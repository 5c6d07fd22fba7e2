package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

func TestWast(t *testing.T) {
	spec := testshared.Path(t, "testdata", "spec", "json")
	dir := t.TempDir()
	// A script with one passing and one failing assertion on a module of
	// the suite.
	mod, err := os.ReadFile(filepath.Join(spec, "fac.0.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fac.0.wasm"), mod, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `{"source_filename": "mini.wast", "commands": [
 {"type": "module", "line": 1, "filename": "fac.0.wasm"},
 {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "fac-rec", "args": [{"type": "i64", "value": "5"}]}, "expected": [{"type": "i64", "value": "120"}]},
 {"type": "assert_return", "line": 3, "action": {"type": "invoke", "field": "fac-rec", "args": [{"type": "i64", "value": "5"}]}, "expected": [{"type": "i64", "value": "121"}]},
 {"type": "assert_malformed", "line": 4, "filename": "x.wat", "text": "unknown operator", "module_type": "text"}]}`
	if err := os.WriteFile(filepath.Join(dir, "mini.json"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		out    []string
	}{
		{"suite script", []string{filepath.Join(spec, "fac.json")}, 0, []string{"0 failed, 0 skipped"}},
		{"failure", []string{filepath.Join(dir, "mini.json")}, 1,
			[]string{"mini.wast:3: assert_return: fac-rec: expected i64:121, got i64:120", "2 passed, 1 failed, 1 skipped"}},
		{"missing file", []string{filepath.Join(dir, "none.json")}, 1, []string{"0 passed, 0 failed, 0 skipped"}},
		{"interp tier", []string{"--tier=interp", filepath.Join(spec, "fac.json")}, 0, []string{"0 failed, 0 skipped"}},
		{"bad tier", []string{"--tier=jit", filepath.Join(spec, "fac.json")}, 2, nil},
		{"process isolation", []string{"--isolation=process", filepath.Join(spec, "fac.json")}, 0, []string{"0 failed, 0 skipped"}},
		{"auto isolation", []string{"--isolation=auto", filepath.Join(spec, "fac.json")}, 0, []string{"0 failed, 0 skipped"}},
		{"bad isolation", []string{"--isolation=jail", filepath.Join(spec, "fac.json")}, 2, nil},
		{"usage", nil, 2, nil},
	}
	if wasmvisor.IsolationVM.Available() == nil {
		tests = append(tests, struct {
			name   string
			args   []string
			status int
			out    []string
		}{"vm isolation", []string{"--isolation=vm", filepath.Join(spec, "fac.json")}, 0, []string{"0 failed, 0 skipped"}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := wastMain(tt.args, &stdout, &stderr); got != tt.status {
				t.Errorf("status %d, want %d; stderr: %s", got, tt.status, stderr.String())
			}
			for _, want := range tt.out {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}
