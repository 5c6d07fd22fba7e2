package wasmvisor_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

// readyEnv, set in a child process of TestReadyMemory, names the module
// the child instantiates, with the tier and cache directory after it.
const readyEnv = "WASMVISOR_TEST_READY_MEMORY"

// TestReadyMemory checks the resident memory of a process that has a
// large module (the Go compiler, 47 MiB) instantiated and ready to run,
// in a child process of its own: at most 3 times the module's size on
// the interpreter and when the compiled code comes from the compilation
// cache, whose code is mapped from its entry rather than held in the
// process (it was 5 times, with the code read into anonymous memory).
// A cold compile holds the code it made and is only reported.
func TestReadyMemory(t *testing.T) {
	if spec := os.Getenv(readyEnv); spec != "" {
		readyChild(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("builds and loads a 47 MiB module")
	}
	if runtime.GOARCH != "amd64" {
		t.Skip("the compiled tier needs amd64")
	}
	wasm := filepath.Join(t.TempDir(), "compile.wasm")
	build := exec.Command("go", "build", "-o", wasm, "cmd/compile")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building cmd/compile: %v\n%s", err, out)
	}
	fi, err := os.Stat(wasm)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	tests := []struct {
		name, tier, cache string
		bound             int64 // in module sizes; 0 for none
	}{
		{"interpreter", "interp", "", 3},
		{"compiled", "compiled", "", 0},
		{"compiled, stored in the cache", "compiled", cache, 0},
		{"compiled, from the cache", "compiled", cache, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestReadyMemory$", "-test.v")
			cmd.Env = append(os.Environ(), readyEnv+"="+strings.Join([]string{wasm, tt.tier, tt.cache}, string(os.PathListSeparator)))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			rss, peak := childFigure(t, out, "ready-rss"), childFigure(t, out, "peak")
			t.Logf("module %d MiB: resident when ready %d MiB, peak %d MiB", fi.Size()>>20, rss>>20, peak>>20)
			if tt.bound > 0 && peak > tt.bound*fi.Size() {
				t.Errorf("peak resident memory %d MiB, more than %d times the module's %d MiB", peak>>20, tt.bound, fi.Size()>>20)
			}
		})
	}
}

// readyChild instantiates the module spec names and prints the process's
// resident memory and its peak.
func readyChild(t *testing.T, spec string) {
	f := filepath.SplitList(spec)
	ctx := context.Background()
	cfg := wasmvisor.RuntimeConfig{Tier: wasmvisor.TierCompiled}
	if f[1] == "interp" {
		cfg.Tier = wasmvisor.TierInterp
	}
	if f[2] != "" {
		c, err := wasmvisor.NewCompilationCache(f[2])
		if err != nil {
			t.Fatal(err)
		}
		cfg.CompilationCache = c
	}
	r := wasmvisor.NewRuntime(ctx, cfg)
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)
	bin, err := os.ReadFile(f[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.InstantiateModule(ctx, c, wasmvisor.ModuleConfig{}); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ready-rss %d\npeak %d\n", procStatus(t, "VmRSS"), procStatus(t, "VmHWM"))
}

// procStatus returns a figure of /proc/self/status in bytes.
func procStatus(t *testing.T, key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return 0
}

// childFigure returns the figure the child printed after name.
func childFigure(t *testing.T, out []byte, name string) int64 {
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("child printed no %s:\n%s", name, out)
	return 0
}
