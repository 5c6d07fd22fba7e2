package wasi

import (
	"encoding/binary"
	"syscall"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

func TestMemory_Slice(t *testing.T) {
	// A memory whose slice has spare capacity: access must stop at its
	// length, never reach the capacity behind it.
	backing := make([]byte, 32)
	m := Memory(backing[:16])
	tests := []struct {
		ptr, n uint32
		ok     bool
	}{
		{0, 16, true}, {16, 0, true}, {15, 1, true}, {16, 1, false}, {10, 7, false},
		{0xffff_ffff, 2, false}, {1, 0xffff_ffff, false}, {17, 0, false},
	}
	for _, tt := range tests {
		b, ok := m.Slice(tt.ptr, tt.n)
		if ok != tt.ok || (ok && (len(b) != int(tt.n) || cap(b) != int(tt.n))) {
			t.Errorf("Slice(%d, %d): len %d cap %d ok %v", tt.ptr, tt.n, len(b), cap(b), ok)
		}
	}
	if m.PutUint64(12, 1) || m.PutUint32(13, 1) {
		t.Error("a write across the end succeeded")
	}
	if _, ok := m.Uint16(15); ok {
		t.Error("a read across the end succeeded")
	}
	for _, b := range backing[16:] {
		if b != 0 {
			t.Fatal("wrote past the end of the memory")
		}
	}
}

func TestMemory_Iovecs(t *testing.T) {
	m := make(Memory, 256)
	put := func(i int, ptr, n uint32) {
		binary.LittleEndian.PutUint32(m[8*i:], ptr)
		binary.LittleEndian.PutUint32(m[8*i+4:], n)
	}
	put(0, 100, 10)
	put(1, 246, 10)
	bufs, errno := m.iovecs(nil, 0, 2)
	if errno != ESUCCESS || len(bufs) != 2 || len(bufs[1]) != 10 {
		t.Fatalf("iovecs: %v %v", bufs, errno)
	}
	put(1, 247, 10)
	if _, errno := m.iovecs(nil, 0, 2); errno != EFAULT {
		t.Errorf("buffer past the end: %v", errno)
	}
	if _, errno := m.iovecs(nil, 250, 1); errno != EFAULT {
		t.Errorf("array past the end: %v", errno)
	}
	if _, errno := m.iovecs(nil, 0, maxIovecs+1); errno != EINVAL {
		t.Errorf("too many: %v", errno)
	}
}

func TestErrnoOf(t *testing.T) {
	tests := []struct {
		err  error
		want Errno
	}{
		{nil, ESUCCESS},
		{syscall.ENOENT, ENOENT},
		{syscall.EOPNOTSUPP, ENOTSUP},
		{fs.ErrNotCapable, ENOTCAPABLE},
		{EISDIR, EISDIR},
		{syscall.Errno(0x7fff), EIO},
	}
	for _, tt := range tests {
		if got := errnoOf(tt.err); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.err, got, tt.want)
		}
	}
}
