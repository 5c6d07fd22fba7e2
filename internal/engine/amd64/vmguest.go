package amd64

import (
	"encoding/binary"
	"slices"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// The host's side of the guest routines (guest.go): the data each
// caller's server publishes in the VM, refreshed at every exit, and the
// buffered writes written out before every exit is served.

// vmWriteBuffer is the size of a server's write buffer in the guest:
// large enough that a program printing lines exits once per page of
// them, small enough to clear on every call.
const vmWriteBuffer = 32 << 10

// maxGuestStrings bounds the arguments or environment a VM publishes;
// larger ones are served by the host.
const maxGuestStrings = 1 << 20

// vmServer is one caller's server in the VM.
type vmServer struct {
	caller *store.Instance
	srv    store.GuestServer
	block  uint64 // offset of its data (srvSize bytes)
	wbuf   uint64 // offset of its write buffer
	// serves says which kinds its data can serve.
	serves [store.GuestKinds]bool
}

// guestSignatures are the types of the functions the guest serves.
var guestSignatures = [store.GuestKinds][]wasm.ValueType{
	store.GuestClockTimeGet:     {wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeI32},
	store.GuestArgsSizesGet:     {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestArgsGet:          {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestEnvironSizesGet:  {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestEnvironGet:       {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestRandomGet:        {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdWrite:          {wasm.ValueTypeI32, wasm.ValueTypeI32, wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdFdstatGet:      {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdPrestatGet:     {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdPrestatDirName: {wasm.ValueTypeI32, wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdFdstatSetFlags: {wasm.ValueTypeI32, wasm.ValueTypeI32},
	store.GuestFdClose:          {wasm.ValueTypeI32},
	store.GuestFdReaddir:        {wasm.ValueTypeI32, wasm.ValueTypeI32, wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeI32},
}

// guestRoutine returns the record through which vi calls f, a host
// function the guest may serve (store.Guest): one that runs the routine
// of f's kind in vi's module, with the data of vi's server, where that
// can serve it; rec, f's own, otherwise.
func (s *vmSession) guestRoutine(vi *vmInst, f *store.Function, rec uint64) (uint64, error) {
	kind := f.Guest.Kind
	if int(kind) >= store.GuestKinds || f.Guest.Server == nil ||
		!slices.Equal(f.Type.Params, guestSignatures[kind]) ||
		len(f.Type.Results) != 1 || f.Type.Results[0] != wasm.ValueTypeI32 {
		return rec, nil
	}
	srv := f.Guest.Server(vi.inst.Handle)
	if srv == nil {
		return rec, nil
	}
	vs, err := s.server(vi.inst, srv)
	if err != nil {
		return 0, err
	}
	if !vs.serves[kind] {
		return rec, nil
	}
	off, err := s.alloc(uint64(guestRecFallback) + 8)
	if err != nil {
		return 0, err
	}
	s.put64(off+uint64(offFuncEntry), vi.mod.base+vmGuestRoutine(kind))
	s.put64(off+uint64(offFuncCtx), s.guest(vi.block))
	binary.LittleEndian.PutUint32(s.data[off+uint64(offFuncTypeID):], uint32(f.TypeID))
	s.put64(off+uint64(guestRecData), s.guest(vs.block))
	s.put64(off+uint64(guestRecFallback), rec)
	return s.guest(off), nil
}

// server returns caller's server in the VM, publishing its data on
// first use.
func (s *vmSession) server(caller *store.Instance, srv store.GuestServer) (*vmServer, error) {
	for _, vs := range s.servers {
		if vs.caller == caller && vs.srv == srv {
			return vs, nil
		}
	}
	block, err := s.alloc(srvSize)
	if err != nil {
		return nil, err
	}
	wbuf, err := s.alloc(vmWriteBuffer)
	if err != nil {
		return nil, err
	}
	vs := &vmServer{caller: caller, srv: srv, block: block, wbuf: wbuf}
	vs.serves[store.GuestFdWrite] = true
	for _, k := range []store.GuestKind{store.GuestFdFdstatGet, store.GuestFdPrestatGet,
		store.GuestFdPrestatDirName, store.GuestFdFdstatSetFlags, store.GuestFdClose, store.GuestFdReaddir} {
		vs.serves[k] = true
	}
	s.put32(block+srvWriteCap, vmWriteBuffer)
	s.put64(block+srvWriteBuf, s.guest(wbuf))
	if _, ok := s.v.TSC(); ok {
		vs.serves[store.GuestClockTimeGet] = true
	}
	for _, l := range []struct {
		at          uint64
		list        []string
		sizes, gets store.GuestKind
	}{
		{srvArgs, srv.Args(), store.GuestArgsSizesGet, store.GuestArgsGet},
		{srvEnviron, srv.Environ(), store.GuestEnvironSizesGet, store.GuestEnvironGet},
	} {
		ok, err := s.publishStrings(block+l.at, l.list)
		if err != nil {
			return nil, err
		}
		vs.serves[l.sizes], vs.serves[l.gets] = ok, ok
	}
	s.put32(block+srvRandLen, randPoolSize)
	s.put32(block+srvRandPos, randPoolSize) // empty: filled below
	vs.serves[store.GuestRandomGet] = true
	s.servers = append(s.servers, vs)
	s.refresh(vs)
	return vs, nil
}

func (s *vmSession) put32(off uint64, v uint32) { binary.LittleEndian.PutUint32(s.data[off:], v) }
func (s *vmSession) get32(off uint64) uint32    { return binary.LittleEndian.Uint32(s.data[off:]) }

// publishStrings lays out list for the guest, as a list at off, and
// reports whether it did: a list larger than maxGuestStrings stays with
// the host.
func (s *vmSession) publishStrings(off uint64, list []string) (bool, error) {
	size := 0
	for _, str := range list {
		size += len(str) + 1
	}
	if size > maxGuestStrings {
		return false, nil
	}
	blob, err := s.alloc(roundUp8(int32(size)))
	if err != nil {
		return false, err
	}
	offsets, err := s.alloc(roundUp8(int32(4 * len(list))))
	if err != nil {
		return false, err
	}
	at := uint32(0)
	for i, str := range list {
		s.put32(offsets+4*uint64(i), at)
		at += uint32(copy(s.data[blob+uint64(at):], str))
		s.data[blob+uint64(at)] = 0
		at++
	}
	s.put32(off+strCount, uint32(len(list)))
	s.put32(off+strSize, uint32(size))
	s.put64(off+strBlob, s.guest(blob))
	s.put64(off+strOffsets, s.guest(offsets))
	return true, nil
}

// refreshServers brings every server's data up to date after an exit.
func (s *vmSession) refreshServers() {
	for _, vs := range s.servers {
		s.refresh(vs)
	}
}

// refresh publishes vs's state: the clocks anchored now (the counter's
// rate is known to a part in a million, so anchoring at every exit
// keeps the guest's clocks within microseconds of the host's), a full
// random pool once the guest has used it up, the descriptors' state and
// which of them may be buffered.
func (s *vmSession) refresh(vs *vmServer) {
	b := vs.block
	if vs.serves[store.GuestClockTimeGet] {
		tsc, _ := s.v.TSC()
		realtime, monotonic := vs.srv.Clocks()
		s.put64(b+clockTSC, tsc.Now())
		s.put64(b+clockMult, (uint64(1e9)<<32)/tsc.Hz)
		s.put64(b+clockBase, realtime)
		s.put64(b+clockBase+8, monotonic)
	}
	if vs.serves[store.GuestRandomGet] && s.get32(b+srvRandPos) >= randPoolSize {
		pool := s.data[b+srvRandPool : b+srvRandPool+randPoolSize]
		if vs.srv.Random(pool) == nil {
			s.put32(b+srvRandPos, 0)
		}
	}
	for fd := range uint32(descRecs) {
		rec := b + srvDesc + uint64(fd)*descRecSize
		stat, errno := vs.srv.Fdstat(fd)
		copy(s.data[rec+descStat:], stat[:])
		s.put32(rec+descStatErr, uint32(errno))
		s.put32(rec+descDirty, 0)
		s.put32(rec+descClosable, 0)
		if vs.srv.Closable(fd) {
			s.put32(rec+descClosable, 1)
		}
		s.put64(rec+descDirEnd, vs.srv.DirEnd(fd))
		s.put32(rec+descDirRead, 0)
		name, errno := vs.srv.Prestat(fd)
		if errno == 0 && len(name) > descNameMax {
			s.put32(rec+descPreErr, descAskHost)
			continue
		}
		s.put32(rec+descPreErr, uint32(errno))
		s.put32(rec+descNameLen, uint32(len(name)))
		copy(s.data[rec+descName:], name)
	}
	var mask uint32
	for _, fd := range []uint32{1, 2} {
		if vs.srv.Buffered(fd) {
			mask |= 1 << fd
		}
	}
	s.put32(b+srvWriteMask, mask)
}

// drainServers writes out what the guest buffered, before an exit is
// served or when the run ends, so that output keeps its order with
// whatever the host does. With unread (the exit is a random_get the
// guest's pool could not serve, or the run ends), it also gives what is
// left of each pool back to its source, to be served first.
func (s *vmSession) drainServers(unread bool) {
	for _, vs := range s.servers {
		b := vs.block
		// In the order the guest did them: a descriptor's flags and
		// listing may have changed before it was closed, never after.
		for fd := range uint32(descRecs) {
			rec := b + srvDesc + uint64(fd)*descRecSize
			if s.get32(rec+descDirty) != 0 {
				s.put32(rec+descDirty, 0)
				vs.srv.SetFdflags(fd, uint64(binary.LittleEndian.Uint16(s.data[rec+descFdflags:])))
			}
			if s.get32(rec+descDirRead) != 0 {
				s.put32(rec+descDirRead, 0)
				vs.srv.DirRead(fd)
			}
		}
		if n := s.get32(b + srvClosedN); n != 0 {
			s.put32(b+srvClosedN, 0)
			// CloseLater closes only what Closable allows.
			for i := range min(n, maxGuestCloses) {
				vs.srv.CloseLater(s.get32(b + srvClosed + 4*uint64(i)))
			}
		}
		if used := s.get32(b + srvWriteUsed); used != 0 {
			s.put32(b+srvWriteUsed, 0)
			// The host never follows what the guest wrote unchecked.
			if fd := s.get32(b + srvWriteFD); used <= vmWriteBuffer && vs.srv.Buffered(fd) {
				vs.srv.WriteBuffered(s.cs.ctx, fd, s.data[vs.wbuf:vs.wbuf+uint64(used)])
			}
		}
		if pos := s.get32(b + srvRandPos); unread && pos < randPoolSize {
			vs.srv.UnreadRandom(s.data[b+srvRandPool+uint64(pos) : b+srvRandPool+randPoolSize])
			s.put32(b+srvRandPos, randPoolSize)
		}
	}
}
