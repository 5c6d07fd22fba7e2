package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// build runs a build command whose output is out. A missing tool skips
// the test in a developer's checkout but fails it where the shared data
// is configured (CI, which installs the tools).
func build(t *testing.T, out string, env []string, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(testshared.EnvVar) != "" {
			t.Fatalf("%s not found: %v", name, err)
		}
		t.Skipf("%s not found; CI installs it", name)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, msg)
	}
	bin, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// engines are the engines every program runs on: wazero as a reference,
// and wasmvisor's own.
var engines = []struct {
	name string
	run  func(context.Context, []byte, wasi.Config) (uint32, error)
}{{"wazero", Run}, {"wasmvisor", RunWasmvisor}}

// forEachEngine runs test once per engine, as a subtest.
func forEachEngine(t *testing.T, test func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error))) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) { test(t, e.run) })
	}
}

// run runs bin on runner, with a fresh scratch directory mapped as "/"
// unless cfg has preopens.
func run(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error), bin []byte, cfg wasi.Config) (code uint32, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cfg.Stdout, cfg.Stderr = &out, &errOut
	if cfg.Preopens == nil {
		cfg.Preopens = []wasi.Preopen{{Name: "/", NS: hostNamespace(t, t.TempDir()), Path: "/"}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code, err := runner(ctx, bin, cfg)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

// TestCPrograms builds the C programs in testdata/c with clang and
// wasi-libc and compares their output with the .stdout files.
func TestCPrograms(t *testing.T) {
	srcs, _ := filepath.Glob("testdata/c/*.c")
	for _, src := range srcs {
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), name+".wasm")
			bin := build(t, out, nil, "clang-16", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o", out, src, "-lm")
			want, err := os.ReadFile(strings.TrimSuffix(src, ".c") + ".stdout")
			if err != nil {
				t.Fatal(err)
			}
			forEachEngine(t, func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error)) {
				code, stdout, stderr := run(t, runner, bin, wasi.Config{Args: []string{name, "a", "b c"}})
				if code != 0 || stdout != string(want) {
					t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
				}
			})
		})
	}
}

func buildGo(t *testing.T, pkg string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg)+".wasm")
	return build(t, out, []string{"GOOS=wasip1", "GOARCH=wasm"}, "go", "build", "-o", out, pkg)
}

func TestGoFiles(t *testing.T) {
	bin := buildGo(t, "./testdata/go/files")
	forEachEngine(t, func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error)) {
		testGoFiles(t, runner, bin)
	})
}

func testGoFiles(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error), bin []byte) {
	scratch := t.TempDir()
	if err := os.Mkdir(filepath.Join(scratch, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, runner, bin, wasi.Config{
		Args:     []string{"files"},
		Preopens: []wasi.Preopen{{Name: "/", NS: hostNamespace(t, scratch), Path: "/"}},
	})
	want := `through link: "contents\n"
mtime: 2009-02-13T23:31:30.123456789Z size: 9
/work d---------
/work/a d---------
/work/a/b d---------
/work/a/b/file.txt ----------
/work/a/b/moved.txt ----------
/work/a/link L---------
after append: "contents\nmore\n"
missing is not exist: true
entries left: 0
cwd: /
`
	if code != 0 || stdout != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}
}

func TestGoExit(t *testing.T) {
	bin := buildGo(t, "./testdata/go/exit")
	forEachEngine(t, func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error)) {
		code, stdout, stderr := run(t, runner, bin, wasi.Config{Args: []string{"exit", "x", "y"}, Env: []string{"GREETING=hi"}})
		if code != 3 || stdout != "args: [x y]\nGREETING: hi\n" || stderr != "exiting with 3\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
}

// TestGoEcho runs a Go server on a pre-opened listening socket: accept,
// reads and writes on connections, and Go's poll_oneoff-based netpoller.
func TestGoEcho(t *testing.T) {
	bin := buildGo(t, "./testdata/go/echo")
	forEachEngine(t, func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error)) {
		testGoEcho(t, runner, bin)
	})
}

func testGoEcho(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error), bin []byte) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const conns = 3
	type result struct {
		code           uint32
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errOut bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		code, err := runner(ctx, bin, wasi.Config{
			Args:     []string{"echo", fmt.Sprint(conns)},
			Stdout:   &out,
			Stderr:   &errOut,
			Preopens: []wasi.Preopen{{Listener: l.(*net.TCPListener)}},
		})
		if err != nil {
			fmt.Fprintln(&errOut, "run:", err)
		}
		done <- result{code, out.String(), errOut.String()}
	}()
	for i := range conns {
		c, err := net.DialTimeout("tcp", l.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(time.Minute))
		r := bufio.NewReader(c)
		for j := range 3 {
			fmt.Fprintf(c, "hello %d.%d\n", i, j)
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("HELLO %d.%d\n", i, j); line != want {
				t.Fatalf("got %q, want %q", line, want)
			}
		}
		c.Close()
	}
	res := <-done
	if res.code != 0 || res.stdout != fmt.Sprintf("served %d\n", conns) {
		t.Fatalf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
}

// TestGoStdlib runs test binaries of Go standard library packages the way
// Go's own go_wasip1_wasm_exec runs them under wasmtime: the host root
// mapped as "/", PWD set to the package directory, -test.short.
func TestGoStdlib(t *testing.T) {
	pkgs := []string{"os", "path/filepath", "syscall", "io", "bufio"}
	if testing.Short() {
		pkgs = pkgs[1:3]
	}
	goroot := runtime.GOROOT()
	for _, pkg := range pkgs {
		t.Run(pkg, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "pkg.test.wasm")
			bin := build(t, out, []string{"GOOS=wasip1", "GOARCH=wasm"}, "go", "test", "-c", "-o", out, pkg)
			forEachEngine(t, func(t *testing.T, runner func(context.Context, []byte, wasi.Config) (uint32, error)) {
				code, stdout, stderr := run(t, runner, bin, wasi.Config{
					Args:     []string{"pkg.test.wasm", "-test.short"},
					Env:      []string{"PWD=" + filepath.Join(goroot, "src", pkg), "PATH=" + os.Getenv("PATH")},
					Preopens: rootPreopen(t),
				})
				if code != 0 || !strings.HasSuffix(stdout, "PASS\n") {
					t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
				}
			})
		})
	}
}

// rootPreopen maps the host's root directory as "/", as --dir=/ does.
func rootPreopen(t *testing.T) []wasi.Preopen {
	t.Helper()
	pre, closeDirs, err := wasi.MountDirs(nil, []wasi.DirSpec{{Host: "/", Guest: "/"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDirs() })
	return pre
}
