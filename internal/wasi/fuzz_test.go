package wasi

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

const (
	fuzzMemSize = 4096
	fuzzGuard   = 256
	fuzzCalls   = 16
)

// fuzzPaths are placed at known offsets of the fuzzed memory, so that
// pointer arguments often name something interesting.
var fuzzPaths = []string{"file", "dir", "dir/sub", "..", "../outside/sentinel", "rel/sentinel",
	"abs/sentinel", "link", ".", "new", "dir/../file", "/abs", "loop", "mem/x", "rel", "abs",
	"dlink/", "a/b/c", "dir/sub/../../..", "mem", "dlink/sub/new"}

// fuzzArgs decodes the arguments of one call from data. Each argument
// starts with a mode byte: a small integer, a pointer into the memory,
// a raw value, the offset of one of fuzzPaths, or the length of the
// path last chosen.
type fuzzArgs struct {
	data    []byte
	offsets []uint32
	lastLen uint64
}

func (a *fuzzArgs) byte() byte {
	if len(a.data) == 0 {
		return 0
	}
	b := a.data[0]
	a.data = a.data[1:]
	return b
}

func (a *fuzzArgs) bytes(n int) uint64 {
	var v uint64
	for i := range n {
		v |= uint64(a.byte()) << (8 * i)
	}
	return v
}

func (a *fuzzArgs) value(wide bool) uint64 {
	switch a.byte() % 5 {
	case 0:
		return uint64(a.byte())
	case 1:
		return a.bytes(2) % (fuzzMemSize + 16)
	case 2:
		if wide {
			return a.bytes(8)
		}
		return a.bytes(4)
	case 3:
		i := int(a.byte()) % len(fuzzPaths)
		a.lastLen = uint64(len(fuzzPaths[i]))
		return uint64(a.offsets[i])
	default:
		return a.lastLen
	}
}

// FuzzSyscalls calls random functions with random arguments on a small
// memory and a host directory with links that point out of it. No call
// may panic, write outside the guest memory, or touch the sentinel tree
// beside the mapped directory.
func FuzzSyscalls(f *testing.F) {
	seed := func(calls ...[]byte) []byte { return []byte(strings.Join(bytesToStrings(calls), "")) }
	call := func(name string, args ...byte) []byte {
		for i := range Functions {
			if Functions[i].Name == name {
				return append([]byte{byte(i)}, args...)
			}
		}
		panic(name)
	}
	ref := func(i byte) []byte { return []byte{3, i, 4} } // path i: offset, then its length
	f.Add(seed(call("path_open", append(append([]byte{0, 3, 0, 1}, ref(0)...), 0, 1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x10, 0)...)))
	f.Add(seed(call("path_unlink_file", append([]byte{0, 3}, ref(5)...)...)))
	f.Add(seed(call("path_rename", append(append([]byte{0, 3}, ref(6)...), append([]byte{0, 3}, ref(9)...)...)...)))
	f.Add(seed(call("fd_readdir", 0, 3, 1, 0x20, 0, 0, 200, 0, 0, 1, 0, 0)))
	f.Add(seed(call("poll_oneoff", 1, 0, 0, 1, 0, 1, 0, 1, 1, 0)))
	f.Add(seed(call("path_symlink", append(ref(4), append([]byte{0, 3}, ref(9)...)...)...)))
	f.Add(seed(call("fd_write", 0, 1, 1, 0x40, 0, 0, 2, 1, 0x10, 0)))

	top := f.TempDir()
	mapped, outside := filepath.Join(top, "mapped"), filepath.Join(top, "outside")
	if err := os.MkdirAll(filepath.Join(outside, "inner"), 0o755); err != nil {
		f.Fatal(err)
	}
	sentinel := filepath.Join(outside, "sentinel")
	if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
		f.Fatal(err)
	}
	sentinelBefore := snapshotTree(f, outside)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer l.Close()

	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.RemoveAll(mapped); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"dir/sub"} {
			if err := os.MkdirAll(filepath.Join(mapped, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(mapped, "file"), []byte("file data"), 0o644); err != nil {
			t.Fatal(err)
		}
		for name, target := range map[string]string{"rel": "../outside", "abs": outside, "link": "file",
			"loop": "loop", "dlink": "dir", "outfile": sentinel} {
			if err := os.Symlink(target, filepath.Join(mapped, name)); err != nil {
				t.Fatal(err)
			}
		}
		h, err := hostfs.New(mapped, hostfs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		ns := fs.NewNamespace()
		ns.Mount("/", h)
		ns.Mount("/mem", memfs.New(memfs.Options{MaxBytes: 1 << 20}))
		sub, err := hostfs.New(filepath.Join(mapped, "dir"), hostfs.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		dotNS := fs.NewNamespace()
		dotNS.Mount("/", sub)
		k, err := New(Config{
			Args:   []string{"prog", "arg"},
			Env:    []string{"A=B"},
			Stdin:  strings.NewReader("standard input"),
			Stdout: io.Discard,
			Preopens: []Preopen{
				{Name: "/", NS: ns, Path: "/"},
				{Name: ".", NS: dotNS, Path: "/"},
				{Listener: l.(*net.TCPListener)},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()

		backing := make([]byte, fuzzGuard+fuzzMemSize+fuzzGuard)
		for i := range backing {
			backing[i] = 0xa5
		}
		mem := backing[fuzzGuard : fuzzGuard+fuzzMemSize]
		clear(mem)
		args := &fuzzArgs{data: data}
		off := uint32(64)
		for _, p := range fuzzPaths {
			args.offsets = append(args.offsets, off)
			off += uint32(copy(mem[off:], p)) + 1
		}
		for range fuzzCalls {
			if len(args.data) == 0 {
				break
			}
			fn := &Functions[int(args.byte())%len(Functions)]
			stack := make([]uint64, max(len(fn.Type.Params), 1))
			for i, t := range fn.Type.Params {
				stack[i] = args.value(t == wasm.ValueTypeI64)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
			err := fn.Call(ctx, k, mem, stack)
			cancel()
			var exit *ExitError
			if err != nil && !errors.As(err, &exit) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s: %v", fn.Name, err)
			}
			for i, b := range backing {
				if (i < fuzzGuard || i >= fuzzGuard+fuzzMemSize) && b != 0xa5 {
					t.Fatalf("%s wrote outside the guest memory at %d", fn.Name, i-fuzzGuard)
				}
			}
		}
		if got := snapshotTree(t, outside); got != sentinelBefore {
			t.Fatalf("the tree outside the mapped directory changed:\n%s\nwas:\n%s", got, sentinelBefore)
		}
		entries, _ := os.ReadDir(top)
		if len(entries) != 2 {
			t.Fatalf("files appeared beside the mapped directory: %v", entries)
		}
	})
}

func bytesToStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = string(x)
	}
	return out
}

// snapshotTree describes every file under dir: path, mode, size, times
// and contents.
func snapshotTree(t testing.TB, dir string) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		sb.WriteString(p + " " + info.Mode().String() + " " + info.ModTime().String())
		if info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			sb.WriteString(" " + string(data))
		}
		sb.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}
