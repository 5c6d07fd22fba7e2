package amd64

import (
	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/store"
)

// Guest routines: code in every VM-target module that serves some of
// WASI's calls in the guest (store.Guest), from data the host publishes
// in the VM's data region and refreshes at every exit, so that they cost
// no exit. A routine is called as the host function it serves would be,
// through a record of its own (guestRecData, guestRecFallback) whose
// state block is the caller's, so that R13 and R12 are the caller's
// memory; the call's parameters are in the frame's first slots and the
// errno goes to the first. Whatever a routine cannot serve exactly as
// the host function would (an address outside memory, a descriptor it
// has no data for, more than its data holds), it passes to the host
// function, as a call of it would: the guest sees the same results
// either way.

// vmGuestRoutines is the code offset of every VM-target module's table
// of guest routines, after the entry thunk: a jump to the routine of
// kind k at vmGuestRoutines+8*k.
const vmGuestRoutines = 64

// vmGuestRoutine returns the code offset at which a call of the routine
// of kind k enters.
func vmGuestRoutine(k store.GuestKind) uint64 { return vmGuestRoutines + 8*uint64(k) }

// Fields of a guest routine's record beyond those of a function's: the
// guest address of its server's data, and of the record of the host
// function that serves what the routine does not.
var (
	guestRecData     = int32(vmFuncRecord)
	guestRecFallback = int32(vmFuncRecord) + 8
)

// The data of one caller's server (store.GuestServer) in the guest,
// which the host publishes and refreshes at every exit.
const (
	// The clocks, anchored at every exit: the guest's time-stamp
	// counter at the anchor, the nanoseconds per tick in 32.32 fixed
	// point, the realtime and monotonic clocks at the anchor, and the
	// last monotonic time returned.
	clockTSC      = 0
	clockMult     = 8
	clockBase     = 16 // realtime; monotonic at clockBase+8
	clockLastMono = 32
	// The arguments and the environment, each as a list (strCount ...).
	srvArgs    = 40
	srvEnviron = srvArgs + strListSize
	// The random pool: the next byte's index and the pool's length, both
	// u32, then the bytes.
	srvRandPos  = srvEnviron + strListSize
	srvRandLen  = srvRandPos + 4
	srvRandPool = srvRandLen + 4
	// Descriptors 0 to descRecs-1, a record each (desc...).
	srvDesc = srvRandPool + randPoolSize
	// The write buffer: the descriptors that may be buffered (a bit per
	// descriptor below 32), the one the buffer holds writes to, the bytes
	// it holds and can hold (all u32), and its guest address.
	srvWriteMask = srvDesc + descRecs*descRecSize
	srvWriteFD   = srvWriteMask + 4
	srvWriteUsed = srvWriteFD + 4
	srvWriteCap  = srvWriteUsed + 4
	srvWriteBuf  = srvWriteCap + 4
	// The descriptors the guest closed and the host has not (u32 each),
	// in order, after their count (u32).
	srvClosedN = srvWriteBuf + 8
	srvClosed  = srvClosedN + 4
	srvSize    = srvClosed + 4*maxGuestCloses

	// A list of strings: their count and the bytes they take, NULs
	// included (u32 each), then the guest addresses of the strings,
	// NUL-separated, and of a u32 offset of each in them.
	strCount    = 0
	strSize     = 4
	strBlob     = 8
	strOffsets  = 16
	strListSize = 24

	randPoolSize = 512

	// A descriptor's record: the errno fd_fdstat_get fails with (u32),
	// the one fd_prestat_get fails with (u32; descAskHost if the host
	// must answer), fd_fdstat_get's record, a word that is not zero
	// while the guest changed the flags in it and the host has not
	// applied them, one that is not zero if the guest may close it
	// (store.GuestServer.Closable), the cookie from which fd_readdir
	// reads nothing (u64; 0 for none), a word that is not zero once the
	// guest answered such a call and the host has not recorded it, and
	// the name of a preopened directory: its length (u32) and up to
	// descNameMax bytes.
	descRecs      = 32
	descRecSize   = 128
	descStatErr   = 0
	descPreErr    = 4
	descStat      = 8
	descDirty     = 32
	descClosable  = 36
	descDirEnd    = 40
	descDirRead   = 48
	descNameLen   = 52
	descName      = 56
	descNameMax   = descRecSize - descName
	descAskHost   = 1<<32 - 1
	descFdflags   = descStat + 2 // u16
	descRights    = descStat + 8 // u64
	fdflagsAll    = 1<<5 - 1     // append, dsync, nonblock, rsync, sync
	fdflagsSync   = 1<<1 | 1<<3 | 1<<4
	rightSetFlags = 1 << 3 // fd_fdstat_set_flags
	// maxGuestIovs bounds the iovecs of a write the guest buffers.
	maxGuestIovs = 64
	// maxGuestCloses is how many descriptors the guest may close
	// between two exits: a descriptor it closed stays closed to it
	// until the next exit, so it can close each of those with a record
	// once.
	maxGuestCloses = descRecs
	// WASI's errnos the routines answer with themselves.
	errnoBadf       = 8
	errnoInval      = 28
	errnoNotCapable = 76
)

// emitGuestRoutines emits the table of guest routines and the routines.
func emitGuestRoutines(g *gen) {
	a := &g.a
	routines := [store.GuestKinds]func(*gen, *asm.Label){
		store.GuestClockTimeGet:     emitGuestClock,
		store.GuestArgsSizesGet:     func(g *gen, fb *asm.Label) { emitGuestSizes(g, fb, srvArgs) },
		store.GuestArgsGet:          func(g *gen, fb *asm.Label) { emitGuestStrings(g, fb, srvArgs) },
		store.GuestEnvironSizesGet:  func(g *gen, fb *asm.Label) { emitGuestSizes(g, fb, srvEnviron) },
		store.GuestEnvironGet:       func(g *gen, fb *asm.Label) { emitGuestStrings(g, fb, srvEnviron) },
		store.GuestRandomGet:        emitGuestRandom,
		store.GuestFdWrite:          emitGuestWrite,
		store.GuestFdFdstatGet:      emitGuestFdstat,
		store.GuestFdPrestatGet:     emitGuestPrestat,
		store.GuestFdPrestatDirName: emitGuestPrestatName,
		store.GuestFdFdstatSetFlags: emitGuestSetFlags,
		store.GuestFdClose:          emitGuestClose,
		store.GuestFdReaddir:        emitGuestReaddir,
	}
	start := a.Len()
	labels := make([]*asm.Label, len(routines))
	for k := range routines {
		labels[k] = a.NewLabel()
		for a.Len() < start+8*k {
			a.Nop()
		}
		if routines[k] == nil {
			a.Ud2()
			continue
		}
		a.Jmp32(labels[k])
	}
	fallback := a.NewLabel()
	for k, emit := range routines {
		if emit == nil {
			continue
		}
		a.AlignTo(16)
		a.Bind(labels[k])
		// R8 keeps the record for the fallback.
		a.MovRR(asm.W64, asm.R8, asm.RAX)
		a.Load(asm.W64, asm.RSI, asm.M(asm.R8, guestRecData))
		emit(g, fallback)
	}
	// The fallback calls the host function, as a call of it would.
	a.Bind(fallback)
	a.Load(asm.W64, asm.RAX, asm.M(asm.R8, guestRecFallback))
	a.Store(asm.W64, asm.M(rCtx, ctxExitPtr), asm.RAX)
	a.Store(asm.W64, asm.M(rCtx, ctxExitArgs), rFP)
	g.storeExit(exitCall, 0)
	a.Call(g.exitStub)
	a.Ret()
}

// guestSuccess ends a routine with errno 0.
func guestSuccess(a *asm.Asm) {
	a.StoreImm(asm.W64, slot(0), 0)
	a.Ret()
}

// guestCheck jumps to fallback unless the n bytes at the memory offset
// in off lie inside memory; scratch is clobbered.
func guestCheck(a *asm.Asm, off asm.Reg, n int32, scratch asm.Reg, fallback *asm.Label) {
	a.Lea(asm.W64, scratch, asm.M(off, n))
	a.Alu(asm.AluCmp, asm.W64, scratch, rMemLen)
	a.Jcc(asm.CondA, fallback)
}

// emitGuestClock serves clock_time_get(id, precision, address): clocks
// 0 and 1 from the time-stamp counter, scaled from the host's anchor;
// the monotonic one never returns less than it did before. An address
// outside memory is EFAULT, as the host function answers.
func emitGuestClock(g *gen, fallback *asm.Label) {
	a := &g.a
	fault, put := a.NewLabel(), a.NewLabel()
	a.Load(asm.W32, asm.RCX, slot(0))
	a.AluImm(asm.AluCmp, asm.W32, asm.RCX, 1)
	a.Jcc(asm.CondA, fallback)
	a.Raw(0x0F, 0x31) // rdtsc: edx:eax
	a.ShiftImm(asm.ShShl, asm.W64, asm.RDX, 32)
	a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RDX)
	a.AluLoad(asm.AluSub, asm.W64, asm.RAX, asm.M(asm.RSI, clockTSC))
	a.Load(asm.W64, asm.RDX, asm.M(asm.RSI, clockMult))
	a.Mul(asm.W64, asm.RDX) // rdx:rax = ticks * ns per tick << 32
	a.ShiftImm(asm.ShShr, asm.W64, asm.RAX, 32)
	a.ShiftImm(asm.ShShl, asm.W64, asm.RDX, 32)
	a.Alu(asm.AluOr, asm.W64, asm.RAX, asm.RDX)
	a.AluLoad(asm.AluAdd, asm.W64, asm.RAX, asm.MI(asm.RSI, asm.RCX, 8, clockBase))
	a.Test(asm.W32, asm.RCX, asm.RCX)
	a.Jcc(asm.CondE, put)
	a.Load(asm.W64, asm.RDX, asm.M(asm.RSI, clockLastMono))
	a.Alu(asm.AluCmp, asm.W64, asm.RAX, asm.RDX)
	a.Cmov(asm.CondB, asm.W64, asm.RAX, asm.RDX)
	a.Store(asm.W64, asm.M(asm.RSI, clockLastMono), asm.RAX)
	a.Bind(put)
	a.Load(asm.W32, asm.RDX, slot(2))
	a.Lea(asm.W64, asm.RDI, asm.M(asm.RDX, 8))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fault)
	a.Store(asm.W64, asm.MI(rMem, asm.RDX, 1, 0), asm.RAX)
	guestSuccess(a)
	a.Bind(fault)
	a.StoreImm(asm.W64, slot(0), store.GuestFault)
	a.Ret()
}

// emitGuestSizes serves args_sizes_get or environ_sizes_get(count
// address, size address) from the list at list in the server's data.
func emitGuestSizes(g *gen, fallback *asm.Label, list int32) {
	a := &g.a
	a.Load(asm.W32, asm.RDX, slot(0))
	guestCheck(a, asm.RDX, 4, asm.RDI, fallback)
	a.Load(asm.W32, asm.RCX, slot(1))
	guestCheck(a, asm.RCX, 4, asm.RDI, fallback)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, list+strCount))
	a.Store(asm.W32, asm.MI(rMem, asm.RDX, 1, 0), asm.RAX)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, list+strSize))
	a.Store(asm.W32, asm.MI(rMem, asm.RCX, 1, 0), asm.RAX)
	guestSuccess(a)
}

// emitGuestStrings serves args_get or environ_get(pointers address,
// buffer address) from the list at list in the server's data: the
// strings into the buffer, the address of each into the pointers. The
// host function writes both areas one string at a time, so areas that
// overlap go to it.
func emitGuestStrings(g *gen, fallback *asm.Label, list int32) {
	a := &g.a
	loop, done := a.NewLabel(), a.NewLabel()
	a.Load(asm.W32, asm.R9, asm.M(asm.RSI, list+strCount))
	a.Load(asm.W32, asm.RDX, slot(0)) // the pointers
	a.Lea(asm.W64, asm.R11, asm.MI(asm.RDX, asm.R9, 4, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.R11, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Load(asm.W32, asm.R10, slot(1)) // the buffer
	a.Load(asm.W32, asm.RCX, asm.M(asm.RSI, list+strSize))
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.R10, asm.RCX, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fallback)
	// Overlap: pointers < buffer end and buffer < pointers end.
	disjoint := a.NewLabel()
	a.Alu(asm.AluCmp, asm.W64, asm.RDX, asm.RDI)
	a.Jcc(asm.CondAE, disjoint)
	a.Alu(asm.AluCmp, asm.W64, asm.R10, asm.R11)
	a.Jcc(asm.CondB, fallback)
	a.Bind(disjoint)
	a.Load(asm.W64, asm.R11, asm.M(asm.RSI, list+strOffsets))
	a.Load(asm.W64, asm.RSI, asm.M(asm.RSI, list+strBlob))
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.R10, 1, 0))
	a.Raw(0xF3, 0xA4) // rep movsb
	a.Test(asm.W32, asm.R9, asm.R9)
	a.Jcc(asm.CondE, done)
	a.Bind(loop)
	a.Load(asm.W32, asm.RAX, asm.M(asm.R11, 0))
	a.Alu(asm.AluAdd, asm.W32, asm.RAX, asm.R10)
	a.Store(asm.W32, asm.MI(rMem, asm.RDX, 1, 0), asm.RAX)
	a.AluImm(asm.AluAdd, asm.W64, asm.R11, 4)
	a.AluImm(asm.AluAdd, asm.W64, asm.RDX, 4)
	a.Dec(asm.W32, asm.R9)
	a.Jcc(asm.CondNE, loop)
	a.Bind(done)
	guestSuccess(a)
}

// emitGuestRandom serves random_get(buffer, length) from the pool. A
// request larger than what is left goes to the host, which gives the
// rest of the pool back to its source first, so that the guest sees the
// source's bytes in order.
func emitGuestRandom(g *gen, fallback *asm.Label) {
	a := &g.a
	a.Load(asm.W32, asm.RDX, slot(0))
	a.Load(asm.W32, asm.RCX, slot(1))
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.RDX, asm.RCX, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, srvRandPos))
	a.Load(asm.W32, asm.R9, asm.M(asm.RSI, srvRandLen))
	a.Alu(asm.AluSub, asm.W64, asm.R9, asm.RAX)
	a.Jcc(asm.CondB, fallback) // a position past the pool: refilled at the next exit
	a.Alu(asm.AluCmp, asm.W64, asm.RCX, asm.R9)
	a.Jcc(asm.CondA, fallback)
	a.Lea(asm.W64, asm.R10, asm.MI(asm.RAX, asm.RCX, 1, 0))
	a.Store(asm.W32, asm.M(asm.RSI, srvRandPos), asm.R10)
	a.Lea(asm.W64, asm.RSI, asm.MI(asm.RSI, asm.RAX, 1, srvRandPool))
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RDX, 1, 0))
	a.Raw(0xF3, 0xA4) // rep movsb
	guestSuccess(a)
}

// guestDesc loads the descriptor in the first slot into RCX and
// points RCX at its record (from RSI), or jumps to fallback for a
// descriptor without one. errAt, if not negative, is the offset of the
// errno in the record that ends the routine when it is not zero.
func guestDesc(a *asm.Asm, fallback *asm.Label, errAt int32) {
	a.Load(asm.W32, asm.RCX, slot(0))
	a.AluImm(asm.AluCmp, asm.W32, asm.RCX, descRecs)
	a.Jcc(asm.CondAE, fallback)
	a.IMulImm(asm.W64, asm.RCX, asm.RCX, descRecSize)
	a.Lea(asm.W64, asm.RCX, asm.MI(asm.RSI, asm.RCX, 1, srvDesc))
	if errAt < 0 {
		return
	}
	ok := a.NewLabel()
	a.Load(asm.W32, asm.RAX, asm.M(asm.RCX, errAt))
	a.Test(asm.W32, asm.RAX, asm.RAX)
	a.Jcc(asm.CondE, ok)
	a.AluImm(asm.AluCmp, asm.W32, asm.RAX, -1) // descAskHost
	a.Jcc(asm.CondE, fallback)
	a.Store(asm.W64, slot(0), asm.RAX)
	a.Ret()
	a.Bind(ok)
}

// emitGuestFdstat serves fd_fdstat_get(fd, address) for the first
// descriptors.
func emitGuestFdstat(g *gen, fallback *asm.Label) {
	a := &g.a
	guestDesc(a, fallback, descStatErr)
	a.Load(asm.W32, asm.RDX, slot(1))
	guestCheck(a, asm.RDX, 24, asm.RDI, fallback)
	for i := int32(0); i < 24; i += 8 {
		a.Load(asm.W64, asm.RAX, asm.M(asm.RCX, descStat+i))
		a.Store(asm.W64, asm.MI(rMem, asm.RDX, 1, i), asm.RAX)
	}
	guestSuccess(a)
}

// emitGuestPrestat serves fd_prestat_get(fd, address): a directory
// (tag 0) and the length of its name.
func emitGuestPrestat(g *gen, fallback *asm.Label) {
	a := &g.a
	guestDesc(a, fallback, descPreErr)
	a.Load(asm.W32, asm.RDX, slot(1))
	guestCheck(a, asm.RDX, 8, asm.RDI, fallback)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RCX, descNameLen))
	a.ShiftImm(asm.ShShl, asm.W64, asm.RAX, 32)
	a.Store(asm.W64, asm.MI(rMem, asm.RDX, 1, 0), asm.RAX)
	guestSuccess(a)
}

// emitGuestPrestatName serves fd_prestat_dir_name(fd, address, length)
// where the length holds the name; the host reports the error of one
// that does not.
func emitGuestPrestatName(g *gen, fallback *asm.Label) {
	a := &g.a
	guestDesc(a, fallback, descPreErr)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RCX, descNameLen))
	a.AluLoad(asm.AluCmp, asm.W32, asm.RAX, slot(2))
	a.Jcc(asm.CondA, fallback)
	a.Load(asm.W32, asm.RDX, slot(1))
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.RDX, asm.RAX, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Lea(asm.W64, asm.RSI, asm.M(asm.RCX, descName))
	a.Lea(asm.W64, asm.RDI, asm.MI(rMem, asm.RDX, 1, 0))
	a.MovRR(asm.W64, asm.RCX, asm.RAX)
	a.Raw(0xF3, 0xA4) // rep movsb
	guestSuccess(a)
}

// emitGuestSetFlags serves fd_fdstat_set_flags(fd, flags): where the
// change is valid, it sets the flags in the descriptor's record and
// marks them for the host to apply; otherwise it fails as the host
// does, with ENOTCAPABLE for a descriptor without the right (checked
// first) and EINVAL for flags that are unknown or change the
// synchronous-write ones, which are fixed at open. Go sets flags on
// descriptors that lack the right and ignores the error.
func emitGuestSetFlags(g *gen, fallback *asm.Label) {
	a := &g.a
	notCapable, invalid := a.NewLabel(), a.NewLabel()
	guestDesc(a, fallback, descStatErr)
	a.Load(asm.W64, asm.RAX, asm.M(asm.RCX, descRights))
	a.TestImm(asm.W64, asm.RAX, rightSetFlags)
	a.Jcc(asm.CondE, notCapable)
	a.Load(asm.W64, asm.RDX, slot(1))
	a.TestImm(asm.W64, asm.RDX, ^int32(fdflagsAll))
	a.Jcc(asm.CondNE, invalid)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RCX, descFdflags))
	a.Alu(asm.AluXor, asm.W32, asm.RAX, asm.RDX)
	a.TestImm(asm.W32, asm.RAX, fdflagsSync)
	a.Jcc(asm.CondNE, invalid)
	a.Store(asm.W16, asm.M(asm.RCX, descFdflags), asm.RDX)
	a.StoreImm(asm.W32, asm.M(asm.RCX, descDirty), 1)
	guestSuccess(a)
	a.Bind(notCapable)
	a.StoreImm(asm.W64, slot(0), errnoNotCapable)
	a.Ret()
	a.Bind(invalid)
	a.StoreImm(asm.W64, slot(0), errnoInval)
	a.Ret()
}

// emitGuestClose serves fd_close(fd) of a descriptor the host says
// may be closed later: the record says it is closed, and it joins the
// descriptors the host closes before it serves the next exit, which is
// the first moment anyone but the guest could tell. A descriptor
// without a record, one the host must close itself, or one past
// maxGuestCloses goes to the host.
func emitGuestClose(g *gen, fallback *asm.Label) {
	a := &g.a
	guestDesc(a, fallback, -1)
	a.TestMemImm(asm.W32, asm.M(asm.RCX, descClosable), -1)
	a.Jcc(asm.CondE, fallback)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, srvClosedN))
	a.AluImm(asm.AluCmp, asm.W32, asm.RAX, maxGuestCloses)
	a.Jcc(asm.CondAE, fallback)
	a.Load(asm.W32, asm.RDX, slot(0))
	a.Store(asm.W32, asm.MI(asm.RSI, asm.RAX, 4, srvClosed), asm.RDX)
	a.AluImm(asm.AluAdd, asm.W32, asm.RAX, 1)
	a.Store(asm.W32, asm.M(asm.RSI, srvClosedN), asm.RAX)
	// Closed, as far as the guest's routines can tell.
	a.StoreImm(asm.W32, asm.M(asm.RCX, descStatErr), errnoBadf)
	a.StoreImm(asm.W32, asm.M(asm.RCX, descPreErr), errnoBadf)
	a.StoreImm(asm.W32, asm.M(asm.RCX, descClosable), 0)
	a.StoreImm(asm.W64, asm.M(asm.RCX, descDirEnd), 0)
	guestSuccess(a)
}

// emitGuestReaddir serves fd_readdir(fd, buffer, length, cookie, used
// address) from the end of the listing the host holds for fd on: it
// reads nothing. Any other cookie, and areas outside memory, go to the
// host.
func emitGuestReaddir(g *gen, fallback *asm.Label) {
	a := &g.a
	guestDesc(a, fallback, -1)
	a.Load(asm.W64, asm.RAX, asm.M(asm.RCX, descDirEnd))
	a.Test(asm.W64, asm.RAX, asm.RAX)
	a.Jcc(asm.CondE, fallback)
	a.AluLoad(asm.AluCmp, asm.W64, asm.RAX, slot(3))
	a.Jcc(asm.CondA, fallback) // a cookie before the end
	a.Load(asm.W32, asm.RDX, slot(1))
	a.Load(asm.W32, asm.RAX, slot(2))
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.RDX, asm.RAX, 1, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Load(asm.W32, asm.RDX, slot(4))
	guestCheck(a, asm.RDX, 4, asm.RDI, fallback)
	a.StoreImm(asm.W32, asm.MI(rMem, asm.RDX, 1, 0), 0)
	a.StoreImm(asm.W32, asm.M(asm.RCX, descDirRead), 1)
	guestSuccess(a)
}

// emitGuestWrite serves fd_write(fd, iovecs, count, written address) to
// a descriptor the host says may be buffered: the data goes to the
// buffer, which the host writes out at the next exit. A write that does
// not fit, or to another descriptor than the one the buffer holds
// writes to, goes to the host, which writes the buffer out first.
func emitGuestWrite(g *gen, fallback *asm.Label) {
	a := &g.a
	sum, summed, copyIov, copied, sameFD := a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel(), a.NewLabel()
	a.Load(asm.W32, asm.RCX, slot(0))
	a.AluImm(asm.AluCmp, asm.W32, asm.RCX, 32)
	a.Jcc(asm.CondAE, fallback)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, srvWriteMask))
	a.Shift(asm.ShShr, asm.W32, asm.RAX) // by CL
	a.TestImm(asm.W32, asm.RAX, 1)
	a.Jcc(asm.CondE, fallback)
	a.TestMemImm(asm.W32, asm.M(asm.RSI, srvWriteUsed), -1)
	a.Jcc(asm.CondE, sameFD)
	a.AluLoad(asm.AluCmp, asm.W32, asm.RCX, asm.M(asm.RSI, srvWriteFD))
	a.Jcc(asm.CondNE, fallback)
	a.Bind(sameFD)
	a.Load(asm.W32, asm.RDX, slot(1)) // the iovecs
	a.Load(asm.W32, asm.R9, slot(2))  // their count
	a.AluImm(asm.AluCmp, asm.W32, asm.R9, maxGuestIovs)
	a.Jcc(asm.CondA, fallback)
	a.Lea(asm.W64, asm.RDI, asm.MI(asm.RDX, asm.R9, 8, 0))
	a.Alu(asm.AluCmp, asm.W64, asm.RDI, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Load(asm.W32, asm.R10, slot(3))
	guestCheck(a, asm.R10, 4, asm.RDI, fallback)
	// Sum the lengths, checking each buffer: R11 the total, RDI the
	// iovec, RAX those left.
	a.Alu(asm.AluXor, asm.W32, asm.R11, asm.R11)
	a.MovRR(asm.W64, asm.RDI, asm.RDX)
	a.MovRR(asm.W32, asm.RAX, asm.R9)
	a.Bind(sum)
	a.Test(asm.W32, asm.RAX, asm.RAX)
	a.Jcc(asm.CondE, summed)
	a.Load(asm.W32, asm.R10, asm.MI(rMem, asm.RDI, 1, 0))
	a.Load(asm.W32, asm.RCX, asm.MI(rMem, asm.RDI, 1, 4))
	a.Alu(asm.AluAdd, asm.W64, asm.R10, asm.RCX)
	a.Alu(asm.AluCmp, asm.W64, asm.R10, rMemLen)
	a.Jcc(asm.CondA, fallback)
	a.Alu(asm.AluAdd, asm.W64, asm.R11, asm.RCX)
	a.AluImm(asm.AluAdd, asm.W64, asm.RDI, 8)
	a.Dec(asm.W32, asm.RAX)
	a.Jmp(sum)
	a.Bind(summed)
	a.Load(asm.W32, asm.RAX, asm.M(asm.RSI, srvWriteUsed))
	a.Lea(asm.W64, asm.RCX, asm.MI(asm.RAX, asm.R11, 1, 0))
	a.Load(asm.W32, asm.RDI, asm.M(asm.RSI, srvWriteCap))
	a.Alu(asm.AluCmp, asm.W64, asm.RCX, asm.RDI)
	a.Jcc(asm.CondA, fallback)
	// It fits: account for it, then copy each buffer.
	a.Store(asm.W32, asm.M(asm.RSI, srvWriteUsed), asm.RCX)
	a.Load(asm.W32, asm.RCX, slot(0))
	a.Store(asm.W32, asm.M(asm.RSI, srvWriteFD), asm.RCX)
	a.Load(asm.W64, asm.RDI, asm.M(asm.RSI, srvWriteBuf))
	a.Alu(asm.AluAdd, asm.W64, asm.RDI, asm.RAX)
	a.MovRR(asm.W64, asm.R10, asm.RDX)
	a.Bind(copyIov)
	a.Test(asm.W32, asm.R9, asm.R9)
	a.Jcc(asm.CondE, copied)
	a.Load(asm.W32, asm.RSI, asm.MI(rMem, asm.R10, 1, 0))
	a.Alu(asm.AluAdd, asm.W64, asm.RSI, rMem)
	a.Load(asm.W32, asm.RCX, asm.MI(rMem, asm.R10, 1, 4))
	a.Raw(0xF3, 0xA4) // rep movsb
	a.AluImm(asm.AluAdd, asm.W64, asm.R10, 8)
	a.Dec(asm.W32, asm.R9)
	a.Jmp(copyIov)
	a.Bind(copied)
	a.Load(asm.W32, asm.R10, slot(3))
	a.Store(asm.W32, asm.MI(rMem, asm.R10, 1, 0), asm.R11)
	guestSuccess(a)
}
