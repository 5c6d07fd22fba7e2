package wasi

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestClosable checks which descriptors a micro-VM may close later:
// files with offsets and directories, preopens included, and nothing
// whose close someone else sees or that is not open. CloseLater closes
// only those.
func TestClosable(t *testing.T) {
	e, dir := newHostEnv(t)
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Keeps the FIFO's open from waiting for a writer.
	w, err := os.OpenFile(filepath.Join(dir, "fifo"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	file := e.open(rootFD, "f", OflagCreat, rwRights, 0)
	sub := e.open(rootFD, ".", OflagDirectory, dirRights, 0)
	fifo := e.open(rootFD, "fifo", 0, RightFdRead, 0)
	tests := []struct {
		name string
		fd   uint32
		want bool
	}{
		{"stdin", 0, false},
		{"stdout", 1, false},
		{"the preopen", rootFD, true},
		{"a file", file, true},
		{"a directory", sub, true},
		{"a FIFO", fifo, false},
		{"not open", 99, false},
	}
	for _, tt := range tests {
		if got := e.k.Closable(tt.fd); got != tt.want {
			t.Errorf("Closable(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	e.k.CloseLater(fifo) // not Closable: stays open
	e.want(ESUCCESS, "fd_fdstat_get", uint64(fifo), resultPtr)
	e.k.CloseLater(file)
	e.want(EBADF, "fd_fdstat_get", uint64(file), resultPtr)
	if e.k.Closable(file) {
		t.Error("a closed file is still Closable")
	}
	// Its number is the next open's, as after fd_close.
	if fd := e.open(rootFD, "f", 0, rwRights, 0); fd != file {
		t.Errorf("opened as %d after CloseLater(%d)", fd, file)
	}
}

// TestDirEnd checks the end of a directory's listing that a micro-VM
// answers fd_readdir from: none before a listing from cookie 0 or
// without the right, the number of entries after, and a read from
// there reads nothing.
func TestDirEnd(t *testing.T) {
	e := newEnv(t)
	e.writeFile("a", "1")
	e.mkdir("b")
	dir := e.open(rootFD, ".", OflagDirectory, dirRights, 0)
	noRight := e.open(rootFD, ".", OflagDirectory, dirRights&^RightFdReaddir, 0)
	file := e.open(rootFD, "a", 0, rwRights, 0)
	for _, fd := range []uint32{dir, noRight, file, 99} {
		if end := e.k.DirEnd(fd); end != 0 {
			t.Errorf("DirEnd(%d) = %d before any listing", fd, end)
		}
	}
	e.want(ESUCCESS, "fd_readdir", uint64(dir), bufPtr, bufLen, 0, resultPtr)
	end := e.k.DirEnd(dir)
	if end != 4 { // ".", "..", "a", "b"
		t.Fatalf("DirEnd = %d after listing 4 entries", end)
	}
	for _, cookie := range []uint64{end, end + 5} {
		e.mem[resultPtr] = 0xff
		e.want(ESUCCESS, "fd_readdir", uint64(dir), bufPtr, bufLen, cookie, resultPtr)
		if n := e.u32(resultPtr); n != 0 {
			t.Errorf("fd_readdir from cookie %d read %d bytes past the end", cookie, n)
		}
	}
	e.k.DirRead(dir) // records a use, changes nothing else
	if got := e.k.DirEnd(dir); got != end {
		t.Errorf("DirEnd = %d after DirRead, was %d", got, end)
	}
	e.want(ESUCCESS, "fd_close", uint64(dir))
	if got := e.k.DirEnd(dir); got != 0 {
		t.Errorf("DirEnd = %d after fd_close", got)
	}
}
