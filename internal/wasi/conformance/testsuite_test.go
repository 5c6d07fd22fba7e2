package conformance

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vfs "github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// TestTestsuite runs every program in ../shared/testdata/wasi the way the
// suite's README describes: its root directory copied to a scratch
// directory mapped as "/", its args and env, and its exit code and
// stdout compared.
// Both engines run them: wazero as a reference, and wasmvisor's own.
func TestTestsuite(t *testing.T) {
	engines := []struct {
		name string
		run  func(context.Context, []byte, wasi.Config) (uint32, error)
	}{{"wazero", Run}, {"wasmvisor", RunWasmvisor}}
	progs := testshared.WASIPrograms(t)
	for _, engine := range engines {
		for _, prog := range progs {
			t.Run(engine.name+"/"+prog.Name, func(t *testing.T) {
				t.Parallel()
				runTestsuiteProgram(t, engine.run, prog)
			})
		}
	}
}

func runTestsuiteProgram(t *testing.T, run func(context.Context, []byte, wasi.Config) (uint32, error), prog testshared.WASIProgram) {
	bin, err := os.ReadFile(prog.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	cfg := wasi.Config{
		Args: append([]string{filepath.Base(prog.Wasm)}, prog.Args...),
		Env:  prog.EnvList(),
	}
	var stdout, stderr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &stdout, &stderr
	if prog.Root != "" {
		scratch := t.TempDir()
		testshared.CopyTree(t, prog.Root, scratch)
		cfg.Preopens = []wasi.Preopen{{Name: "/", NS: hostNamespace(t, scratch), Path: "/"}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := run(ctx, bin, cfg)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	if int(code) != prog.ExitCode {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, prog.ExitCode, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	if prog.Stdout != nil && stdout.String() != *prog.Stdout {
		t.Fatalf("stdout %q, want %q", stdout.String(), *prog.Stdout)
	}
}

// hostNamespace mounts the host directory dir at "/".
func hostNamespace(t *testing.T, dir string) *vfs.Namespace {
	t.Helper()
	h, err := hostfs.New(dir, hostfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	ns := vfs.NewNamespace()
	if err := ns.Mount("/", h); err != nil {
		t.Fatal(err)
	}
	return ns
}

// TestSightglass runs the sightglass benchmark programs the way their
// harness does: the benchmark's directory preopened as "." (which is
// how they find their inputs), output compared with the expected files.
func TestSightglass(t *testing.T) {
	base := testshared.Path(t, "bench", "sightglass")
	progs, err := filepath.Glob(filepath.Join(base, "*", "*.wasm"))
	if err != nil || len(progs) == 0 {
		t.Fatalf("no benchmarks in %s: %v", base, err)
	}
	engines := []struct {
		name string
		run  func(context.Context, []byte, wasi.Config) (uint32, error)
	}{{"wazero", Run}, {"wasmvisor", RunWasmvisor}}
	for _, engine := range engines {
		for _, prog := range progs {
			dir, name := filepath.Dir(prog), strings.TrimSuffix(filepath.Base(prog), ".wasm")
			t.Run(engine.name+"/"+filepath.Base(dir)+"/"+name, func(t *testing.T) {
				switch {
				case testing.Short() && filepath.Base(dir) != "noop":
					t.Skip("benchmarks take long; -short runs noop only")
				case engine.name == "wasmvisor" && filepath.Base(dir) == "shootout":
					// CPU-bound loops that test the interpreter more than
					// the kernel, and take minutes there; the benchmark
					// harness runs them.
					t.Skip("CPU-bound; left to the benchmark harness")
				}
				bin, err := os.ReadFile(prog)
				if err != nil {
					t.Fatal(err)
				}
				pre, closeDirs, err := wasi.MountDirs(nil, []wasi.DirSpec{{Host: dir, Guest: ".", ReadOnly: true}})
				if err != nil {
					t.Fatal(err)
				}
				defer closeDirs()
				var stdout, stderr bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				code, err := engine.run(ctx, bin, wasi.Config{
					Args: []string{name + ".wasm"}, Stdout: &stdout, Stderr: &stderr, Preopens: pre,
				})
				if err != nil || code != 0 {
					t.Fatalf("exit %d, %v\nstderr:\n%s", code, err, stderr.String())
				}
				for stream, got := range map[string]string{"stdout": stdout.String(), "stderr": stderr.String()} {
					want, err := os.ReadFile(filepath.Join(dir, name+"."+stream+".expected"))
					if err == nil && got != string(want) {
						t.Errorf("%s:\n%s\nwant:\n%s", stream, got, want)
					}
				}
			})
		}
	}
}
