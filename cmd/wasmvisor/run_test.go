package main

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// testIO is a runIO whose host environment has HOME=/home/u.
func testIO() (runIO, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return runIO{
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
		lookupEnv: func(k string) (string, bool) {
			if k == "HOME" {
				return "/home/u", true
			}
			return "", false
		},
	}, &stdout, &stderr
}

func TestParseRunArgs(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(*runOptions) bool
		err   string
	}{
		{"file only", []string{"p.wasm"}, func(o *runOptions) bool {
			return o.File == "p.wasm" && len(o.Args) == 0
		}, ""},
		{"everything after the file is the program's", []string{"p.wasm", "--dir", "/", "-W", "x", "--"}, func(o *runOptions) bool {
			return o.File == "p.wasm" && reflect.DeepEqual(o.Args, []string{"--dir", "/", "-W", "x", "--"}) && len(o.Dirs) == 0
		}, ""},
		{"-- ends the options", []string{"--env", "A=1", "--", "-p.wasm", "x"}, func(o *runOptions) bool {
			return o.File == "-p.wasm" && reflect.DeepEqual(o.Args, []string{"x"}) && reflect.DeepEqual(o.Env, []string{"A=1"})
		}, ""},
		{"value forms", []string{"--dir=/", "-dir", "a::b", "--dir", ".", "-W", "timeout=1s", "-Wmax-wasm-stack=1MiB", "--wasm=max-instances=3", "p.wasm"}, func(o *runOptions) bool {
			return reflect.DeepEqual(o.Dirs, []wasi.DirSpec{{Host: "/", Guest: "/"}, {Host: "a", Guest: "b"}, {Host: ".", Guest: "."}}) &&
				o.Limits.Timeout == time.Second && o.Limits.MaxWasmStack == 1<<20 && o.Limits.MaxInstances == wasmvisor.LimitOf(3)
		}, ""},
		{"read-only directory", []string{"--dir", "h::/g::ro", "--dir", "h2::/g2::rw", "p.wasm"}, func(o *runOptions) bool {
			return reflect.DeepEqual(o.Dirs, []wasi.DirSpec{{Host: "h", Guest: "/g", ReadOnly: true}, {Host: "h2", Guest: "/g2"}})
		}, ""},
		{"environment", []string{"--env", "A=1=2", "--env", "HOME", "--env", "UNSET", "--env", "E=", "p.wasm"}, func(o *runOptions) bool {
			return reflect.DeepEqual(o.Env, []string{"A=1=2", "HOME=/home/u", "E="})
		}, ""},
		{"invoke, preload, listen, disk", []string{"--invoke", "", "--preload", "lib=l.wasm", "--tcplisten", "127.0.0.1:0",
			"--disk", "d.img,part=2", "--disk-overlay", "ov", "p.wasm"}, func(o *runOptions) bool {
			return o.HasInvoke && o.Invoke == "" && reflect.DeepEqual(o.Preloads, []launch.Preload{{Name: "lib", File: "l.wasm"}}) &&
				reflect.DeepEqual(o.Listen, []string{"127.0.0.1:0"}) && o.Disk == "d.img,part=2" && o.DiskOverlay == "ov"
		}, ""},
		{"tier", []string{"--tier=interp", "p.wasm"}, func(o *runOptions) bool { return o.Tier == wasmvisor.TierInterp }, ""},
		{"tier compiled", []string{"--tier", "compiled", "p.wasm"}, func(o *runOptions) bool { return o.Tier == wasmvisor.TierCompiled }, ""},
		{"default tier", []string{"p.wasm"}, func(o *runOptions) bool { return o.Tier == wasmvisor.TierDefault }, ""},
		{"bad tier", []string{"--tier", "jit", "p.wasm"}, nil, `--tier jit: unknown tier "jit"`},
		{"cache", []string{"--cache-dir", "c", "p.wasm"}, func(o *runOptions) bool { return o.CacheDir == "c" && !o.NoCache }, ""},
		{"no cache switch takes no value", []string{"--no-cache", "p.wasm"}, func(o *runOptions) bool { return o.NoCache && o.File == "p.wasm" }, ""},
		{"no cache switch set off", []string{"--no-cache=false", "p.wasm"}, func(o *runOptions) bool { return !o.NoCache }, ""},
		{"bad switch value", []string{"--no-cache=maybe", "p.wasm"}, nil, "--no-cache maybe"},
		{"no file", []string{"--dir", "."}, nil, "no module to run"},
		{"missing value", []string{"--dir"}, nil, "--dir needs a value"},
		{"unknown option", []string{"--mapdir", "a::b", "p.wasm"}, nil, "unknown option --mapdir"},
		{"bad -W", []string{"-W", "max-stack=1", "p.wasm"}, nil, `unknown key "max-stack"`},
		{"bad dir", []string{"--dir", "::/", "p.wasm"}, nil, "want HOST[::GUEST]"},
		{"bad dir mode", []string{"--dir", "a::b::rx", "p.wasm"}, nil, `mode "rx"`},
		{"bad env", []string{"--env", "=x", "p.wasm"}, nil, "want NAME=VALUE"},
		{"bad preload", []string{"--preload", "lib", "p.wasm"}, nil, "want NAME=PATH"},
		{"preload twice", []string{"--preload", "a=x", "--preload", "a=y", "p.wasm"}, nil, "preloaded twice"},
		{"preload as WASI", []string{"--preload", "wasi_snapshot_preview1=x", "p.wasm"}, nil, "is WASI's"},
		{"two disks", []string{"--disk", "a", "--disk", "b", "p.wasm"}, nil, "only one disk"},
		{"overlay without disk", []string{"--disk-overlay", "d", "p.wasm"}, nil, "--disk-overlay needs --disk"},
		{"help", []string{"--dir", ".", "-h", "p.wasm"}, nil, errHelp.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _ := testIO()
			o, err := parseRunArgs(tt.args, io)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(o) {
				t.Fatalf("unexpected options: %+v", o)
			}
		})
	}
}

func TestRunMain_usage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		status int
		stdout []string
		stderr []string
	}{
		{"help lists every option", []string{"--help"}, 0,
			[]string{"--dir HOST[::GUEST[::ro]]", "--env NAME[=VAL]", "--invoke NAME", "--preload NAME=PATH",
				"--tcplisten ADDR", "--disk IMAGE[,part=N]", "--disk-overlay DIR", "-W KEY=VAL", "max-wasm-stack", "timeout", "134"}, nil},
		{"usage error", []string{"--nope"}, exitUsage, nil, []string{"unknown option --nope", "wasmvisor run --help"}},
		{"missing file", []string{"testdata/none.wasm"}, exitFailure, nil, []string{"Error: testdata/none.wasm: no such file or directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, stdout, stderr := testIO()
			if got := runMain(tt.args, io); got != tt.status {
				t.Errorf("status %d, want %d; stderr:\n%s", got, tt.status, stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

func TestRunOptions_report(t *testing.T) {
	frames := []api.Frame{{Module: "p", FuncIndex: 1, FuncName: "f", Offset: 0x10}}
	for range 3 {
		frames = append(frames, api.Frame{Module: "p", FuncIndex: 2, FuncName: "rec", Offset: 0x20})
	}
	tests := []struct {
		name    string
		timeout time.Duration
		err     error
		status  int
		want    string
	}{
		{"exit", 0, &api.ExitError{Code: 3}, 3, ""},
		{"exit 125", 0, &api.ExitError{Code: 125}, 125, ""},
		{"exit 126", 0, &api.ExitError{Code: 126}, exitFailure, "Error: p.wasm: exit with invalid exit status 126 outside of [0..126)\n"},
		{"exit -1", 0, &api.ExitError{Code: math.MaxUint32}, exitFailure, "invalid exit status 4294967295"},
		{"trap", 0, &api.Trap{Kind: api.TrapUnreachable, Frames: frames}, launch.ExitTrap,
			"Error: p.wasm: wasm trap: unreachable\nwasm backtrace:\n    0: p!f[1] @0x10\n    1: p!rec[2] @0x20\n       ... the same frame 2 more times\n"},
		{"timeout names the limit", 2 * time.Second, &api.Trap{Kind: api.TrapTimeout, Detail: "the call's deadline passed"}, launch.ExitTrap,
			"Error: p.wasm: wasm trap: timeout: the program ran longer than -W timeout=2s\n"},
		{"stack names the limit", 0, &api.Trap{Kind: api.TrapCallStackExhausted, Detail: "more than 8 bytes"}, launch.ExitTrap,
			"call stack exhausted: more than 8 bytes (raise the limit with -W max-wasm-stack)"},
		{"wrapped trap", 0, errors.Join(errors.New("x"), &api.Trap{Kind: api.TrapIntegerDivideByZero}), launch.ExitTrap, "wasm trap: integer divide by zero"},
		{"other error", 0, errors.New("unknown import: a.b"), exitFailure, "Error: p.wasm: unknown import: a.b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _ := testIO()
			o, err := parseRunArgs([]string{"p.wasm"}, io)
			if err != nil {
				t.Fatal(err)
			}
			o.Limits.Timeout = tt.timeout
			var out bytes.Buffer
			res := launch.Result{}.Ended("p.wasm", tt.err)
			if res.Status != tt.status {
				t.Errorf("status %d, want %d", res.Status, tt.status)
			}
			if res.Err != nil {
				o.report(&out, res)
			}
			if !strings.Contains(out.String(), tt.want) || (tt.want == "" && out.Len() > 0) {
				t.Errorf("printed:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// FuzzParseRunArgs parses arbitrary command lines (NUL-separated
// arguments): a command line never panics, and an accepted one names a
// module.
func FuzzParseRunArgs(f *testing.F) {
	for _, seed := range []string{
		"p.wasm", "--dir=/\x00--env\x00A=1\x00p.wasm\x00x", "-Wtimeout=1s,max-wasm-stack=1MiB\x00--\x00p.wasm",
		"--dir\x00a::b::ro\x00--preload\x00l=x.wasm\x00--invoke\x00f\x00p.wasm\x001\x00-2",
		"--disk\x00d.img,part=1\x00--disk-overlay\x00o\x00--tcplisten\x00:0\x00p.wasm", "--env", "-h",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cmdline string) {
		io, _, _ := testIO()
		o, err := parseRunArgs(strings.Split(cmdline, "\x00"), io)
		if err == nil && o.File == "" {
			t.Fatalf("%q: accepted without a module", cmdline)
		}
	})
}
