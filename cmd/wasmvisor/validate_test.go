package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

func TestValidateMain(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "\x00asm\x01\x00\x00\x00"
	good := write("good.wasm", []byte(header))
	// (module (func (result i32) f64.const 0 i32.const 1 i32.add))
	invalid := write("invalid.wasm", []byte(header+"\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00"+
		"\x0a\x10\x01\x0e\x00\x44\x00\x00\x00\x00\x00\x00\x00\x00\x41\x01\x6a\x0b"))
	// (module (memory 4))
	mem4 := write("mem4.wasm", []byte(header+"\x05\x03\x01\x00\x04"))
	// (module (import "env" "system" (func)))
	imp := write("import.wasm", []byte(header+"\x01\x04\x01\x60\x00\x00\x02\x0e\x01\x03env\x06system\x00\x00"))
	truncated := write("truncated.wasm", []byte(header+"\x01\x05\x01"))
	missing := filepath.Join(dir, "missing.wasm")

	tests := []struct {
		name   string
		args   []string
		status int
		stderr []string // lines, in order; "" means no output
	}{
		{"valid is quiet", []string{good}, 0, nil},
		{"invalid", []string{good, invalid}, 1,
			[]string{invalid + ": func[0] at offset 0x23 (i32.add): type mismatch: expected i32, got f64"}},
		{"malformed", []string{truncated}, 1, []string{truncated + ": "}},
		{"missing file", []string{missing, good}, 1, []string{missing + ": open "}},
		{"memory limit", []string{"-W", "max-memory-size=64KiB", mem4}, 1,
			[]string{mem4 + ": memory[0]: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)"}},
		{"memory within limit", []string{"-W", "max-memory-size=4MiB", mem4}, 0, nil},
		{"import denied", []string{"-W", "allow-import=wasi_snapshot_preview1.*", imp}, 1,
			[]string{imp + `: import "env"."system" at offset 0x11: not allowed by policy (-W allow-import=wasi_snapshot_preview1.*)`}},
		{"module size", []string{"-W", "max-module-size=8", mem4}, 1,
			[]string{mem4 + ": module: size 13 bytes exceeds limit of 8 bytes (-W max-module-size=8)"}},
		{"several files, several failures", []string{invalid, good, truncated}, 1, []string{invalid + ": ", truncated + ": "}},
		{"no files", nil, 2, []string{"usage: wasmvisor validate"}},
		{"unknown key", []string{"-W", "max-nothing=1", good}, 2, []string{`unknown key "max-nothing"; valid keys: max-memory-size`}},
		{"bad value", []string{"-W", "max-memory-size=big", good}, 2, []string{`invalid size "big"`}},
		{"help", []string{"-h"}, 0, []string{"usage: wasmvisor validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			status := validateMain(tt.args, &stderr)
			if status != tt.status {
				t.Errorf("status %d, want %d; stderr:\n%s", status, tt.status, stderr.String())
			}
			out := stderr.String()
			if len(tt.stderr) == 0 && out != "" {
				t.Errorf("want no output, got:\n%s", out)
			}
			for _, want := range tt.stderr {
				i := strings.Index(out, want)
				if i < 0 {
					t.Fatalf("stderr does not contain %q:\n%s", want, out)
				}
				out = out[i+len(want):]
			}
		})
	}
}

// Truncated and bit-flipped spec binaries give a clean error line, never a
// panic.
func TestValidateMain_Damaged(t *testing.T) {
	seeds, err := filepath.Glob(testshared.Path(t, "testdata", "spec", "json", "simd_*.0.wasm"))
	if err != nil || len(seeds) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	dir := t.TempDir()
	var files []string
	for i, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		cut := append([]byte(nil), data[:len(data)*2/3]...)
		flipped := append([]byte(nil), data...)
		flipped[len(flipped)/2] ^= 0x5a
		for j, d := range [][]byte{cut, flipped} {
			p := filepath.Join(dir, filepath.Base(s)+string(rune('a'+j))+string(rune('0'+i%10)))
			if err := os.WriteFile(p, d, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
	}
	var stderr bytes.Buffer
	validateMain(files, &stderr)
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line != "" && !strings.Contains(line, ".wasm") {
			t.Errorf("line without a file name: %q", line)
		}
	}
	if n := strings.Count(stderr.String(), "\n"); n < len(seeds) {
		t.Errorf("only %d of %d damaged files failed", n, len(files))
	}
}
