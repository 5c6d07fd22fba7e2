package sightglass

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

func TestStubBenchImports(t *testing.T) {
	const head = "(module\n  (type $t0 (func))\n"
	tests := []struct {
		name, wat, want, err string
	}{{
		name: "both imports",
		wat: head + "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (type $t1)))\n" +
			"  (import \"bench\" \"start\" (func $start (type $t0)))\n" +
			"  (import \"bench\" \"end\" (func $end (type $t0)))\n" +
			"  (func $main (type $t0) call $start call $end))\n",
		want: head + "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (type $t1)))\n" +
			"  (func $main (type $t0) call $start call $end)" +
			"  (func $start (type $t0))\n  (func $end (type $t0))\n)\n",
	}, {
		name: "one import",
		wat:  head + "  (import \"bench\" \"start\" (func $start (type $t0)))\n)\n",
		err:  "found 1 imports of bench.start and bench.end, want 2",
	}, {
		name: "none",
		wat:  head + ")\n",
		err:  "found 0 imports",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stubBenchImports([]byte(tt.wat))
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error containing %q", err, tt.err)
				}
			case err != nil:
				t.Fatal(err)
			case string(got) != tt.want:
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// FuzzStubBenchImports checks that rewriting never panics and that a
// rewritten module imports nothing from bench.
func FuzzStubBenchImports(f *testing.F) {
	f.Add([]byte("(module\n  (import \"bench\" \"start\" (func $a (type 0)))\n  (import \"bench\" \"end\" (func $b (type 0)))\n)\n"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, wat []byte) {
		out, err := stubBenchImports(wat)
		if err == nil && benchImport.Match(out) {
			t.Fatalf("a bench import is left in\n%s", out)
		}
	})
}

// TestStubPrograms stubs a real program and checks that it links with
// WASI alone.
func TestStubPrograms(t *testing.T) {
	for _, tool := range []string{"wasm2wat", "wat2wasm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s (wabt) is not installed", tool)
		}
	}
	progs, err := Discover(testshared.Path(t, "bench", "sightglass"))
	if err != nil {
		t.Fatal(err)
	}
	progs = progs[:1]
	stubbed, err := StubPrograms(progs, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(stubbed[0].Wasm)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer rt.Close(ctx)
	c, err := rt.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range c.Imports() {
		if imp.Module != "wasi_snapshot_preview1" {
			t.Errorf("%s still imports %s.%s", stubbed[0].Name, imp.Module, imp.Name)
		}
	}
	if stubbed[0].Dir != progs[0].Dir || stubbed[0].Name != progs[0].Name {
		t.Errorf("stubbing changed the program's name or directory: %+v", stubbed[0])
	}
}
