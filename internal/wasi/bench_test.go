package wasi

import (
	"os"
	"path/filepath"
	"testing"
)

func BenchmarkPathFilestatGet(b *testing.B) {
	for _, path := range []string{"f", "a/b/c/d/e/f"} {
		b.Run(path, func(b *testing.B) {
			e, dir := newHostEnv(&testing.T{})
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, path), nil, 0o644); err != nil {
				b.Fatal(err)
			}
			p, n := e.path(pathPtr, path)
			f := Lookup("path_filestat_get")
			stack := make([]uint64, 5)
			for b.Loop() {
				stack[0], stack[1], stack[2], stack[3], stack[4] = rootFD, 0, p, n, resultPtr
				if f.Call(e.ctx, e.k, e.mem, stack); Errno(stack[0]) != ESUCCESS {
					b.Fatal(Errno(stack[0]))
				}
			}
		})
	}
}

func BenchmarkFdReadWrite(b *testing.B) {
	e, _ := newHostEnv(&testing.T{})
	fd := uint64(e.open(rootFD, "f", OflagCreat, rwRights, 0))
	iovs, n := e.iovecs(4096)
	for _, name := range []string{"fd_pwrite", "fd_pread"} {
		b.Run(name, func(b *testing.B) {
			f := Lookup(name)
			stack := make([]uint64, 5)
			b.SetBytes(4096)
			for b.Loop() {
				stack[0], stack[1], stack[2], stack[3], stack[4] = fd, iovs, n, 0, resultPtr
				if f.Call(e.ctx, e.k, e.mem, stack); Errno(stack[0]) != ESUCCESS {
					b.Fatal(Errno(stack[0]))
				}
			}
		})
	}
}
