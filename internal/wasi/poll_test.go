package wasi

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

const subsPtr, eventsPtr = 0x5000, 0x6000

// subscribe writes subscriptions at subsPtr: a clock one for each
// timeout ([id, timeout, flags] as c), an fd one for each [tag, fd].
type sub struct {
	userdata uint64
	tag      uint8
	clock    uint32
	timeout  uint64
	flags    uint16
	fd       uint32
}

func (e *kernelEnv) subscribe(subs ...sub) uint64 {
	for i, s := range subs {
		b := e.mem[subsPtr+i*subscriptionSize:]
		clear(b[:subscriptionSize])
		binary.LittleEndian.PutUint64(b, s.userdata)
		b[8] = s.tag
		if s.tag == EventtypeClock {
			binary.LittleEndian.PutUint32(b[16:], s.clock)
			binary.LittleEndian.PutUint64(b[24:], s.timeout)
			binary.LittleEndian.PutUint16(b[40:], s.flags)
		} else {
			binary.LittleEndian.PutUint32(b[16:], s.fd)
		}
	}
	return uint64(len(subs))
}

type event struct {
	userdata uint64
	errno    Errno
	tag      uint8
	nbytes   uint64
	flags    uint16
}

func (e *kernelEnv) events() []event {
	var out []event
	for i := range e.u32(resultPtr) {
		b := e.mem[eventsPtr+i*eventSize:]
		out = append(out, event{binary.LittleEndian.Uint64(b), Errno(binary.LittleEndian.Uint16(b[8:])), b[10],
			binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint16(b[24:])})
	}
	return out
}

func TestPollOneoff_Clocks(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	n := e.subscribe(sub{userdata: 7, tag: EventtypeClock, clock: ClockMonotonic, timeout: 20e6})
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("relative 20ms timeout returned after %v", d)
	}
	if ev := e.events(); len(ev) != 1 || ev[0].userdata != 7 || ev[0].tag != EventtypeClock || ev[0].errno != 0 {
		t.Fatalf("events %+v", ev)
	}
	// Absolute deadlines on both clocks; the earliest wins.
	e.want(ESUCCESS, "clock_time_get", ClockMonotonic, 0, resultPtr)
	mono := e.u64(resultPtr)
	start = time.Now()
	n = e.subscribe(
		sub{userdata: 1, tag: EventtypeClock, clock: ClockRealtime, timeout: uint64(time.Now().Add(time.Hour).UnixNano()), flags: SubscriptionClockAbstime},
		sub{userdata: 2, tag: EventtypeClock, clock: ClockMonotonic, timeout: mono + 15e6, flags: SubscriptionClockAbstime},
	)
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if ev := e.events(); len(ev) != 1 || ev[0].userdata != 2 || time.Since(start) < 10*time.Millisecond {
		t.Fatalf("events %+v after %v", ev, time.Since(start))
	}
	// A deadline in the past fires at once.
	n = e.subscribe(sub{userdata: 3, tag: EventtypeClock, clock: ClockRealtime, timeout: 1, flags: SubscriptionClockAbstime})
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)

	tests := []struct {
		name string
		sub  sub
		want Errno
	}{
		{"cpu-time clock", sub{tag: EventtypeClock, clock: ClockProcessCputimeID, timeout: 1e6}, ESUCCESS},
		{"absolute cpu-time clock", sub{tag: EventtypeClock, clock: ClockThreadCputimeID, timeout: 1, flags: SubscriptionClockAbstime}, ESUCCESS},
		{"unknown clock", sub{tag: EventtypeClock, clock: 9}, EINVAL},
		{"unknown flags", sub{tag: EventtypeClock, flags: 2}, EINVAL},
		{"unknown tag", sub{tag: 3}, EINVAL},
	}
	for _, tt := range tests {
		n := e.subscribe(tt.sub)
		if got := e.call("poll_oneoff", subsPtr, eventsPtr, n, resultPtr); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	e.want(EINVAL, "poll_oneoff", subsPtr, eventsPtr, 0, resultPtr)
	e.want(EFAULT, "poll_oneoff", memSize-10, eventsPtr, 1, resultPtr)
	e.want(EFAULT, "poll_oneoff", subsPtr, memSize-31, 1, resultPtr)
	e.want(EFAULT, "poll_oneoff", subsPtr, eventsPtr, 1, memSize)
	e.want(EINVAL, "poll_oneoff", subsPtr, eventsPtr, maxSubscriptions+1, resultPtr)
}

func TestPollOneoff_Descriptors(t *testing.T) {
	e := newEnv(t)
	e.writeFile("f", "0123456789")
	fd := e.open(rootFD, "f", 0, RightFdRead|RightFdSeek|RightPollFdReadwrite, 0)
	e.want(ESUCCESS, "fd_seek", uint64(fd), 4, WhenceSet, resultPtr)
	n := e.subscribe(
		sub{userdata: 1, tag: EventtypeFdRead, fd: fd},
		sub{userdata: 2, tag: EventtypeFdWrite, fd: 1},
		sub{userdata: 3, tag: EventtypeFdRead, fd: 99},
		sub{userdata: 4, tag: EventtypeClock, clock: ClockMonotonic, timeout: uint64(time.Hour)},
	)
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	ev := e.events()
	want := []event{
		{userdata: 1, tag: EventtypeFdRead, nbytes: 6},
		{userdata: 2, tag: EventtypeFdWrite},
		{userdata: 3, tag: EventtypeFdRead, errno: EBADF},
	}
	if len(ev) != len(want) {
		t.Fatalf("events %+v", ev)
	}
	for i := range want {
		if ev[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, ev[i], want[i])
		}
	}
	// Without poll_fd_readwrite the subscription reports notcapable.
	fd2 := e.open(rootFD, "f", 0, RightFdRead, 0)
	n = e.subscribe(sub{userdata: 5, tag: EventtypeFdRead, fd: fd2})
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if ev := e.events(); len(ev) != 1 || ev[0].errno != ENOTCAPABLE {
		t.Errorf("events %+v", ev)
	}
}

// TestPollOneoff_Stdin waits on a host pipe as standard input.
func TestPollOneoff_Stdin(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	e := newEnvFS(t, newEnv(t).root, Config{Stdin: r})
	n := e.subscribe(
		sub{userdata: 1, tag: EventtypeFdRead, fd: 0},
		sub{userdata: 2, tag: EventtypeClock, clock: ClockMonotonic, timeout: 30e6},
	)
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if ev := e.events(); len(ev) != 1 || ev[0].userdata != 2 {
		t.Fatalf("empty pipe: events %+v", ev)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte("abc"))
	}()
	n = e.subscribe(sub{userdata: 1, tag: EventtypeFdRead, fd: 0})
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if ev := e.events(); len(ev) != 1 || ev[0].userdata != 1 || ev[0].nbytes != 3 {
		t.Fatalf("pipe with data: events %+v", ev)
	}
	if got := e.read(0, 10); got != "abc" {
		t.Errorf("read %q", got)
	}
	w.Close()
	e.want(ESUCCESS, "poll_oneoff", subsPtr, eventsPtr, n, resultPtr)
	if ev := e.events(); len(ev) != 1 || ev[0].flags != EventFdReadwriteHangup {
		t.Fatalf("closed pipe: events %+v", ev)
	}
}

// TestInterrupt checks that every call that can block returns the
// context's cause when the context ends.
func TestInterrupt(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := newEnvFS(t, newEnv(t).root, Config{Stdin: pr, Preopens: []Preopen{{Listener: l.(*net.TCPListener)}}})
	const listenFD = rootFD + 1
	e.want(ESUCCESS, "fd_fdstat_set_flags", listenFD, 0) // blocking accept
	cause := errors.New("time is up")
	iovs, cnt := e.iovecs(10)
	tests := []struct {
		name string
		args []uint64
	}{
		{"poll_oneoff", []uint64{subsPtr, eventsPtr, e.subscribe(sub{tag: EventtypeClock, clock: ClockMonotonic, timeout: uint64(time.Hour)}), resultPtr}},
		{"fd_read", []uint64{0, iovs, cnt, resultPtr}},
		{"sock_accept", []uint64{listenFD, 0, resultPtr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			time.AfterFunc(20*time.Millisecond, func() { cancel(cause) })
			e.ctx = ctx
			start := time.Now()
			_, err := e.callErr(tt.name, tt.args...)
			if !errors.Is(err, cause) {
				t.Fatalf("got %v, want the context's cause", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v to notice", d)
			}
		})
	}
	// The interrupted read of stdin is not lost: the next read gets it.
	e.ctx = context.Background()
	go pw.Write([]byte("late"))
	if got := e.read(0, 10); got != "late" {
		t.Errorf("after an interrupted read: %q", got)
	}
}
