package validate

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestOptions_Set(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, o *Options)
	}{
		{"memory size in bytes", []string{"max-memory-size=131072"}, func(t *testing.T, o *Options) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 2 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"memory size with suffix", []string{"max-memory-size=4MiB"}, func(t *testing.T, o *Options) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 64 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"memory size rounds down to pages", []string{"max-memory-size=100000"}, func(t *testing.T, o *Options) {
			if n, _ := o.Policy.MaxMemoryPages.Value(); n != 1 {
				t.Fatalf("pages %d", n)
			}
		}},
		{"unlimited", []string{"max-memory-size=unlimited"}, func(t *testing.T, o *Options) {
			if _, ok := o.Policy.MaxMemoryPages.Value(); ok {
				t.Fatal("still limited")
			}
		}},
		{"sizes", []string{"max-module-size=1GiB", "max-function-size=64k", "max-data-segment-size=2M", "max-wasm-stack=512KiB"},
			func(t *testing.T, o *Options) {
				mod, _ := o.Policy.MaxModuleSize.Value()
				fn, _ := o.Policy.MaxFunctionSize.Value()
				data, _ := o.Policy.MaxDataSegmentSize.Value()
				if mod != 1<<30 || fn != 64<<10 || data != 2<<20 || o.MaxWasmStack != 512<<10 {
					t.Fatalf("%d %d %d %d", mod, fn, data, o.MaxWasmStack)
				}
			}},
		{"counts, comma separated", []string{"max-tables=2,max-memories=1,max-functions=10", "max-globals=3", "max-locals=4",
			"max-imports=5", "max-elem-segment-size=6", "max-table-elements=7", "max-instances=8"}, func(t *testing.T, o *Options) {
			got := []Limit{o.Policy.MaxTables, o.Policy.MaxMemories, o.Policy.MaxFunctions, o.Policy.MaxGlobals,
				o.Policy.MaxLocals, o.Policy.MaxImports, o.Policy.MaxElemSegmentSize, o.Policy.MaxTableElements, o.MaxInstances}
			want := []uint64{2, 1, 10, 3, 4, 5, 6, 7, 8}
			for i, l := range got {
				if n, ok := l.Value(); !ok || n != want[i] {
					t.Fatalf("limit %d: %d %v, want %d", i, n, ok, want[i])
				}
			}
		}},
		{"timeout", []string{"timeout=1m30s"}, func(t *testing.T, o *Options) {
			if o.Timeout != 90*time.Second {
				t.Fatal(o.Timeout)
			}
		}},
		{"timeout in seconds", []string{"timeout=10"}, func(t *testing.T, o *Options) {
			if o.Timeout != 10*time.Second {
				t.Fatal(o.Timeout)
			}
		}},
		{"features", []string{"simd=n", "bulk-memory=no", "reference-types=false", "multi-value=0", "sign-extension=n",
			"saturating-float-to-int=off", "mutable-globals=n", "simd"}, func(t *testing.T, o *Options) {
			if o.Policy.Disabled != AllFeatures&^SIMD {
				t.Fatalf("disabled %v", o.Policy.Disabled)
			}
		}},
		{"imports", []string{"allow-import=wasi_snapshot_preview1.*", "allow-import=env.f", "deny-import=*.proc_exit"},
			func(t *testing.T, o *Options) {
				if strings.Join(o.Policy.AllowImports, " ") != "wasi_snapshot_preview1.* env.f" ||
					strings.Join(o.Policy.DenyImports, " ") != "*.proc_exit" {
					t.Fatalf("%q %q", o.Policy.AllowImports, o.Policy.DenyImports)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			for _, a := range tt.args {
				if err := o.Set(a); err != nil {
					t.Fatal(err)
				}
			}
			tt.check(t, o)
		})
	}
}

func TestOptions_SetErrors(t *testing.T) {
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
			err := NewOptions().Set(tt.arg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "valid keys: ") || !strings.Contains(err.Error(), "deny-import") {
				t.Fatalf("error does not list the valid keys: %v", err)
			}
		})
	}
}

func TestOptions_String(t *testing.T) {
	o := &Options{}
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

// Options is a flag.Value, so a command registers it as its -W flag.
func TestOptions_FlagValue(t *testing.T) {
	o := NewOptions()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(o, "W", "policy and limits")
	if err := fs.Parse([]string{"-W", "max-tables=3", "-W", "simd=n", "file.wasm"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := o.Policy.MaxTables.Value(); n != 3 || o.Policy.Enabled(SIMD) || fs.Arg(0) != "file.wasm" {
		t.Fatalf("got %v", o)
	}
	if err := fs.Parse([]string{"-W", "nope=1"}); err == nil {
		t.Fatal("unknown key accepted")
	}
}
