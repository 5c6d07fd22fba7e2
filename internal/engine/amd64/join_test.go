package amd64

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// TestJoin_sameCode: a module large enough for every CPU to translate
// pieces of it (join.go) gets the same code and tables every time,
// whatever order the workers finish in; with -race it also checks that
// the workers share nothing they write.
func TestJoin_sameCode(t *testing.T) {
	for _, name := range []string{"regex", "pulldown-cmark"} {
		t.Run(name, func(t *testing.T) {
			m := largeModule(t, name)
			first, funcs, slow, err := generate(InProcess, m)
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				again, funcs2, slow2, err := generate(InProcess, m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(first.b, again.b) || !reflect.DeepEqual(funcs, funcs2) || !reflect.DeepEqual(slow, slow2) {
					t.Fatal("two translations of the module differ")
				}
			}
		})
	}
}

// TestJoin_chunksReused: with chunks small enough that workers reuse
// each many times, and cut pieces from one while others are still being
// placed, the code is the one made with a chunk for every worker alone.
func TestJoin_chunksReused(t *testing.T) {
	m := largeModule(t, "pulldown-cmark")
	want, _, _, err := generate(InProcess, m)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { pieceChunk = n }(pieceChunk)
	pieceChunk = 64 << 10
	for range 3 {
		got, _, _, err := generate(InProcess, m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.b, got.b) {
			t.Fatal("the code made in reused chunks differs")
		}
	}
}

// largeModule returns the sightglass program name, whose functions are
// enough for every worker.
func largeModule(t *testing.T, name string) *wasm.Module {
	t.Helper()
	data, err := os.ReadFile(testshared.Path(t, "bench", "sightglass", name, "benchmark.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := binary.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Codes) < 256 {
		t.Fatalf("%d functions: too few to spread over workers", len(m.Codes))
	}
	return m
}

// TestJoin_failure: a function that fails to translate fails the whole,
// with its error, even while every other worker waits for it to be
// placed (no code may go ahead of it), and no worker is left behind.
func TestJoin_failure(t *testing.T) {
	m := largeModule(t, "regex")
	defer func(n, ahead int) { joinWorkers, maxAhead, pieceDone = n, ahead, nil }(joinWorkers, maxAhead)
	joinWorkers, maxAhead = 4, 0
	failed := errors.New("this function fails")
	for _, fail := range []int{0, 100, len(m.Codes) - 1} {
		pieceDone = func(i int) error {
			if i == fail {
				time.Sleep(10 * time.Millisecond) // the others go ahead, and wait
				return failed
			}
			return nil
		}
		before := runtime.NumGoroutine()
		done := make(chan error, 1)
		go func() {
			_, _, _, err := generate(InProcess, m)
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, failed) {
				t.Errorf("failing function %d: %v, want %v", fail, err, failed)
			}
		case <-time.After(time.Minute):
			t.Fatalf("failing function %d: generate still runs after a minute", fail)
		}
		for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("failing function %d: %d goroutines, %d before", fail, runtime.NumGoroutine(), before)
			}
		}
	}
}

// TestSharedExitIndex checks that every shared exit is found at its
// place in sharedExitKeys, and that other exits have no stub.
func TestSharedExitIndex(t *testing.T) {
	if len(sharedExitKeys) != numSharedExits {
		t.Fatalf("%d shared exits, numSharedExits is %d", len(sharedExitKeys), numSharedExits)
	}
	for k, e := range sharedExitKeys {
		if got := sharedExitIndex(e[0], e[1]); got != k {
			t.Errorf("exit %d with argument %d: index %d, want %d", e[0], e[1], got, k)
		}
	}
	for _, e := range [][2]uint32{{exitTrap, 0}, {exitTrap, uint32(api.TrapInternal) + 1}, {exitInterrupt, 1}, {exitCall, 1}, {exitReturn, 0}} {
		if got := sharedExitIndex(e[0], e[1]); got != -1 {
			t.Errorf("exit %d with argument %d: index %d, want none", e[0], e[1], got)
		}
	}
}
