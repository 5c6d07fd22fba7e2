package clitest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// probe builds testdata/probe.c (see there for its commands), keeping
// function names for backtraces.
func probe(t *testing.T) string {
	t.Helper()
	return buildC(t, "probe", "-O0", filepath.Join("testdata", "probe.c"))
}

// check is what a test expects of a run; empty fields are not checked.
type check struct {
	code      int
	stdout    string   // exactly
	contains  []string // in stdout
	stderr    []string // in stderr
	notStdout []string // nowhere in stdout
}

func (c check) verify(t *testing.T, r result) {
	t.Helper()
	if r.code != c.code {
		t.Errorf("exit status %d, want %d", r.code, c.code)
	}
	if c.stdout != "" && r.stdout != c.stdout {
		t.Errorf("stdout %q, want %q", r.stdout, c.stdout)
	}
	for _, s := range c.contains {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q", s)
		}
	}
	for _, s := range c.notStdout {
		if strings.Contains(r.stdout, s) {
			t.Errorf("stdout has %q", s)
		}
	}
	for _, s := range c.stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q", s)
		}
	}
	if t.Failed() {
		t.Logf("%v", r)
	}
}

func TestRun_invoke(t *testing.T) {
	mod := wat(t, "invoke")
	tests := []struct {
		name string
		args []string
		want check
	}{
		{"i32", []string{"add_i32", "2", "-3"}, check{stdout: "-1\n"}},
		{"i32 bit patterns", []string{"add_i32", "0xffffffff", "4294967295"}, check{stdout: "-2\n"}},
		{"i64", []string{"add_i64", "9223372036854775807", "1"}, check{stdout: "-9223372036854775808\n"}},
		{"f32", []string{"mul_f32", "1.5", "3"}, check{stdout: "4.5\n"}},
		{"f64", []string{"mul_f64", "1e300", "1e300"}, check{stdout: "inf\n"}},
		{"f64 fraction", []string{"mul_f64", "0.1", "3"}, check{stdout: "0.30000000000000004\n"}},
		{"several results", []string{"echo", "-7", "0x10", "nan", "-0.5"}, check{stdout: "-7\n16\nNaN\n-0.5\n"}},
		{"references", []string{"refs"}, check{stdout: "<null funcref>\n<null externref>\n<funcref>\n"}},
		{"v128", []string{"vec"}, check{stdout: "18446744073709551617\n"}},
		{"no results", []string{"none"}, check{stdout: ""}},
		{"extra arguments are the program's", []string{"add_i32", "1", "2", "3"}, check{stdout: "3\n"}},
		{"too few arguments", []string{"add_i64", "1"}, check{code: 1,
			stderr: []string{`Error: invoking "add_i64"`, "1 given, the function takes 2 (i64, i64)"}}},
		{"not a number", []string{"add_i32", "1", "two"}, check{code: 1, stderr: []string{`argument 2 (i32): invalid 32-bit integer "two"`}}},
		{"v128 parameter", []string{"take_vec", "1"}, check{code: 1, stderr: []string{"cannot pass a v128"}}},
		{"unknown function", []string{"nope"}, check{code: 1, stderr: []string{`no exported function "nope"`, `"add_i32"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--invoke", tt.args[0], mod}, tt.args[1:]...)
			tt.want.verify(t, wasmvisor(t, proc{}, args...))
		})
	}
}

// TestRun_preload links a program to a library module given with
// --preload; the library initializes itself (through WASI) first.
func TestRun_preload(t *testing.T) {
	lib, app := wat(t, "lib"), wat(t, "app")
	tests := []struct {
		name string
		args []string
		want check
	}{
		{"linked", []string{"--preload", "lib=" + lib, "--invoke", "run", app, "5"}, check{stdout: "lib ready\n16\n"}},
		{"option order does not matter", []string{"--invoke", "run", "--preload=lib=" + lib, app, "0"}, check{stdout: "lib ready\n1\n"}},
		{"missing module", []string{"--invoke", "run", app, "5"}, check{code: 1,
			stderr: []string{"unknown import lib.triple", `no module "lib"`, "--preload"}}},
		{"wrong name", []string{"--preload", "other=" + lib, "--invoke", "run", app, "5"}, check{code: 1, stderr: []string{`no module "lib"`}}},
		{"module lacks the function", []string{"--preload", "lib=" + wat(t, "invoke"), "--invoke", "run", app, "5"}, check{code: 1,
			stderr: []string{`exports no function "triple"`}}},
		{"instance limit", []string{"-W", "max-instances=1", "--preload", "lib=" + lib, "--invoke", "run", app, "5"}, check{code: 1,
			stderr: []string{"need 2 instances, more than -W max-instances=1"}}},
		{"within the instance limit", []string{"-W", "max-instances=2", "--preload", "lib=" + lib, "--invoke", "run", app, "5"}, check{stdout: "lib ready\n16\n"}},
		// The library is refused by the policy, so neither module runs.
		{"preload refused", []string{"-W", "deny-import=wasi_snapshot_preview1.*", "--preload", "lib=" + lib, "--invoke", "run", app, "5"}, check{code: 1,
			stdout: "", stderr: []string{"lib.wasm", "denied by policy"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wasmvisor(t, proc{}, append([]string{"run"}, tt.args...)...)
			tt.want.verify(t, r)
			if tt.want.code != 0 && r.stdout != "" {
				t.Errorf("a module ran before the failure: stdout %q", r.stdout)
			}
		})
	}
}

// TestRun_tcplisten serves three connections with a Go echo server on a
// socket that --tcplisten opened.
func TestRun_tcplisten(t *testing.T) {
	echo := buildGo(t, filepath.Join(repoRoot, "internal/wasi/conformance"), "./testdata/go/echo")
	// A free port: listen, note it, and leave it to wasmvisor.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	const conns = 3
	done := make(chan result, 1)
	go func() {
		done <- wasmvisor(t, proc{timeout: time.Minute}, "run", "--tcplisten", addr, echo, fmt.Sprint(conns))
	}()
	for i := range conns {
		c := dial(t, addr, done)
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
	check{stdout: fmt.Sprintf("served %d\n", conns)}.verify(t, <-done)
}

// dial connects to addr once wasmvisor listens there, failing the test if
// wasmvisor exits first.
func dial(t *testing.T, addr string, done chan result) net.Conn {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			return c
		}
		select {
		case r := <-done:
			t.Fatalf("wasmvisor exited before accepting connections:\n%v", r)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s: %v", addr, err)
		}
	}
}

func TestRun_env(t *testing.T) {
	p := probe(t)
	r := wasmvisor(t, proc{env: []string{"FROM_HOST=host value", "NOT_PASSED=x"}},
		"run", "--env", "A=1", "--env", "FROM_HOST", "--env", "UNSET_ON_HOST", "--env", "EMPTY=", "--env", "B=x=y", p, "env")
	// Only what --env names, in order; an unset variable stays unset.
	check{stdout: "env A=1\nenv FROM_HOST=host value\nenv EMPTY=\nenv B=x=y\n"}.verify(t, r)
}

// TestRun_dir maps directories read-write and read-only and tries to
// reach what lies outside them.
func TestRun_dir(t *testing.T) {
	p := probe(t)
	top := t.TempDir()
	root, data := filepath.Join(top, "root"), filepath.Join(top, "data")
	for _, d := range []string{root, data, filepath.Join(root, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	secret := filepath.Join(top, "secret.txt")
	for file, content := range map[string]string{
		secret:                            "secret\n",
		filepath.Join(root, "inside.txt"): "inside\n",
		filepath.Join(data, "data.txt"):   "data\n",
	} {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"abs-link": secret,          // an absolute host path
		"up-link":  "../secret.txt", // out of the mapped directory
		"sub/loop": "loop",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name string
		dirs []string
		cmds []string
		want check
	}{
		{"read and write", []string{root + "::/"}, []string{"read", "/inside.txt", "write", "/new.txt", "read", "/new.txt",
			"mkdir", "/newdir", "rm", "/new.txt", "read", "sub/../inside.txt"},
			check{stdout: "read /inside.txt: ok inside\nwrite /new.txt: ok\nread /new.txt: ok written\n" +
				"mkdir /newdir: ok\nrm /new.txt: ok\nread sub/../inside.txt: ok inside\n"}},
		{"read-only", []string{root + "::/::ro"}, []string{"read", "/inside.txt", "write", "/inside.txt", "write", "/new.txt",
			"mkdir", "/newdir", "rm", "/inside.txt"},
			check{contains: []string{"read /inside.txt: ok inside"},
				notStdout: []string{"write /inside.txt: ok", "write /new.txt: ok", "mkdir /newdir: ok", "rm /inside.txt: ok"}}},
		{"escapes", []string{root + "::/"}, []string{"read", "/../secret.txt", "read", "../secret.txt", "read", "sub/../../secret.txt",
			"read", "/abs-link", "read", "/up-link", "read", secret, "read", "/sub/loop", "write", "/up-link"},
			check{notStdout: []string{": ok"}}},
		// wasi-libc opens /data/.. relative to the /data descriptor, which
		// may not be left, even towards another mapped directory.
		{"two directories", []string{root + "::/", data + "::/data::ro"}, []string{"read", "/data/data.txt", "read", "/inside.txt",
			"write", "/data/new.txt", "read", "/data/../inside.txt", "read", "/data/../../secret.txt"},
			check{contains: []string{"read /data/data.txt: ok data", "read /inside.txt: ok inside"},
				notStdout: []string{"write /data/new.txt: ok", "read /data/../inside.txt: ok", "ok secret"}}},
		{"no directory", nil, []string{"read", "/inside.txt", "write", "/x"}, check{notStdout: []string{": ok"}}},
		{"missing host directory", []string{filepath.Join(top, "missing") + "::/"}, []string{"read", "/x"},
			check{code: 1, stderr: []string{"--dir " + filepath.Join(top, "missing")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"run"}
			for _, d := range tt.dirs {
				args = append(args, "--dir", d)
			}
			args = append(append(args, p), tt.cmds...)
			tt.want.verify(t, wasmvisor(t, proc{}, args...))
		})
	}
	// Nothing outside the mapped directories changed, nor anything in the
	// read-only ones.
	if data, _ := os.ReadFile(secret); string(data) != "secret\n" {
		t.Errorf("secret.txt now holds %q", data)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "inside.txt")); string(data) != "inside\n" {
		t.Errorf("inside.txt now holds %q", data)
	}
	if _, err := os.Stat(filepath.Join(data, "new.txt")); err == nil {
		t.Error("a file was created in a read-only directory")
	}
}

func TestRun_exitStatus(t *testing.T) {
	p := probe(t)
	tests := []struct {
		status string
		want   check
	}{
		{"0", check{code: 0}},
		{"1", check{code: 1}},
		{"3", check{code: 3}},
		{"125", check{code: 125}},
		// WASI reserves 126 and up; wasmtime fails such a program with 1.
		{"126", check{code: 1, stderr: []string{"exit with invalid exit status 126 outside of [0..126)"}}},
		{"255", check{code: 1, stderr: []string{"invalid exit status 255"}}},
		{"-1", check{code: 1, stderr: []string{"invalid exit status 4294967295"}}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			tt.want.verify(t, wasmvisor(t, proc{}, "run", p, "exit", tt.status))
		})
	}
}

// backtraceFrame matches a line of a backtrace naming a function.
// backtraceFrame matches fn's frame in a backtrace. The offset is
// optional: a micro-VM's guest stopped at its deadline between two calls
// has none.
func backtraceFrame(fn string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^ +\d+: \S*!` + regexp.QuoteMeta(fn) + `\[\d+\]( @0x[0-9a-f]+)?$`)
}

func TestRun_trap(t *testing.T) {
	trap, p := wat(t, "trap"), probe(t)
	tests := []struct {
		name   string
		args   []string
		want   check
		frames []string
		slow   time.Duration // the longest the run may take
	}{
		{"divide by zero", []string{trap}, check{code: 134, stderr: []string{"Error: " + trap + ": wasm trap: integer divide by zero\nwasm backtrace:\n"}},
			[]string{"divide", "compute", "_start"}, 0},
		{"C abort", []string{p, "abort"}, check{code: 134, stderr: []string{"wasm trap: unreachable"}}, []string{"abort", "main"}, 0},
		{"stack", []string{"-W", "max-wasm-stack=64KiB", "--invoke", "recurse", trap, "1"},
			check{code: 134, stderr: []string{"wasm trap: call stack exhausted: more than 65536 bytes", "-W max-wasm-stack"}}, []string{"recurse"}, 0},
		{"timeout while running", []string{"-W", "timeout=300ms", "--invoke", "spin", trap},
			check{code: 134, stderr: []string{"wasm trap: timeout: the program ran longer than -W timeout=300ms"}}, []string{"spin"}, 30 * time.Second},
		{"timeout while blocked", []string{"-W", "timeout=300ms", p, "sleep", "60"},
			check{code: 134, stderr: []string{"wasm trap: timeout: the program ran longer than -W timeout=300ms"}}, nil, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			r := wasmvisor(t, proc{}, append([]string{"run"}, tt.args...)...)
			tt.want.verify(t, r)
			for _, f := range tt.frames {
				if !backtraceFrame(f).MatchString(r.stderr) {
					t.Errorf("backtrace lacks a frame of %s:\n%s", f, r.stderr)
				}
			}
			if d := time.Since(start); tt.slow > 0 && d > tt.slow {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestRun_policy checks that a module the policy refuses never starts,
// and that memory limits hold while it runs.
func TestRun_policy(t *testing.T) {
	bigmem, invoke := wat(t, "bigmem"), wat(t, "invoke")
	tests := []struct {
		name string
		args []string
		want check
	}{
		{"within the limits", []string{bigmem}, check{stdout: "started\n"}},
		{"memory too large", []string{"-W", "max-memory-size=1MiB", bigmem}, check{code: 1,
			stdout: "", stderr: []string{"memory[0]: minimum 256 pages exceeds limit of 16 pages (-W max-memory-size=1048576)"}}},
		{"import denied", []string{"-W", "deny-import=wasi_snapshot_preview1.fd_write", bigmem}, check{code: 1,
			stderr: []string{`import "wasi_snapshot_preview1"."fd_write" at offset`, "denied by policy"}}},
		{"growth capped", []string{"-W", "max-memory-size=128KiB", "--invoke", "grow", invoke, "1"}, check{stdout: "1\n"}},
		{"growth beyond the cap", []string{"-W", "max-memory-size=128KiB", "--invoke", "grow", invoke, "2"}, check{stdout: "-1\n"}},
		{"growth without a cap", []string{"--invoke", "grow", invoke, "2"}, check{stdout: "1\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wasmvisor(t, proc{}, append([]string{"run"}, tt.args...)...)
			tt.want.verify(t, r)
			if tt.want.code != 0 && r.stdout != "" {
				t.Errorf("the refused module ran: stdout %q", r.stdout)
			}
		})
	}
}

// TestRun_malformed checks that a module that cannot be decoded,
// validated or linked is reported with the file, the offset and the
// problem, and exits with 1.
func TestRun_malformed(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"truncated.wasm": []byte("\x00asm\x01\x00\x00\x00\x01\x05"),
		"version.wasm":   []byte("\x00asm\x02\x00\x00\x00"),
		// (func (result i32)) with an empty body.
		"invalid.wasm": []byte("\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"),
		// imports env.f.
		"unlinked.wasm": []byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x02\x09\x01\x03env\x01f\x00\x00"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		file string
		want []string
	}{
		{"truncated.wasm", []string{"Error: truncated.wasm: ", "(at offset 0x9)"}},
		{"version.wasm", []string{"Error: version.wasm: ", "unknown binary version", "offset 0x4"}},
		{"invalid.wasm", []string{"Error: invalid.wasm: ", "func[0]", "type mismatch"}},
		{"unlinked.wasm", []string{"Error: unlinked.wasm: unknown import env.f"}},
		{"missing.wasm", []string{"Error: missing.wasm: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			check{code: 1, stdout: "", stderr: tt.want}.verify(t, wasmvisor(t, proc{dir: dir}, "run", tt.file))
		})
	}
}
