package clitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// wasmvisorBin is the binary under test, built once by TestMain.
var wasmvisorBin string

// repoRoot is the repository's root directory, from this package's.
const repoRoot = "../.."

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmvisor-clitest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wasmvisorBin = filepath.Join(dir, "wasmvisor")
	// The runs' compilation cache (the user's cache directory) is the
	// test's own, and goes with it.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	build := exec.Command("go", "build", "-o", wasmvisorBin, "./cmd/wasmvisor")
	build.Dir = repoRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building wasmvisor: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is how a wasmvisor process ended.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// proc describes how to start a wasmvisor process.
type proc struct {
	dir     string        // working directory; the test's by default
	env     []string      // added to the inherited environment
	stdin   string        // empty means no input
	timeout time.Duration // 2 minutes by default
}

// wasmvisor runs the binary under test with args and returns how it
// ended. It fails the test if the process cannot start or outlives its
// timeout.
func wasmvisor(t *testing.T, p proc, args ...string) result {
	t.Helper()
	if p.timeout == 0 {
		p.timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, wasmvisorBin, args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdin = strings.NewReader(p.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("wasmvisor %s: still running after %v\n%v", strings.Join(args, " "), p.timeout, r)
	}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("wasmvisor %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// need returns the path of tool. A missing tool skips the test in a
// developer's checkout but fails it where the shared data is configured
// (CI, which installs every tool).
func need(t *testing.T, tool string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv(testshared.EnvVar) != "" {
			t.Fatalf("%s not found: %v", tool, err)
		}
		t.Skipf("%s not found; CI installs it", tool)
	}
	return path
}

// build runs a tool that writes out, in directory dir ("" for the
// test's), with env added to the environment.
func build(t *testing.T, dir string, env []string, out, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(need(t, tool), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, msg)
	}
	return out
}

// buildC compiles a C source file with clang-16 and wasi-libc into a
// WASI command, name.wasm in a temporary directory, optimized at level
// opt ("-O2"). Optimized builds have no function names: clang runs
// binaryen's wasm-opt, which drops them.
func buildC(t *testing.T, name, opt, src string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".wasm")
	return build(t, "", nil, out, "clang-16", "--target=wasm32-wasi", "--sysroot=/usr", opt, "-o", out, src, "-lm")
}

// buildGo builds the Go package pkg, relative to the module directory
// dir, for GOOS=wasip1.
func buildGo(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".wasm")
	return build(t, dir, []string{"GOOS=wasip1", "GOARCH=wasm"}, out, "go", "build", "-o", out, pkg)
}

// wat compiles testdata/name.wat, keeping its names for backtraces.
func wat(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".wasm")
	return build(t, "", nil, out, "wat2wasm", "--debug-names", "-o", out, filepath.Join("testdata", name+".wat"))
}
