package wasi

import (
	"context"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// stdinReader reads the guest's standard input so that a read blocked on
// it can be abandoned when the context ends: with a cancellable context
// the read runs on its own goroutine, and whatever it returns after being
// abandoned is kept for the next read.
type stdinReader struct {
	r        io.Reader
	fd       int // host descriptor poll_oneoff can wait on, or -1
	leftover []byte
	pending  chan readResult // a read still running for an abandoned call
}

type readResult struct {
	data []byte
	err  error
}

// maxStdinChunk bounds the buffer of one background read.
const maxStdinChunk = 64 << 10

func newStdin(r io.Reader) *fdEntry {
	s := &stdinReader{r: r, fd: -1}
	if r == nil {
		s.r = eofReader{}
	}
	e := &fdEntry{kind: kindStdin, filetype: FiletypeUnknown, rights: stdinRights, in: s}
	if f, ok := r.(*os.File); ok {
		s.fd = hostFD(f)
		e.tty = isTerminal(s.fd)
	}
	if e.tty {
		e.filetype = FiletypeCharacterDevice
	}
	return e
}

func newStdout(w io.Writer) *fdEntry {
	e := &fdEntry{kind: kindStdout, filetype: FiletypeUnknown, rights: stdoutRights, out: w}
	if w == nil {
		e.out = io.Discard
	}
	if f, ok := w.(*os.File); ok {
		e.tty = isTerminal(hostFD(f))
		e.outMayBlock = mayBlock(f)
	}
	if e.tty {
		e.filetype = FiletypeCharacterDevice
	}
	return e
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// hostFD returns f's descriptor without switching it to blocking mode,
// as os.File.Fd would.
func hostFD(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	rc.Control(func(u uintptr) { fd = int(u) })
	return fd
}

func isTerminal(fd int) bool {
	if fd < 0 {
		return false
	}
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// read reads into p, giving up with the context's cause when ctx ends.
func (s *stdinReader) read(ctx context.Context, p []byte) (int, error) {
	if len(s.leftover) > 0 {
		n := copy(p, s.leftover)
		s.leftover = s.leftover[n:]
		return n, nil
	}
	if s.pending == nil {
		if ctx.Done() == nil {
			return s.r.Read(p)
		}
		buf := make([]byte, min(len(p), maxStdinChunk))
		ch := make(chan readResult, 1)
		go func(r io.Reader) {
			n, err := r.Read(buf)
			ch <- readResult{buf[:n], err}
		}(s.r)
		s.pending = ch
	}
	select {
	case res := <-s.pending:
		s.pending = nil
		n := copy(p, res.data)
		s.leftover = res.data[n:]
		if n == 0 {
			return 0, res.err
		}
		return n, nil
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
}

// ready reports whether a read would return without waiting, as far as
// the kernel can tell without polling the host descriptor. A read left
// running by an abandoned call counts as ready: the next read waits for
// it, and can be interrupted.
func (s *stdinReader) ready() bool {
	return len(s.leftover) > 0 || s.pending != nil || s.fd < 0
}
