package wasi

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
)

// Guest memory layout used by the tests.
const (
	memSize   = 1 << 16
	resultPtr = 0x100  // results of calls
	pathPtr   = 0x1000 // first path argument
	path2Ptr  = 0x2000 // second path argument
	iovPtr    = 0x3000 // iovec arrays
	bufPtr    = 0x4000 // data buffers
	bufLen    = 0x4000
)

// kernelEnv is a kernel with a file system preopened as "/" at fd 3,
// and a guest memory to call it with.
type kernelEnv struct {
	t      *testing.T
	k      *Kernel
	mem    Memory
	ns     *fs.Namespace
	root   fs.FS
	stdout bytes.Buffer
	ctx    context.Context
}

const rootFD = 3

func newEnv(t *testing.T) *kernelEnv {
	return newEnvFS(t, memfs.New(memfs.Options{}), Config{})
}

// newHostEnv preopens a host temporary directory, returned too.
func newHostEnv(t *testing.T) (*kernelEnv, string) {
	dir := t.TempDir()
	h, err := hostfs.New(dir, hostfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return newEnvFS(t, h, Config{}), dir
}

func newEnvFS(t *testing.T, root fs.FS, cfg Config) *kernelEnv {
	t.Helper()
	e := &kernelEnv{t: t, mem: make(Memory, memSize), ns: fs.NewNamespace(), root: root, ctx: context.Background()}
	if err := e.ns.Mount("/", root); err != nil {
		t.Fatal(err)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = &e.stdout
	}
	cfg.Preopens = append([]Preopen{{Name: "/", NS: e.ns, Path: "/"}}, cfg.Preopens...)
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	e.k = k
	return e
}

// call calls the named function and returns its errno; an error from
// Call fails the test.
func (e *kernelEnv) call(name string, args ...uint64) Errno {
	e.t.Helper()
	errno, err := e.callErr(name, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	return errno
}

func (e *kernelEnv) callErr(name string, args ...uint64) (Errno, error) {
	e.t.Helper()
	f := Lookup(name)
	if f == nil {
		e.t.Fatalf("no function %s", name)
	}
	if len(args) != len(f.Type.Params) {
		e.t.Fatalf("%s takes %d arguments, got %d", name, len(f.Type.Params), len(args))
	}
	stack := make([]uint64, max(len(args), 1))
	copy(stack, args)
	if err := f.Call(e.ctx, e.k, e.mem, stack); err != nil {
		return 0, err
	}
	return Errno(stack[0]), nil
}

// want calls name and fails unless it returns the errno want.
func (e *kernelEnv) want(want Errno, name string, args ...uint64) {
	e.t.Helper()
	if got := e.call(name, args...); got != want {
		e.t.Fatalf("%s%v: got %v, want %v", name, args, got, want)
	}
}

// path writes s at ptr and returns the (ptr, len) argument pair.
func (e *kernelEnv) path(ptr uint32, s string) (uint64, uint64) {
	copy(e.mem[ptr:], s)
	return uint64(ptr), uint64(len(s))
}

func (e *kernelEnv) u32(ptr uint32) uint32 { return binary.LittleEndian.Uint32(e.mem[ptr:]) }
func (e *kernelEnv) u64(ptr uint32) uint64 { return binary.LittleEndian.Uint64(e.mem[ptr:]) }

// open opens path beneath dirfd and returns the new descriptor.
func (e *kernelEnv) open(dirfd uint32, path string, oflags uint64, rights Rights, fdflags uint64) uint32 {
	e.t.Helper()
	p, n := e.path(pathPtr, path)
	e.want(ESUCCESS, "path_open", uint64(dirfd), LookupSymlinkFollow, p, n, oflags,
		uint64(rights), uint64(rights), fdflags, resultPtr)
	return e.u32(resultPtr)
}

// openErr opens like open and returns the errno.
func (e *kernelEnv) openErr(dirfd uint32, lookup uint64, path string, oflags uint64, rights Rights) Errno {
	e.t.Helper()
	p, n := e.path(pathPtr, path)
	return e.call("path_open", uint64(dirfd), lookup, p, n, oflags, uint64(rights), uint64(rights), 0, resultPtr)
}

// iovecs lays out one iovec per buffer length at iovPtr, the buffers
// themselves consecutively from bufPtr, and returns (iovs, count).
func (e *kernelEnv) iovecs(lens ...uint32) (uint64, uint64) {
	off := uint32(bufPtr)
	for i, l := range lens {
		binary.LittleEndian.PutUint32(e.mem[iovPtr+8*i:], off)
		binary.LittleEndian.PutUint32(e.mem[iovPtr+8*i+4:], l)
		off += l
	}
	return iovPtr, uint64(len(lens))
}

// write writes data to fd in one iovec and returns the count.
func (e *kernelEnv) write(fd uint32, data string) uint32 {
	e.t.Helper()
	copy(e.mem[bufPtr:], data)
	iovs, n := e.iovecs(uint32(len(data)))
	e.want(ESUCCESS, "fd_write", uint64(fd), iovs, n, resultPtr)
	return e.u32(resultPtr)
}

// read reads up to n bytes from fd.
func (e *kernelEnv) read(fd uint32, n uint32) string {
	e.t.Helper()
	iovs, cnt := e.iovecs(n)
	e.want(ESUCCESS, "fd_read", uint64(fd), iovs, cnt, resultPtr)
	return string(e.mem[bufPtr : bufPtr+e.u32(resultPtr)])
}

// writeFile creates name in the root file system with data.
func (e *kernelEnv) writeFile(name, data string) {
	e.t.Helper()
	f, err := e.root.Open(name, fs.OpenWrite|fs.OpenCreate|fs.OpenTruncate, 0o644)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(data), 0); err != nil {
		e.t.Fatal(err)
	}
}

func (e *kernelEnv) readFile(name string) string {
	e.t.Helper()
	f, err := e.root.Open(name, fs.OpenRead, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func (e *kernelEnv) mkdir(name string) {
	e.t.Helper()
	if err := e.root.Mkdir(name, 0o755); err != nil {
		e.t.Fatal(err)
	}
}

func (e *kernelEnv) symlink(target, name string) {
	e.t.Helper()
	if err := e.root.Symlink(target, name); err != nil {
		e.t.Fatal(err)
	}
}

// filestat returns the fields of the $filestat at resultPtr.
func (e *kernelEnv) filestat() (ino uint64, typ Filetype, nlink, size uint64, atim, mtim uint64) {
	b := e.mem[resultPtr:]
	return e.u64(resultPtr + 8), Filetype(b[16]), e.u64(resultPtr + 24), e.u64(resultPtr + 32),
		e.u64(resultPtr + 40), e.u64(resultPtr + 48)
}
