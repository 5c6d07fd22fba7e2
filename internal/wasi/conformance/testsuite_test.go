package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	vfs "github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// testSpec is a wasi-testsuite NAME.json.
type testSpec struct {
	Args     []string          `json:"args"`
	Env      map[string]string `json:"env"`
	Root     string            `json:"root"`
	ExitCode uint32            `json:"exit_code"`
	Stdout   *string           `json:"stdout"`
}

// TestTestsuite runs every program in ../shared/testdata/wasi the way the
// suite's README describes: its root directory copied to a scratch
// directory mapped as "/", its args and env, and its exit code and
// stdout compared.
// Both engines run them: wazero as a reference, and wasmvisor's own.
func TestTestsuite(t *testing.T) {
	base := testshared.Path(t, "testdata", "wasi")
	engines := []struct {
		name string
		run  func(context.Context, []byte, wasi.Config) (uint32, error)
	}{{"wazero", Run}, {"wasmvisor", RunWasmvisor}}
	for _, engine := range engines {
		for _, suite := range []string{"assemblyscript", "c", "rust"} {
			progs, err := filepath.Glob(filepath.Join(base, suite, "*.wasm"))
			if err != nil || len(progs) == 0 {
				t.Fatalf("no programs in %s: %v", suite, err)
			}
			for _, prog := range progs {
				name := strings.TrimSuffix(filepath.Base(prog), ".wasm")
				t.Run(engine.name+"/"+suite+"/"+name, func(t *testing.T) {
					t.Parallel()
					runTestsuiteProgram(t, engine.run, prog)
				})
			}
		}
	}
}

func runTestsuiteProgram(t *testing.T, run func(context.Context, []byte, wasi.Config) (uint32, error), prog string) {
	var spec testSpec
	if data, err := os.ReadFile(strings.TrimSuffix(prog, ".wasm") + ".json"); err == nil {
		if err := json.Unmarshal(data, &spec); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	cfg := wasi.Config{Args: append([]string{filepath.Base(prog)}, spec.Args...)}
	keys := make([]string, 0, len(spec.Env))
	for k := range spec.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cfg.Env = append(cfg.Env, k+"="+spec.Env[k])
	}
	var stdout, stderr bytes.Buffer
	cfg.Stdout, cfg.Stderr = &stdout, &stderr
	if spec.Root != "" {
		scratch := t.TempDir()
		copyTree(t, filepath.Join(filepath.Dir(prog), spec.Root), scratch)
		cfg.Preopens = []wasi.Preopen{{Name: "/", NS: hostNamespace(t, scratch), Path: "/"}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := run(ctx, bin, cfg)
	if err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	if code != spec.ExitCode {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, spec.ExitCode, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("stderr:\n%s", stderr.String())
	}
	if spec.Stdout != nil && stdout.String() != *spec.Stdout {
		t.Fatalf("stdout %q, want %q", stdout.String(), *spec.Stdout)
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

// copyTree copies src into dst, making everything writable: the shared
// test data is read-only.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
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
