package wasip1_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

func newRuntime(t *testing.T) (context.Context, *wasmvisor.Runtime) {
	t.Helper()
	ctx := context.Background()
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	t.Cleanup(func() { r.Close(ctx) })
	if _, err := wasip1.Instantiate(ctx, r); err != nil {
		t.Fatal(err)
	}
	return ctx, r
}

func compile(t *testing.T, ctx context.Context, r *wasmvisor.Runtime, bin []byte) *wasmvisor.CompiledModule {
	t.Helper()
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func catWasm(t *testing.T) []byte {
	t.Helper()
	bin, err := os.ReadFile("testdata/cat.wasm")
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// readStdin is a command whose _start reads up to 100 bytes of standard
// input into memory and returns.
func readStdin() []byte {
	i32 := wasm.ValueTypeI32
	m := &wasm.Module{
		Types:    []wasm.FuncType{{Params: []wasm.ValueType{i32, i32, i32, i32}, Results: []wasm.ValueType{i32}}, {}},
		Imports:  []wasm.Import{{Module: wasip1.ModuleName, Name: "fd_read", Kind: wasm.ExternFunc, Func: 0}},
		Funcs:    []uint32{1},
		Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1}}},
		Exports:  []wasm.Export{{Name: "_start", Kind: wasm.ExternFunc, Index: 1}, {Name: "memory", Kind: wasm.ExternMemory}},
		Codes: []wasm.Code{{Body: []byte{
			0x41, 16, 0x41, 0x80, 0x02, 0x36, 0x02, 0x00, // i32.store [16] = 256
			0x41, 20, 0x41, 0xe4, 0x00, 0x36, 0x02, 0x00, // i32.store [20] = 100
			0x41, 0, 0x41, 16, 0x41, 1, 0x41, 8, 0x10, 0x00, 0x1a, // drop(fd_read(0, 16, 1, 8))
			0x0b,
		}}},
	}
	m.IndexImports()
	return binary.Encode(m)
}

func TestInstantiate_twice(t *testing.T) {
	ctx, r := newRuntime(t)
	if _, err := wasip1.Instantiate(ctx, r); err == nil || !strings.Contains(err.Error(), "already instantiated") {
		t.Fatalf("second Instantiate: %v, want an error saying the module exists", err)
	}
}

// TestInstantiate_kernelPerModule runs instances of one compiled program
// at the same time, each with its own arguments and output.
func TestInstantiate_kernelPerModule(t *testing.T) {
	ctx, r := newRuntime(t)
	compiled := compile(t, ctx, r, catWasm(t))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			args := []string{"cat"}
			for range i {
				args = append(args, "greeting.txt")
			}
			var out bytes.Buffer
			mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
				Args:           args,
				Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/", ReadOnly: true}},
				Stdout:         &out,
				StartFunctions: []string{"_start"},
			})
			if err != nil {
				t.Errorf("instance %d: %v", i, err)
				return
			}
			defer mod.Close(ctx)
			if want := strings.Repeat("hello from the host\n", i); out.String() != want {
				t.Errorf("instance %d printed %q, want %q", i, out.String(), want)
			}
		})
	}
	wg.Wait()
}

// fakeListener is a net.Listener without a host descriptor.
type fakeListener struct{ net.Listener }

func TestInstantiate_badConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  wasmvisor.ModuleConfig
		want string
	}{
		{"missing directory", wasmvisor.ModuleConfig{Dirs: []wasmvisor.DirMount{{Host: "testdata/missing", Guest: "/"}}}, "testdata/missing"},
		{"directory is a file", wasmvisor.ModuleConfig{Dirs: []wasmvisor.DirMount{{Host: "testdata/greeting.txt", Guest: "/"}}}, "greeting.txt"},
		{"two directories at one path", wasmvisor.ModuleConfig{Dirs: []wasmvisor.DirMount{{Host: "testdata", Guest: "/"}, {Host: ".", Guest: "/"}}}, "already in use"},
		{"listener without descriptor", wasmvisor.ModuleConfig{Listeners: []net.Listener{fakeListener{}}}, "no host descriptor"},
		{"NUL in an argument", wasmvisor.ModuleConfig{Args: []string{"cat", "a\x00b"}}, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, r := newRuntime(t)
			compiled := compile(t, ctx, r, catWasm(t))
			tt.cfg.Name = "prog"
			tt.cfg.StartFunctions = []string{"_start"}
			_, err := r.InstantiateModule(ctx, compiled, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), wasip1.ModuleName) {
				t.Fatalf("got %v, want an error from %s mentioning %q", err, wasip1.ModuleName, tt.want)
			}
			if r.Module("prog") != nil {
				t.Fatal("a module whose WASI environment failed was registered")
			}
			// The runtime is still usable, and so is the name.
			tt.cfg.Args, tt.cfg.Dirs, tt.cfg.Listeners = []string{"cat"}, nil, nil
			if _, err := r.InstantiateModule(ctx, compiled, tt.cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInstantiate_listenersFirst checks the descriptor order: a listener
// takes descriptor 3, so the program's path_open on 3 fails (exit 1).
func TestInstantiate_listenersFirst(t *testing.T) {
	ctx, r := newRuntime(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	compiled := compile(t, ctx, r, catWasm(t))
	for _, tt := range []struct {
		name      string
		listeners []net.Listener
		code      uint32
	}{{"directory at 3", nil, 0}, {"listener at 3", []net.Listener{l}, 1}} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
				Args:           []string{"cat", "greeting.txt"},
				Listeners:      tt.listeners,
				Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/"}},
				StartFunctions: []string{"_start"},
			})
			var code uint32
			if exit, ok := errors.AsType[*api.ExitError](err); ok {
				code = exit.Code
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code {
				t.Fatalf("exit code %d, want %d", code, tt.code)
			}
		})
	}
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

// TestInstantiate_closeReleases checks that closing a module (or the
// runtime) closes its kernel: its directories and its listener duplicate.
func TestInstantiate_closeReleases(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := wasmvisor.ModuleConfig{
		Listeners: []net.Listener{l},
		Dirs:      []wasmvisor.DirMount{{Host: "testdata", Guest: "/"}, {Host: ".", Guest: "."}},
	}
	for _, closeRuntime := range []bool{false, true} {
		t.Run(fmt.Sprint("closeRuntime=", closeRuntime), func(t *testing.T) {
			before := openFDs(t)
			ctx := context.Background()
			r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
			defer r.Close(ctx)
			wasip1.MustInstantiate(ctx, r)
			compiled := compile(t, ctx, r, catWasm(t))
			var mods []api.Module
			for range 10 {
				mod, err := r.InstantiateModule(ctx, compiled, cfg)
				if err != nil {
					t.Fatal(err)
				}
				mods = append(mods, mod)
			}
			if n := openFDs(t); n < before+10*3 {
				t.Fatalf("%d descriptors open with 10 programs, %d before: kernels do not hold what they were given", n, before)
			}
			if closeRuntime {
				r.Close(ctx)
			} else {
				for _, m := range mods {
					if err := m.Close(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			if n := openFDs(t); n != before {
				t.Fatalf("%d descriptors open after closing, %d before", n, before)
			}
		})
	}
}

// TestInstantiate_timeoutWhileBlocked checks that a deadline stops a
// program blocked in a WASI call with the same trap as a running one.
func TestInstantiate_timeoutWhileBlocked(t *testing.T) {
	ctx, r := newRuntime(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	compiled := compile(t, ctx, r, readStdin())
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{Stdin: pr, StartFunctions: []string{"_start"}})
	trap, ok := errors.AsType[*api.Trap](err)
	if !ok || trap.Kind != api.TrapTimeout || !strings.Contains(trap.Detail, "fd_read") {
		t.Fatalf("got %v, want a timeout trap during fd_read", err)
	}
	if len(trap.Frames) == 0 || trap.Frames[len(trap.Frames)-1].FuncIndex != 1 {
		t.Fatalf("backtrace %v does not reach _start", trap.Frames)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v to stop", d)
	}
}

// TestInstantiate_noWASIImports checks that modules that do not import
// WASI get no kernel, and that their instantiation is unaffected.
func TestInstantiate_noWASIImports(t *testing.T) {
	ctx, r := newRuntime(t)
	bin := binary.Encode(&wasm.Module{Types: []wasm.FuncType{{}}, Funcs: []uint32{0},
		Exports: []wasm.Export{{Name: "_start", Kind: wasm.ExternFunc}},
		Codes:   []wasm.Code{{Body: []byte{0x0b}}}})
	// A directory that does not exist would fail a kernel's creation.
	mod, err := r.InstantiateModule(ctx, compile(t, ctx, r, bin), wasmvisor.ModuleConfig{
		Dirs:           []wasmvisor.DirMount{{Host: "testdata/missing"}},
		StartFunctions: []string{"_start"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := wasmvisor.InstanceState(mod, wasip1.ModuleName); st != nil {
		t.Fatalf("state %v for a module without WASI imports", st)
	}
}

// TestInstantiate_close checks what closing the WASI module does: its
// name is free again, and programs already linked to it keep working.
func TestInstantiate_close(t *testing.T) {
	ctx, r := newRuntime(t)
	compiled := compile(t, ctx, r, catWasm(t))
	var out bytes.Buffer
	mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
		Args:   []string{"cat", "greeting.txt"},
		Dirs:   []wasmvisor.DirMount{{Host: "testdata", Guest: "/"}},
		Stdout: &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Module(wasip1.ModuleName).Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mod.ExportedFunction("_start").Call(ctx); err != nil || out.String() != "hello from the host\n" {
		t.Fatalf("linked program after Close: %v, printed %q", err, out.String())
	}
	if _, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{}); err == nil || !strings.Contains(err.Error(), "unknown import") {
		t.Fatalf("new program after Close: %v, want an unknown import", err)
	}
	if _, err := wasip1.Instantiate(ctx, r); err != nil {
		t.Fatalf("instantiating again: %v", err)
	}
}
