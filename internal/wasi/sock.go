package wasi

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Sockets are host descriptors in non-blocking mode. A guest call that
// must block waits in poll(2) together with an eventfd that the call's
// context signals, so that a timeout can interrupt it.

// newListener takes a duplicate of l's descriptor, which must be a
// listening stream socket. Like wasmtime's --tcplisten sockets, it
// starts in non-blocking mode: Go's runtime only polls descriptors that
// say so, and would otherwise block the whole guest in accept.
func newListener(l interface{ File() (*os.File, error) }) (*fdEntry, error) {
	f, err := l.File()
	if err != nil {
		return nil, fmt.Errorf("duplicating the listener: %w", err)
	}
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("duplicating the listener: %w", err)
	}
	fd, dupErr := -1, error(nil)
	if err := rc.Control(func(u uintptr) { fd, dupErr = unix.FcntlInt(u, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, fmt.Errorf("duplicating the listener: %w", err)
	}
	if dupErr != nil {
		return nil, fmt.Errorf("duplicating the listener: %w", dupErr)
	}
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err == nil && typ != unix.SOCK_STREAM {
		err = errors.New("not a stream socket")
	}
	if err == nil {
		if acc, e := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); e != nil || acc == 0 {
			err = errors.New("not a listening socket")
		}
	}
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("listener: %w", err)
	}
	return &fdEntry{kind: kindListener, filetype: FiletypeSocketStream, rights: listenerRights,
		flags: FdflagNonblock, sock: fd}, nil
}

// pollHost waits in poll(2) until one of fds is ready, timeout passes
// (a negative timeout waits indefinitely) or ctx ends, in which case it
// returns the context's cause. It may return early with nothing ready;
// callers check again.
func (k *Kernel) pollHost(ctx context.Context, fds []unix.PollFd, timeout time.Duration) error {
	caller := fds
	defer func() {
		for i := range caller {
			caller[i].Revents = fds[i].Revents
		}
	}()
	wakeIdx := -1
	if ctx.Done() != nil {
		if k.wake < 0 {
			fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
			if err != nil {
				return fmt.Errorf("creating the wake-up eventfd: %w", err)
			}
			k.wake = fd
		}
		wake := k.wake
		stop := context.AfterFunc(ctx, func() {
			var one = [8]byte{1}
			unix.Write(wake, one[:])
		})
		defer stop()
		fds = append(fds[:len(fds):len(fds)], unix.PollFd{Fd: int32(wake), Events: unix.POLLIN})
		wakeIdx = len(fds) - 1
	}
	ms := -1
	if timeout >= 0 {
		ms = int(min((timeout+time.Millisecond-1)/time.Millisecond, 1<<31-1))
	}
	_, err := unix.Poll(fds, ms)
	if wakeIdx >= 0 && fds[wakeIdx].Revents != 0 {
		var buf [8]byte
		unix.Read(k.wake, buf[:])
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil && err != unix.EINTR {
		return err
	}
	return nil
}

// waitSock waits until the socket e is ready for events.
func (k *Kernel) waitSock(ctx context.Context, e *fdEntry, events int16) error {
	return k.pollHost(ctx, []unix.PollFd{{Fd: int32(e.sock), Events: events}}, -1)
}

// isInterrupt reports whether err is ctx ending, which must end the
// guest rather than become an errno.
func isInterrupt(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Cause(ctx))
}

// recv receives into bufs, waiting unless e is non-blocking.
func (k *Kernel) recv(ctx context.Context, e *fdEntry, bufs [][]byte, flags int) (int, int, error) {
	for {
		n, _, rflags, _, err := unix.RecvmsgBuffers(e.sock, bufs, nil, flags)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && e.flags&FdflagNonblock == 0:
			if err := k.waitSock(ctx, e, unix.POLLIN); err != nil {
				return 0, 0, err
			}
			continue
		case err != nil:
			return 0, 0, err
		}
		return n, rflags, nil
	}
}

// send sends bufs, waiting until all is sent unless e is non-blocking.
// MSG_NOSIGNAL turns a closed peer into EPIPE rather than SIGPIPE.
func (k *Kernel) send(ctx context.Context, e *fdEntry, bufs [][]byte) (int, error) {
	total, want := 0, 0
	for _, b := range bufs {
		want += len(b)
	}
	for total < want {
		n, err := unix.SendmsgBuffers(e.sock, skip(bufs, total), nil, nil, unix.MSG_NOSIGNAL)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && e.flags&FdflagNonblock == 0:
			if err := k.waitSock(ctx, e, unix.POLLOUT); err != nil {
				return total, err
			}
			continue
		case err != nil:
			return total, err
		}
		total += n
		if e.flags&FdflagNonblock != 0 {
			break
		}
	}
	return total, nil
}

// skip returns bufs without their first n bytes.
func skip(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n == 0 || len(bufs) == 0 {
		return bufs
	}
	out := make([][]byte, len(bufs))
	copy(out, bufs)
	out[0] = out[0][n:]
	return out
}

// sockFD returns fd's entry if it is a connected socket with the rights
// need: ENOTCONN for a listener, ENOTSOCK for anything but a socket.
func (k *Kernel) sockFD(fd uint32, need Rights) (*fdEntry, Errno) {
	e, errno := k.get(fd)
	switch {
	case errno != ESUCCESS:
		return nil, errno
	case e.kind == kindListener:
		return nil, ENOTCONN
	case e.kind != kindConn:
		return nil, ENOTSOCK
	case e.rights&need != need:
		return nil, ENOTCAPABLE
	}
	return e, ESUCCESS
}

// sockAccept implements sock_accept(fd, flags, fd_ptr) on a pre-opened
// listener; flags may only hold nonblock, for the new connection.
func sockAccept(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.get(uint32(p[0]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case e.kind == kindConn:
		return EINVAL, nil
	case e.kind != kindListener:
		return ENOTSOCK, nil
	case e.rights&RightSockAccept == 0:
		return ENOTCAPABLE, nil
	case p[1]&^FdflagNonblock != 0:
		return EINVAL, nil
	}
	resultPtr := uint32(p[2])
	if _, ok := m.Slice(resultPtr, 4); !ok {
		return EFAULT, nil
	}
	for {
		nfd, _, err := unix.Accept4(e.sock, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch {
		case err == unix.EINTR || err == unix.ECONNABORTED:
			continue
		case err == unix.EAGAIN && e.flags&FdflagNonblock == 0:
			if err := k.waitSock(ctx, e, unix.POLLIN); err != nil {
				if isInterrupt(ctx, err) {
					return 0, err
				}
				return errnoOf(err), nil
			}
			continue
		case err != nil:
			return errnoOf(err), nil
		}
		conn := &fdEntry{kind: kindConn, filetype: FiletypeSocketStream, rights: connRights,
			flags: uint16(p[1]), sock: nfd}
		fd, errno := k.insert(conn)
		if errno != ESUCCESS {
			unix.Close(nfd)
			return errno, nil
		}
		m.PutUint32(resultPtr, fd)
		return ESUCCESS, nil
	}
}

// sockRecv implements sock_recv(fd, ri_data, ri_data_len, ri_flags,
// ro_datalen_ptr, ro_flags_ptr).
func sockRecv(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.sockFD(uint32(p[0]), RightFdRead)
	if errno != ESUCCESS {
		return errno, nil
	}
	riflags := p[3]
	if riflags&^(RiflagRecvPeek|RiflagRecvWaitall) != 0 {
		return EINVAL, nil
	}
	lenPtr, flagsPtr := uint32(p[4]), uint32(p[5])
	if _, ok := m.Slice(flagsPtr, 2); !ok {
		return EFAULT, nil
	}
	var roflags uint16
	var cause error
	errno = k.transfer(m, uint32(p[1]), uint32(p[2]), lenPtr, func(bufs [][]byte) (int, error) {
		flags := 0
		if riflags&RiflagRecvPeek != 0 {
			flags |= unix.MSG_PEEK
		}
		want := 0
		for _, b := range bufs {
			want += len(b)
		}
		total := 0
		for {
			n, rflags, err := k.recv(ctx, e, skip(bufs, total), flags)
			if isInterrupt(ctx, err) {
				cause = err
				return 0, nil
			}
			if err != nil {
				return total, err
			}
			if rflags&unix.MSG_TRUNC != 0 {
				roflags |= RoflagRecvDataTruncated
			}
			total += n
			// MSG_WAITALL, done here since the host socket does not block.
			if riflags&RiflagRecvWaitall == 0 || flags&unix.MSG_PEEK != 0 || n == 0 || total >= want ||
				e.flags&FdflagNonblock != 0 {
				return total, nil
			}
		}
	})
	if cause != nil {
		return 0, cause
	}
	if errno == ESUCCESS {
		b, _ := m.Slice(flagsPtr, 2)
		b[0], b[1] = byte(roflags), byte(roflags>>8)
	}
	return errno, nil
}

// sockSend implements sock_send(fd, si_data, si_data_len, si_flags,
// so_datalen_ptr). No si_flags are defined.
func sockSend(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	e, errno := k.sockFD(uint32(p[0]), RightFdWrite)
	if errno != ESUCCESS {
		return errno, nil
	}
	if p[3] != 0 {
		return EINVAL, nil
	}
	var cause error
	errno = k.transfer(m, uint32(p[1]), uint32(p[2]), uint32(p[4]), func(bufs [][]byte) (int, error) {
		n, err := k.send(ctx, e, bufs)
		if isInterrupt(ctx, err) {
			cause = err
			return 0, nil
		}
		return n, err
	})
	if cause != nil {
		return 0, cause
	}
	return errno, nil
}

// sockShutdown implements sock_shutdown(fd, how).
func sockShutdown(k *Kernel, _ context.Context, _ Memory, p []uint64) (Errno, error) {
	e, errno := k.get(uint32(p[0]))
	switch {
	case errno != ESUCCESS:
		return errno, nil
	case e.kind != kindConn && e.kind != kindListener:
		return ENOTSOCK, nil
	case e.rights&RightSockShutdown == 0:
		return ENOTCAPABLE, nil
	}
	var how int
	switch p[1] {
	case SdflagRd:
		how = unix.SHUT_RD
	case SdflagWr:
		how = unix.SHUT_WR
	case SdflagRd | SdflagWr:
		how = unix.SHUT_RDWR
	default:
		return EINVAL, nil
	}
	return errnoOf(unix.Shutdown(e.sock, how)), nil
}
