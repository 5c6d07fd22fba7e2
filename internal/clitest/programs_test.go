package clitest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// conformanceC holds C programs of the WASI conformance module, each with
// the stdout it must print when run with the arguments "a" and "b c".
var conformanceC = filepath.Join(repoRoot, "internal/wasi/conformance/testdata/c")

// TestCPrograms builds C programs with clang and wasi-libc (stdio,
// files, directories, malloc-heavy work, libm, clocks) and runs them
// with a scratch directory as "/".
func TestCPrograms(t *testing.T) {
	srcs, err := filepath.Glob(filepath.Join(conformanceC, "*.c"))
	if err != nil || len(srcs) == 0 {
		t.Fatalf("no C programs in %s: %v", conformanceC, err)
	}
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			prog := buildC(t, name, "-O2", src)
			want, err := os.ReadFile(strings.TrimSuffix(src, ".c") + ".stdout")
			if err != nil {
				t.Fatal(err)
			}
			r := wasmvisor(t, proc{}, "run", "--dir", t.TempDir()+"::/", prog, "a", "b c")
			check{stdout: string(want)}.verify(t, r)
		})
	}
}

// TestGoProgram runs a Go program (testdata/goprog) that reads stdin,
// sleeps in goroutines, works on files and exits with a status.
func TestGoProgram(t *testing.T) {
	prog := buildGo(t, ".", "./testdata/goprog")
	scratch := t.TempDir()
	r := wasmvisor(t, proc{stdin: "hello\nworld\n"}, "run", "--dir", scratch+"::/", "--env", "GREETING=hi", prog, "3", "/work")
	check{code: 3, stdout: `GREETING: hi
HELLO
WORLD
woke in order: [1 2 3]
. true
a true
a/b true
a/b/one.txt false 1
a/b/two.txt false 2
`, stderr: []string{"exiting with 3"}}.verify(t, r)
	if data, err := os.ReadFile(filepath.Join(scratch, "work/a/b/two.txt")); err != nil || string(data) != "xx" {
		t.Errorf("the program's file on the host: %q, %v", data, err)
	}
}

// goStdlib are the standard library packages whose tests run under
// wasmvisor: strings and numbers, reflection-heavy encoding and
// formatting, regular expressions and templates with their testdata
// directories, files, clocks and timers, hashing, archives and
// compression. -short runs goStdlibShort.
var (
	goStdlib = []string{
		"strings", "strconv", "bytes", "sort", "fmt", "encoding/json", "regexp", "text/template",
		"os", "path/filepath", "io", "bufio", "time", "net/url", "crypto/sha256", "compress/flate",
	}
	goStdlibShort = []string{"strings", "sort", "path/filepath", "bufio"}
	// goStdlibSkip are tests that stress the garbage collector and
	// timers for 50 to 90 seconds each on the interpreter, and test no
	// more of wasmvisor than the rest of their package.
	goStdlibSkip = "^(TestStopResult|TestResetResult|TestTimerGC)$"
)

// goPackagesVar names the environment variable that replaces the list of
// packages, such as "math/big archive/tar".
const goPackagesVar = "WASMVISOR_GO_PACKAGES"

// TestGoStdlib runs Go standard library tests the way Go runs them under
// wasmtime: `go test -exec misc/go_wasip1_wasm_exec`, which maps the
// host's root as "/" and passes PWD, so that the tests find their
// testdata directories.
func TestGoStdlib(t *testing.T) {
	goTool := need(t, "go")
	exe, err := filepath.Abs(filepath.Join(repoRoot, "misc/go_wasip1_wasm_exec"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := goStdlib
	switch {
	case os.Getenv(goPackagesVar) != "":
		pkgs = strings.Fields(os.Getenv(goPackagesVar))
	case testing.Short():
		pkgs = goStdlibShort
	}
	start := time.Now()
	cmd := exec.Command(goTool, append([]string{"test", "-count=1", "-short", "-skip", goStdlibSkip, "-exec", exe}, pkgs...)...)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "WASMVISOR="+wasmvisorBin)
	out, err := cmd.CombinedOutput()
	t.Logf("go test %s: %v\n%s", strings.Join(pkgs, " "), time.Since(start).Round(time.Second), out)
	if err != nil {
		t.Fatalf("go test: %v", err)
	}
}
