package launch

import (
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
)

func TestLimits_Set(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o *Limits)
	}{
		{"memory size in bytes", []string{"max-memory-size=131072"}, func(t *testing.T, o *Limits) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 2 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"memory size with suffix", []string{"max-memory-size=4MiB"}, func(t *testing.T, o *Limits) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 64 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"memory size rounds down to pages", []string{"max-memory-size=100000"}, func(t *testing.T, o *Limits) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 1 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"unlimited", []string{"max-memory-size=unlimited"}, func(t *testing.T, o *Limits) {
			if _, ok := o.Policy.MaxMemoryPages.Value(); ok {
				t.Fatal("still limited")
			}
		}},
		{"sizes", []string{"max-module-size=1GiB", "max-function-size=64k", "max-data-segment-size=2M", "max-wasm-stack=512KiB"},
			func(t *testing.T, o *Limits) {
				mod, _ := o.Policy.MaxModuleSize.Value()
				fn, _ := o.Policy.MaxFunctionSize.Value()
				data, _ := o.Policy.MaxDataSegmentSize.Value()
				if mod != 1<<30 || fn != 64<<10 || data != 2<<20 || o.MaxWasmStack != 512<<10 {
					t.Fatalf("%d %d %d %d", mod, fn, data, o.MaxWasmStack)
				}
			}},
		{"counts, comma separated", []string{"max-tables=2,max-memories=1,max-functions=10", "max-globals=3", "max-locals=4",
			"max-imports=5", "max-elem-segment-size=6", "max-table-elements=7", "max-instances=8"}, func(t *testing.T, o *Limits) {
			got := []wasmvisor.Limit{o.Policy.MaxTables, o.Policy.MaxMemories, o.Policy.MaxFunctions, o.Policy.MaxGlobals,
				o.Policy.MaxLocals, o.Policy.MaxImports, o.Policy.MaxElemSegmentSize, o.Policy.MaxTableElements, o.MaxInstances}
			want := []uint64{2, 1, 10, 3, 4, 5, 6, 7, 8}
			for i, l := range got {
				if n, ok := l.Value(); !ok || n != want[i] {
					t.Fatalf("limit %d: %d %v, want %d", i, n, ok, want[i])
				}
			}
		}},
		{"timeout", []string{"timeout=1m30s"}, func(t *testing.T, o *Limits) {
			if o.Timeout != 90*time.Second {
				t.Fatal(o.Timeout)
			}
		}},
		{"timeout in seconds", []string{"timeout=10"}, func(t *testing.T, o *Limits) {
			if o.Timeout != 10*time.Second {
				t.Fatal(o.Timeout)
			}
		}},
		{"features", []string{"simd=n", "bulk-memory=no", "reference-types=false", "multi-value=0", "sign-extension=n",
			"saturating-float-to-int=off", "mutable-globals=n", "simd"}, func(t *testing.T, o *Limits) {
			if o.Policy.Disabled != wasmvisor.AllFeatures&^wasmvisor.FeatureSIMD {
				t.Fatalf("disabled %v", o.Policy.Disabled)
			}
		}},
		{"imports", []string{"allow-import=wasi_snapshot_preview1.*", "allow-import=env.f", "deny-import=*.proc_exit"},
			func(t *testing.T, o *Limits) {
				if strings.Join(o.Policy.AllowImports, " ") != "wasi_snapshot_preview1.* env.f" ||
					strings.Join(o.Policy.DenyImports, " ") != "*.proc_exit" {
					t.Fatalf("%q %q", o.Policy.AllowImports, o.Policy.DenyImports)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewLimits()
			for _, a := range tt.args {
				if err := o.Set(a); err != nil {
					t.Fatal(err)
				}
			}
			tt.check(t, o)
		})
	}
}

func TestLimits_SetErrors(t *testing.T) {
	tests := []struct {
		arg, want string
	}{
		{"max-memroy-size=1", `-W max-memroy-size=1: unknown key "max-memroy-size"; valid keys: max-memory-size, `},
		{"max-memory-size=lots", `invalid size "lots"`},
		{"max-memory-size=99999999999999999999", "invalid size"},
		{"max-memory-size=17179869184TiB", "invalid size"},
		{"max-tables=-1", `invalid count "-1"`},
		{"max-tables=1KiB", `invalid count`},
		{"max-tables", "missing value"},
		{"max-tables=", "empty value"},
		{"simd=maybe", `invalid switch "maybe"`},
		{"timeout=soon", `invalid duration "soon"`},
		{"timeout=-1s", `invalid duration`},
		{"allow-import=", "empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			err := NewLimits().Set(tt.arg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "valid keys: ") || !strings.Contains(err.Error(), "deny-import") {
				t.Fatalf("error does not list the valid keys: %v", err)
			}
		})
	}
}

func TestLimits_String(t *testing.T) {
	o := &Limits{}
	for _, a := range []string{"max-memory-size=64KiB", "simd=n", "allow-import=a.*", "allow-import=b.c", "timeout=2s"} {
		if err := o.Set(a); err != nil {
			t.Fatal(err)
		}
	}
	const want = "max-memory-size=65536,allow-import=a.*,b.c,timeout=2s,simd=n,bulk-memory=y,reference-types=y," +
		"multi-value=y,sign-extension=y,saturating-float-to-int=y,mutable-globals=y"
	if got := o.String(); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Limits is a flag.Value, so a command registers it as its -W flag.
func TestLimits_FlagValue(t *testing.T) {
	o := NewLimits()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(o, "W", "policy and limits")
	if err := fs.Parse([]string{"-W", "max-tables=3", "-W", "simd=n", "file.wasm"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := o.Policy.MaxTables.Value(); n != 3 || o.Policy.Disabled&wasmvisor.FeatureSIMD == 0 || fs.Arg(0) != "file.wasm" {
		t.Fatalf("got %v", o)
	}
	if err := fs.Parse([]string{"-W", "nope=1"}); err == nil {
		t.Fatal("unknown key accepted")
	}
}

// TestLimits_keysMatchPolicyErrors checks that the key a PolicyError
// names, and the setting it shows, are those of the -W key that set the
// limit: the validator and this parser spell the keys separately.
func TestLimits_keysMatchPolicyErrors(t *testing.T) {
	const header = "\x00asm\x01\x00\x00\x00"
	mem4 := []byte(header + "\x05\x03\x01\x00\x04")                                         // (memory 4)
	imp := []byte(header + "\x01\x04\x01\x60\x00\x00" + "\x02\x09\x01\x03env\x01f\x00\x00") // (import "env" "f" (func))
	tests := []struct {
		set string
		bin []byte
	}{
		{"max-memory-size=64KiB", mem4},
		{"max-memories=0", mem4},
		{"max-module-size=8", mem4},
		{"max-imports=0", imp},
		{"max-functions=0", imp},
		{"allow-import=wasi.*", imp},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.set, func(t *testing.T) {
			l := NewLimits()
			if err := l.Set(tt.set); err != nil {
				t.Fatal(err)
			}
			r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: &l.Policy, Tier: wasmvisor.TierInterp})
			defer r.Close(ctx)
			_, err := r.CompileModule(ctx, tt.bin)
			var pe *wasmvisor.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a PolicyError", err)
			}
			key, _, _ := strings.Cut(tt.set, "=")
			setting, ok := strings.CutPrefix(pe.Flag, "-W ")
			if !ok || !strings.HasPrefix(setting, key+"=") || !strings.Contains(","+l.String()+",", ","+setting+",") {
				t.Fatalf("PolicyError names %q; the limit was set as %q and shows as %q", pe.Flag, tt.set, l.String())
			}
		})
	}
}
