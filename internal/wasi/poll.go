package wasi

import (
	"context"
	"encoding/binary"
	"math"
	"time"

	"golang.org/x/sys/unix"
)

// maxSubscriptions bounds one poll_oneoff call, whose per-subscription
// state the kernel allocates.
const maxSubscriptions = 1 << 16

// subscription is a parsed $subscription and what became of it.
type subscription struct {
	userdata uint64
	tag      uint8
	deadline time.Time // clock subscriptions
	pollIdx  int       // index into the poll(2) set, or -1
	ready    bool
	errno    Errno
	nbytes   uint64
	flags    uint16
}

// pollOneoff implements poll_oneoff(in, out, nsubscriptions,
// nevents_ptr).
//
// Clock subscriptions may use any clock, relative or absolute; a
// CPU-time deadline is waited for in wall time. Regular files and directories are always ready,
// as are standard streams the kernel cannot wait on; sockets and a host
// standard input are waited on with poll(2). A subscription on a bad
// descriptor is reported in its event's error, not as the call's errno.
// The wait ends early, with the context's cause, when ctx ends.
func pollOneoff(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error) {
	in, out, n, neventsPtr := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
	if n == 0 || n > maxSubscriptions {
		return EINVAL, nil
	}
	raw, ok := m.Slice(in, n*subscriptionSize)
	if !ok {
		return EFAULT, nil
	}
	events, ok := m.Slice(out, n*eventSize)
	if !ok {
		return EFAULT, nil
	}
	if _, ok := m.Slice(neventsPtr, 4); !ok {
		return EFAULT, nil
	}
	subs := make([]subscription, n)
	var fds []unix.PollFd
	now := time.Now()
	for i := range subs {
		s, errno := k.parseSubscription(raw[i*subscriptionSize:(i+1)*subscriptionSize], now, &fds)
		if errno != ESUCCESS {
			return errno, nil
		}
		subs[i] = s
	}
	for {
		anyReady := false
		for i := range subs {
			anyReady = anyReady || subs[i].ready
		}
		timeout := time.Duration(-1)
		now := time.Now()
		for i := range subs {
			s := &subs[i]
			if s.tag != EventtypeClock {
				continue
			}
			left := s.deadline.Sub(now)
			if left <= 0 {
				s.ready, anyReady = true, true
			} else if timeout < 0 || left < timeout {
				timeout = left
			}
		}
		if anyReady {
			timeout = 0
		}
		if len(fds) > 0 {
			for i := range fds {
				fds[i].Revents = 0
			}
			if err := k.pollHost(ctx, fds, timeout); err != nil {
				if isInterrupt(ctx, err) {
					return 0, err
				}
				return errnoOf(err), nil
			}
		} else if !anyReady {
			if err := sleep(ctx, timeout); err != nil {
				return 0, err
			}
			continue
		}
		for i := range subs {
			if s := &subs[i]; s.pollIdx >= 0 {
				s.readyFromPoll(fds[s.pollIdx].Revents, fds[s.pollIdx].Fd)
			}
		}
		count := uint32(0)
		for _, s := range subs {
			if s.ready {
				putEvent(events[count*eventSize:], s)
				count++
			}
		}
		if count > 0 {
			m.PutUint32(neventsPtr, count)
			return ESUCCESS, nil
		}
	}
}

// parseSubscription reads one $subscription. Descriptors to wait on are
// added to fds.
func (k *Kernel) parseSubscription(b []byte, now time.Time, fds *[]unix.PollFd) (subscription, Errno) {
	s := subscription{userdata: binary.LittleEndian.Uint64(b), tag: b[8], pollIdx: -1}
	switch s.tag {
	case EventtypeClock:
		id := binary.LittleEndian.Uint32(b[16:])
		timeout := binary.LittleEndian.Uint64(b[24:])
		flags := binary.LittleEndian.Uint16(b[40:])
		if flags&^SubscriptionClockAbstime != 0 {
			return s, EINVAL
		}
		var clockNow uint64
		switch id {
		case ClockRealtime:
			clockNow = uint64(max(now.UnixNano(), 0))
		case ClockMonotonic:
			clockNow = k.monotonic()
		case ClockProcessCputimeID, ClockThreadCputimeID:
			var ts unix.Timespec
			if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
				return s, errnoOf(err)
			}
			clockNow = uint64(ts.Nano())
		default:
			return s, EINVAL
		}
		left := timeout
		if flags&SubscriptionClockAbstime != 0 {
			left = timeout - min(timeout, clockNow)
		}
		// A guest uses no CPU time while it waits, so a CPU-time deadline
		// might never come; the rest is waited for in wall time instead,
		// the least time the guest would have needed to run to reach it.
		s.deadline = now.Add(time.Duration(min(left, math.MaxInt64)))
		return s, ESUCCESS
	case EventtypeFdRead, EventtypeFdWrite:
	default:
		return s, EINVAL
	}
	e, errno := k.get(binary.LittleEndian.Uint32(b[16:]))
	switch {
	case errno != ESUCCESS:
		s.ready, s.errno = true, errno
		return s, ESUCCESS
	case e.rights&RightPollFdReadwrite == 0:
		s.ready, s.errno = true, ENOTCAPABLE
		return s, ESUCCESS
	}
	read := s.tag == EventtypeFdRead
	wait := -1
	switch e.kind {
	case kindFile:
		s.ready = true
		if read && e.stream == nil {
			if st, err := e.file.Stat(); err == nil && st.Size > e.pos {
				s.nbytes = st.Size - e.pos
			}
		}
	case kindStdin:
		if read && !e.in.ready() {
			wait = e.in.fd
		} else {
			s.ready = true
		}
	case kindListener, kindConn:
		wait = e.sock
	default:
		s.ready = true
	}
	if wait >= 0 {
		ev := int16(unix.POLLIN)
		if !read {
			ev = unix.POLLOUT
		}
		*fds = append(*fds, unix.PollFd{Fd: int32(wait), Events: ev})
		s.pollIdx = len(*fds) - 1
	}
	return s, ESUCCESS
}

// readyFromPoll records what poll(2) said about the subscription's
// descriptor fd.
func (s *subscription) readyFromPoll(revents int16, fd int32) {
	switch {
	case revents&unix.POLLNVAL != 0:
		s.ready, s.errno = true, EBADF
	case revents&(unix.POLLHUP|unix.POLLERR) != 0:
		s.ready, s.flags = true, EventFdReadwriteHangup
	case revents&(unix.POLLIN|unix.POLLOUT) != 0:
		s.ready = true
		if s.tag == EventtypeFdRead {
			if n, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil && n > 0 {
				s.nbytes = uint64(n)
			}
		}
	}
}

// putEvent writes the $event for s.
func putEvent(b []byte, s subscription) {
	clear(b[:eventSize])
	binary.LittleEndian.PutUint64(b[0:], s.userdata)
	binary.LittleEndian.PutUint16(b[8:], uint16(s.errno))
	b[10] = s.tag
	if s.tag != EventtypeClock {
		binary.LittleEndian.PutUint64(b[16:], s.nbytes)
		binary.LittleEndian.PutUint16(b[24:], s.flags)
	}
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if ctx.Done() == nil {
		time.Sleep(d)
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
