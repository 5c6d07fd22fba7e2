package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// answerWasm exports answer, which returns 42.
var answerWasm = []byte("\x00asm\x01\x00\x00\x00" +
	"\x01\x05\x01\x60\x00\x01\x7f" + // type () -> i32
	"\x03\x02\x01\x00" + // one function of type 0
	"\x07\x0a\x01\x06answer\x00\x00" + // exported as answer
	"\x0a\x06\x01\x04\x00\x41\x2a\x0b") // i32.const 42

// TestCompileMain compiles a module to a .cwasm that run accepts, and
// checks that a damaged one is refused, never run.
func TestCompileMain(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "answer.wasm")
	if err := os.WriteFile(in, answerWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if got := compileMain([]string{in}, &stderr); got != 0 {
		t.Fatalf("compile: status %d: %s", got, &stderr)
	}
	out := filepath.Join(dir, "answer.cwasm")
	run := func(file string) (int, string, string) {
		io, stdout, stderr := testIO()
		status := runMain([]string{"--invoke", "answer", file}, io)
		return status, stdout.String(), stderr.String()
	}
	if status, stdout, stderr := run(out); status != 0 || strings.TrimSpace(stdout) != "42" {
		t.Fatalf("run of the .cwasm: status %d, stdout %q, stderr %q", status, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string][]byte{
		"truncated": data[:len(data)-100],
		"damaged":   append(append(bytes.Clone(data[:len(data)/2]), data[len(data)/2]^0x10), data[len(data)/2+1:]...),
	} {
		bad := filepath.Join(dir, name+".cwasm")
		if err := os.WriteFile(bad, d, 0o644); err != nil {
			t.Fatal(err)
		}
		if status, stdout, _ := run(bad); status == 0 || stdout != "" {
			t.Errorf("run of a %s .cwasm: status %d, stdout %q", name, status, stdout)
		}
	}
	stderr.Reset()
	if got := compileMain([]string{out, "-o", filepath.Join(dir, "again.cwasm")}, &stderr); got == 0 || !strings.Contains(stderr.String(), "already precompiled") {
		t.Errorf("compile of a .cwasm: status %d: %s", got, &stderr)
	}
}
