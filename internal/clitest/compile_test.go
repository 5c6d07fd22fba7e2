package clitest

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func needCompiledTier(t *testing.T) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skip("no compiled tier on " + runtime.GOARCH)
	}
}

// TestCompile checks that precompiled modules run as their binaries do,
// with the policy applied to the module inside, and that damaged ones
// are refused.
func TestCompile(t *testing.T) {
	needCompiledTier(t)
	lib, app, trap, bigmem := wat(t, "lib"), wat(t, "app"), wat(t, "trap"), wat(t, "bigmem")
	dir := t.TempDir()
	cw := func(wasm string) string {
		out := filepath.Join(dir, strings.TrimSuffix(filepath.Base(wasm), ".wasm")+".cwasm")
		if r := wasmvisor(t, proc{}, "compile", wasm, "-o", out); r.code != 0 || r.stdout != "" || r.stderr != "" {
			t.Fatalf("compile %s: %v", wasm, r)
		}
		return out
	}
	libC, appC, trapC, bigmemC := cw(lib), cw(app), cw(trap), cw(bigmem)
	damaged := filepath.Join(dir, "damaged.cwasm")
	b, err := os.ReadFile(appC)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x10
	os.WriteFile(damaged, b, 0o644)

	tests := []struct {
		name   string
		args   []string
		want   check
		frames []string
	}{
		{"linked", []string{"--preload", "lib=" + libC, "--invoke", "run", appC, "5"}, check{stdout: "lib ready\n16\n"}, nil},
		{"mixed with a binary", []string{"--preload", "lib=" + lib, "--invoke", "run", appC, "5"}, check{stdout: "lib ready\n16\n"}, nil},
		{"trap with backtrace", []string{trapC}, check{code: 134, stderr: []string{"wasm trap: integer divide by zero\nwasm backtrace:\n"}},
			[]string{"divide", "compute", "_start"}},
		{"policy applies to the module", []string{"-W", "max-memory-size=1MiB", bigmemC}, check{code: 1, stderr: []string{"bigmem.cwasm", "max-memory"}}, nil},
		{"damaged", []string{"--invoke", "run", damaged, "5"}, check{code: 1, stderr: []string{"damaged.cwasm", "checksum mismatch"}}, nil},
		{"interpreter", []string{"--tier", "interp", "--preload", "lib=" + lib, "--invoke", "run", appC, "5"},
			check{code: 1, stderr: []string{"app.cwasm", "holds machine code", "tier interp"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wasmvisor(t, proc{}, append([]string{"run"}, tt.args...)...)
			tt.want.verify(t, r)
			for _, f := range tt.frames {
				if !backtraceFrame(f).MatchString(r.stderr) {
					t.Errorf("backtrace lacks a frame of %s:\n%s", f, r.stderr)
				}
			}
		})
	}
}

func TestCompile_usage(t *testing.T) {
	needCompiledTier(t)
	lib := wat(t, "lib")
	// Without -o the output goes beside the input.
	if r := wasmvisor(t, proc{}, "compile", lib); r.code != 0 {
		t.Fatalf("compile: %v", r)
	}
	if _, err := os.Stat(strings.TrimSuffix(lib, ".wasm") + ".cwasm"); err != nil {
		t.Errorf("no default output: %v", err)
	}
	tests := []struct {
		name string
		args []string
		want check
	}{
		{"no file", nil, check{code: 2, stderr: []string{"want one FILE.wasm"}}},
		{"two files", []string{lib, lib}, check{code: 2, stderr: []string{"want one FILE.wasm, got 2"}}},
		{"missing file", []string{"nonexistent.wasm"}, check{code: 1, stderr: []string{"nonexistent.wasm"}}},
		{"refused by the policy", []string{"-W", "deny-import=wasi_snapshot_preview1.*", lib}, check{code: 1, stderr: []string{"denied by policy"}}},
		{"not a module", []string{"-o", filepath.Join(t.TempDir(), "x.cwasm"), "testdata/lib.wat"}, check{code: 1, stderr: []string{"lib.wat"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.want.verify(t, wasmvisor(t, proc{}, append([]string{"compile"}, tt.args...)...))
		})
	}
}

// TestRun_cache checks the compilation cache from the command line:
// where entries go, that a damaged one is compiled again, and that
// --no-cache neither reads nor writes one.
func TestRun_cache(t *testing.T) {
	needCompiledTier(t)
	lib, app := wat(t, "lib"), wat(t, "app")
	cache := filepath.Join(t.TempDir(), "cache")
	args := []string{"run", "--cache-dir", cache, "--preload", "lib=" + lib, "--invoke", "run", app, "5"}
	entries := func() []string {
		e, _ := filepath.Glob(filepath.Join(cache, "code", "*"))
		return e
	}
	for range 2 {
		check{stdout: "lib ready\n16\n"}.verify(t, wasmvisor(t, proc{}, args...))
		if n := len(entries()); n != 2 {
			t.Fatalf("cache holds %d entries, want 2 (one per module)", n)
		}
	}
	for _, e := range entries() {
		if err := os.WriteFile(e, []byte("damaged"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	check{stdout: "lib ready\n16\n"}.verify(t, wasmvisor(t, proc{}, args...))
	for _, e := range entries() {
		if fi, err := os.Stat(e); err != nil || fi.Size() < 100 {
			t.Errorf("damaged entry %s not replaced", e)
		}
	}

	none := filepath.Join(t.TempDir(), "none")
	check{stdout: "lib ready\n16\n"}.verify(t, wasmvisor(t, proc{}, "run", "--no-cache", "--cache-dir", none,
		"--preload", "lib="+lib, "--invoke", "run", app, "5"))
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("--no-cache created the cache directory: %v", err)
	}
	// A cache that cannot be opened is an error that names the way out.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o600)
	check{code: 1, stderr: []string{"--no-cache"}}.verify(t, wasmvisor(t, proc{}, "run", "--cache-dir", file, app))
}
