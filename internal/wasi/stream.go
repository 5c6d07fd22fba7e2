package wasi

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Waits for the host that the end of a call's context must cut short
// (a -W timeout, a cancellation): reads and writes of FIFOs and sockets
// opened in a mapped directory, and writes to a standard output that is
// a pipe nobody reads. Regular files never wait for long.

// deadliner is a stream whose waits a deadline can end: a host FIFO or
// socket, which Go's poller waits for.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// interruptible runs op, a read (or, with write, a write) of s that may
// wait for the host, so that the end of ctx ends the wait with ctx's
// cause. A stream without deadlines is waited for as it is.
func interruptible(ctx context.Context, s any, write bool, op func() (int, error)) (int, error) {
	d, ok := s.(deadliner)
	if !ok || ctx.Done() == nil {
		return op()
	}
	set := d.SetReadDeadline
	if write {
		set = d.SetWriteDeadline
	}
	if err := set(time.Time{}); err != nil {
		return op() // not pollable: nothing can cut the wait short
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		set(time.Unix(1, 0))
		close(fired)
	})
	n, err := op()
	if !stop() {
		// Cleared once the callback is done, for the next call, whose
		// context may have no end.
		<-fired
		set(time.Time{})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = context.Cause(ctx)
		}
	}
	return n, err
}

// mayBlock reports whether writes to f can wait for ever: f is a pipe or
// a socket, whose reader may never read.
func mayBlock(f *os.File) bool {
	fd := hostFD(f)
	if fd < 0 {
		return false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false
	}
	t := st.Mode & unix.S_IFMT
	return t == unix.S_IFIFO || t == unix.S_IFSOCK
}

type writeResult struct {
	n   int
	err error
}

// writeOut writes bufs to the standard output or error of e. Where that
// may wait for ever and ctx can end, the write runs on a goroutine of
// its own, on a copy of the data, so that the call can be abandoned: the
// guest's memory may be gone by the time the write ends. A later write
// waits for an abandoned one, so output stays in order.
func (k *Kernel) writeOut(ctx context.Context, e *fdEntry, bufs [][]byte) (int, error) {
	if e.outPending != nil {
		select {
		case <-e.outPending:
			e.outPending = nil
		case <-ctx.Done():
			return 0, context.Cause(ctx)
		}
	}
	if !e.outMayBlock || ctx.Done() == nil {
		return k.writeStream(e.out, bufs)
	}
	var data []byte
	for _, b := range bufs {
		data = append(data, b...)
	}
	if len(data) == 0 {
		return 0, nil
	}
	done := make(chan writeResult, 1)
	go func(w interface{ Write([]byte) (int, error) }) {
		n, err := w.Write(data)
		done <- writeResult{n, err}
	}(e.out)
	select {
	case r := <-done:
		return r.n, r.err
	case <-ctx.Done():
		e.outPending = done
		return 0, context.Cause(ctx)
	}
}
