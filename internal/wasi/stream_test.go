package wasi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestFIFO_ReadInterrupted reads a FIFO in a mapped directory that no one
// writes: the call's end stops the read with its cause, and a later call
// without an end reads what was written meanwhile.
func TestFIFO_ReadInterrupted(t *testing.T) {
	e, dir := newHostEnv(t)
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A writer that stays open, so that a read waits instead of ending.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fd := uint64(e.open(rootFD, "fifo", 0, RightFdRead, 0))
	iovs, n := e.iovecs(16)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e.ctx = ctx
	start := time.Now()
	if _, err := e.callErr("fd_read", fd, iovs, n, resultPtr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fd_read = %v, want the deadline's error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the read ended %v after its deadline", d)
	}

	// The deadline set to stop the first read is gone for the next.
	e.ctx = context.Background()
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	e.want(ESUCCESS, "fd_read", fd, iovs, n, resultPtr)
	if got := string(e.mem[bufPtr : bufPtr+e.u32(resultPtr)]); got != "hello" {
		t.Errorf("read %q after an interrupted read, want %q", got, "hello")
	}
}
