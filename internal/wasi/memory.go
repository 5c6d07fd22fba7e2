package wasi

import (
	"encoding/binary"
	"unicode/utf8"
)

// Memory is a guest's linear memory as the kernel sees it during one
// call: the engine passes the memory's bytes, which must not move or
// shrink until the call returns. Every access is bounds-checked; a guest
// pointer is a uint32 offset. Unaligned pointers are accepted, since
// nothing here depends on alignment.
type Memory []byte

// Slice returns the n bytes at ptr, or false if any lies outside m.
func (m Memory) Slice(ptr, n uint32) ([]byte, bool) {
	end := uint64(ptr) + uint64(n)
	if end > uint64(len(m)) {
		return nil, false
	}
	return m[ptr:end:end], true
}

// Uint16 reads a little-endian uint16 at ptr.
func (m Memory) Uint16(ptr uint32) (uint16, bool) {
	b, ok := m.Slice(ptr, 2)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b), true
}

// Uint32 reads a little-endian uint32 at ptr.
func (m Memory) Uint32(ptr uint32) (uint32, bool) {
	b, ok := m.Slice(ptr, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

// Uint64 reads a little-endian uint64 at ptr.
func (m Memory) Uint64(ptr uint32) (uint64, bool) {
	b, ok := m.Slice(ptr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

// PutUint32 writes v at ptr.
func (m Memory) PutUint32(ptr, v uint32) bool {
	b, ok := m.Slice(ptr, 4)
	if ok {
		binary.LittleEndian.PutUint32(b, v)
	}
	return ok
}

// PutUint64 writes v at ptr.
func (m Memory) PutUint64(ptr uint32, v uint64) bool {
	b, ok := m.Slice(ptr, 8)
	if ok {
		binary.LittleEndian.PutUint64(b, v)
	}
	return ok
}

// path reads the path argument of n bytes at ptr: EFAULT if it is out of
// bounds, EILSEQ if it is not UTF-8 (witx strings are), ENAMETOOLONG if
// it is longer than any path the kernel accepts.
func (m Memory) path(ptr, n uint32) (string, Errno) {
	b, ok := m.Slice(ptr, n)
	switch {
	case !ok:
		return "", EFAULT
	case n > maxPathArg:
		return "", ENAMETOOLONG
	case !utf8.Valid(b):
		return "", EILSEQ
	}
	return string(b), ESUCCESS
}

// maxPathArg is the longest path argument accepted, as PATH_MAX.
const maxPathArg = 4096

// iovecs reads the array of n iovecs at ptr and returns the guest
// buffers they describe, reusing bufs. EFAULT if the array or any
// buffer lies outside the memory; EINVAL if there are more than
// maxIovecs (IOV_MAX) or their lengths add up to more than fits a size.
func (m Memory) iovecs(bufs [][]byte, ptr, n uint32) ([][]byte, Errno) {
	if n > maxIovecs {
		return bufs, EINVAL
	}
	arr, ok := m.Slice(ptr, n*iovecSize)
	if !ok {
		return bufs, EFAULT
	}
	bufs = bufs[:0]
	var total uint64
	for i := uint32(0); i < n; i++ {
		e := arr[i*iovecSize:]
		p, l := binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
		b, ok := m.Slice(p, l)
		if !ok {
			return bufs, EFAULT
		}
		if total += uint64(l); total > 1<<32-1 {
			return bufs, EINVAL
		}
		bufs = append(bufs, b)
	}
	return bufs, ESUCCESS
}

// maxIovecs is IOV_MAX on Linux.
const maxIovecs = 1024
