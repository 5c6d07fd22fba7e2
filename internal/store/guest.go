package store

import (
	"context"

	"github.com/wasmvisor/wasmvisor/api"
)

// GuestKind names one of WASI's functions that an engine running code
// in a guest (a micro-VM, where every exit to the host is expensive) may
// serve in the guest, from data the host publishes there and refreshes
// at every exit.
type GuestKind uint8

// The functions a guest may serve. Each has WASI preview1's signature
// and meaning; the routine that serves it calls the host function for
// whatever it cannot serve exactly as the host would (an address
// outside memory, a descriptor it has no data for), so a program sees
// the same results either way.
const (
	GuestNone GuestKind = iota
	// GuestClockTimeGet is clock_time_get: clocks 0 (realtime) and 1
	// (monotonic) from the time-stamp counter anchored to the server's
	// clocks at every exit.
	GuestClockTimeGet
	// GuestArgsSizesGet, GuestArgsGet, GuestEnvironSizesGet and
	// GuestEnvironGet copy the server's arguments and environment.
	GuestArgsSizesGet
	GuestArgsGet
	GuestEnvironSizesGet
	GuestEnvironGet
	// GuestRandomGet hands out bytes from a pool the host fills from the
	// server's source, in the order the source gave them.
	GuestRandomGet
	// GuestFdWrite holds writes to descriptors the server says may be
	// buffered, writing them in one piece before the guest's next exit
	// (or at its end), so that output keeps its order.
	GuestFdWrite
	// GuestFdFdstatGet, GuestFdPrestatGet and GuestFdPrestatDirName
	// report the state of the first descriptors (0 to 31).
	GuestFdFdstatGet
	GuestFdPrestatGet
	GuestFdPrestatDirName
	// GuestFdFdstatSetFlags changes their flags where the change is
	// valid, in the guest's data, and the host applies it before the
	// guest's next exit is served (or at its end): only the guest can
	// tell the difference, and it sees its new flags.
	GuestFdFdstatSetFlags
	// GuestFdClose closes, in the guest's data, a descriptor the server
	// says may be closed later (Closable), and the host closes it
	// before the guest's next exit is served (or at its end): nothing
	// outside the guest can tell when, and inside it the descriptor is
	// closed at once.
	GuestFdClose
	// GuestFdReaddir answers fd_readdir at or past the end of a
	// directory listing the server holds (DirEnd): nothing read.
	GuestFdReaddir
	guestKinds
)

// GuestKinds is the number of kinds, GuestNone included.
const GuestKinds = int(guestKinds)

// Guest is what a host module says of one of its functions for a guest
// to serve (HostFunc.Guest).
type Guest struct {
	Kind GuestKind
	// Server returns the state the function serves its caller from, or
	// nil if the caller has none (the host function then fails for it).
	// Every function of one caller's server shares its data in a guest.
	Server func(caller api.Module) GuestServer
}

// IsGuest reports whether f is a host function a guest may serve as
// kind k. f may be nil.
func (f *Function) IsGuest(k GuestKind) bool { return f != nil && f.Guest.Kind == k }

// GuestServer is one caller's WASI state, as the host functions a
// guest serves need it. The engine takes on trust that what it reports
// is what the host functions would do.
type GuestServer interface {
	// Clocks returns the realtime and monotonic clocks now, in
	// nanoseconds.
	Clocks() (realtime, monotonic uint64)
	// Args and Environ return the arguments and the environment; they
	// do not change.
	Args() []string
	Environ() []string
	// Random fills p as random_get would, and UnreadRandom gives back
	// the bytes at the end of p that the guest did not use, so that
	// random_get serves them next, in order.
	Random(p []byte) error
	UnreadRandom(p []byte)
	// Buffered reports whether writes to fd may be held back and
	// written later in one piece: fd is an output stream that fd_write
	// would write all of p to, which no one is watching write by write
	// (not a terminal).
	Buffered(fd uint32) bool
	// WriteBuffered writes p to fd, a descriptor Buffered reported, on behalf of
	// writes the guest already saw succeed. A failure makes Buffered
	// false for fd, so that the guest's next write sees it.
	WriteBuffered(ctx context.Context, fd uint32, p []byte) error
	// Fdstat returns fd_fdstat_get's record of fd, or the errno it
	// fails with; Prestat the name of fd, a preopened directory, or the
	// errno fd_prestat_get fails with; SetFdflags does what
	// fd_fdstat_set_flags does.
	Fdstat(fd uint32) (stat [24]byte, errno uint16)
	Prestat(fd uint32) (name string, errno uint16)
	SetFdflags(fd uint32, flags uint64) (errno uint16)
	// Closable reports whether fd_close of fd would succeed and may be
	// done later, by CloseLater, without anyone but the guest seeing
	// the difference: fd is a file or a directory, whose close reports
	// no error and tells no one else.
	Closable(fd uint32) bool
	// CloseLater closes fd, a descriptor Closable reported, on behalf
	// of an fd_close the guest already saw succeed.
	CloseLater(fd uint32)
	// DirEnd returns the cookie from which fd_readdir of fd, with any
	// buffer inside memory, reads nothing and changes nothing but what
	// DirRead records; 0 if there is none.
	DirEnd(fd uint32) uint64
	// DirRead records an fd_readdir of fd the guest answered from
	// DirEnd, as the host function would have.
	DirRead(fd uint32)
}

// GuestFault is the errno a guest's routine returns for an address
// outside the caller's memory: WASI's EFAULT.
const GuestFault = 21
