package x86

import (
	"encoding/binary"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
)

// Control-register bits (SDM 2.5 "Control Registers").
const (
	CR0PE = 1 << 0  // protected mode
	CR0MP = 1 << 1  // monitor coprocessor: wait/fwait honours TS
	CR0ET = 1 << 4  // extension type, fixed to 1
	CR0NE = 1 << 5  // native x87 error reporting (#MF, not IRQ 13)
	CR0WP = 1 << 16 // ring 0 honours read-only pages too
	CR0PG = 1 << 31 // paging

	CR4PAE        = 1 << 5  // 64-bit page-table entries, required for long mode
	CR4OSFXSR     = 1 << 9  // SSE instructions and fxsave are enabled
	CR4OSXMMEXCPT = 1 << 10 // unmasked SSE exceptions raise #XM
	CR4UMIP       = 1 << 11 // sgdt, sidt, sldt, smsw and str fault in ring 3
	CR4SMEP       = 1 << 20 // ring 0 never executes user pages
)

// EFER bits (SDM 2.2.1 "Extended Feature Enable Register").
const (
	EFERSCE = 1 << 0  // syscall/sysret; left off, so syscall is #UD
	EFERLME = 1 << 8  // long mode enable
	EFERLMA = 1 << 10 // long mode active
	EFERNXE = 1 << 11 // the no-execute page bit is honoured
)

// RFLAGS bits (SDM Vol. 1, 3.4.3 "EFLAGS Register").
const (
	RFLAGSFixed = 1 << 1 // reserved, always reads 1
	RFLAGSIF    = 1 << 9
)

// Segment selectors of the GDT built by EncodeGDT: index<<3 | RPL.
const (
	KernelCS = 1 << 3
	KernelDS = 2 << 3
	UserDS   = 3<<3 | 3
	UserCS   = 4<<3 | 3
	TSSSel   = 5 << 3

	gdtEntries = 7 // null, four segments, and the 16-byte TSS descriptor
	// GDTSize is the size in bytes of the GDT built by EncodeGDT.
	GDTSize = gdtEntries * 8
)

// Descriptor access and flag bits (SDM 3.4.5 "Segment Descriptors").
const (
	accPresent  = 0x80
	accCodeData = 0x10 // S: code or data rather than system
	accCode     = 0x0B // execute/read, accessed
	accData     = 0x03 // read/write, accessed
	accTSSBusy  = 0x0B // 64-bit TSS, busy (SDM 7.2.3)

	flagGran = 0x8 // limit in 4 KiB units
	flagDB   = 0x4 // 32-bit default size (data segments)
	flagLong = 0x2 // 64-bit code segment
)

func descriptor(base, limit uint32, access, flags uint8) uint64 {
	return uint64(limit&0xFFFF) |
		uint64(base&0xFFFFFF)<<16 |
		uint64(access)<<40 |
		uint64(limit>>16&0xF)<<48 |
		uint64(flags)<<52 |
		uint64(base>>24)<<56
}

// EncodeGDT writes the guest's GDT into buf (at least GDTSize bytes): flat
// 64-bit code and data segments for ring 0 and ring 3, and a TSS
// descriptor for the TSS at tssBase with limit tssLimit.
func EncodeGDT(buf []byte, tssBase uint64, tssLimit uint32) error {
	if len(buf) < GDTSize {
		return fmt.Errorf("GDT needs %d bytes, have %d", GDTSize, len(buf))
	}
	entries := [gdtEntries]uint64{
		0,
		descriptor(0, 0xFFFFF, accPresent|accCodeData|accCode, flagGran|flagLong),
		descriptor(0, 0xFFFFF, accPresent|accCodeData|accData, flagGran|flagDB),
		descriptor(0, 0xFFFFF, accPresent|3<<5|accCodeData|accData, flagGran|flagDB),
		descriptor(0, 0xFFFFF, accPresent|3<<5|accCodeData|accCode, flagGran|flagLong),
		// A system descriptor is 16 bytes in long mode: the second half
		// holds bits 63:32 of the base (SDM 7.2.3).
		descriptor(uint32(tssBase), tssLimit, accPresent|accTSSBusy, 0),
		tssBase >> 32,
	}
	for i, e := range entries {
		binary.LittleEndian.PutUint64(buf[i*8:], e)
	}
	return nil
}

// TSS layout (SDM 8.7 "Task Management in 64-bit Mode", Figure 8-11).
const (
	tssRSP0   = 4
	tssIOBase = 102
	// TSSHeaderSize is the size of the 64-bit TSS before its I/O bitmap.
	TSSHeaderSize = 104
)

// EncodeTSS writes a 64-bit TSS into buf whose ring-0 stack pointer is
// rsp0 and whose I/O permission bitmap allows ring 3 exactly the ports in
// allowed (SDM Vol. 1, 19.5.2 "I/O Permission Bit Map"). The bitmap ends
// after the highest allowed port: ports beyond the TSS limit are denied,
// so it needs no more bytes. It returns the TSS limit for the descriptor
// and TR.
func EncodeTSS(buf []byte, rsp0 uint64, allowed ...uint16) (limit uint32, err error) {
	var high uint16
	for _, p := range allowed {
		high = max(high, p)
	}
	// One bit per port up to high, plus the all-ones byte the CPU may
	// read past the last bitmap byte (it reads two bytes per check).
	size := TSSHeaderSize + int(high)/8 + 2
	if len(buf) < size {
		return 0, fmt.Errorf("TSS with I/O bitmap up to port %#x needs %d bytes, have %d", high, size, len(buf))
	}
	clear(buf[:size])
	binary.LittleEndian.PutUint64(buf[tssRSP0:], rsp0)
	binary.LittleEndian.PutUint16(buf[tssIOBase:], TSSHeaderSize)
	bitmap := buf[TSSHeaderSize:size]
	for i := range bitmap {
		bitmap[i] = 0xFF
	}
	for _, p := range allowed {
		bitmap[p/8] &^= 1 << (p % 8)
	}
	return uint32(size - 1), nil
}

// NumVectors is the number of IDT gates: the architecture's exception
// vectors. The guest takes no interrupts, so no further gates exist and
// any other vector would fault as #GP.
const NumVectors = 32

// IDTSize is the size in bytes of the IDT built by EncodeIDT.
const IDTSize = NumVectors * 16

// EncodeIDT writes an IDT into buf (at least IDTSize bytes) whose gate for
// each vector v is a ring-0 interrupt gate to stubs+v*StubSize. The gates
// have DPL 0, so ring 3 cannot reach them with int n (SDM 6.12.1.1).
func EncodeIDT(buf []byte, stubs uint64) error {
	if len(buf) < IDTSize {
		return fmt.Errorf("IDT needs %d bytes, have %d", IDTSize, len(buf))
	}
	const interruptGate = 0x8E // present, DPL 0, 64-bit interrupt gate
	for v := range uint64(NumVectors) {
		target := stubs + v*StubSize
		lo := target&0xFFFF | KernelCS<<16 | interruptGate<<40 | (target>>16&0xFFFF)<<48
		binary.LittleEndian.PutUint64(buf[v*16:], lo)
		binary.LittleEndian.PutUint64(buf[v*16+8:], target>>32)
	}
	return nil
}

// StubSize is the spacing of the exception stubs.
const StubSize = 8

// StubOutEnd is the offset in a stub just after its out instruction.
const StubOutEnd = 4

// StubsSize is the size in bytes of the stubs built by EncodeStubs.
const StubsSize = NumVectors * StubSize

// EncodeStubs writes the ring-0 exception stubs into buf. The stub for
// vector v is
//
//	mov al, v
//	out port, al
//	hlt
//
// Ring 0 runs slowly under nested virtualization, so a stub does the
// least that lets the host see the fault: the vector in the port data,
// the exception frame on the ring-0 stack where the CPU pushed it. The
// host never resumes a stub; the hlt only catches a monitor bug.
func EncodeStubs(buf []byte, port uint8) error {
	if len(buf) < StubsSize {
		return fmt.Errorf("exception stubs need %d bytes, have %d", StubsSize, len(buf))
	}
	var a amd64.Asm
	for v := range NumVectors {
		a.Reset()
		a.MovImm(amd64.W8, amd64.RAX, uint64(v))
		a.Out(port)
		if a.Len() != StubOutEnd {
			return fmt.Errorf("exception stub's out ends at %d, not at StubOutEnd %d", a.Len(), StubOutEnd)
		}
		for a.Len() < StubSize {
			a.Hlt()
		}
		code, err := a.Finish()
		if err != nil {
			return err
		}
		copy(buf[v*StubSize:], code)
	}
	return nil
}

// TSSType is the descriptor type TR holds for the guest's 64-bit TSS
// (SDM 3.5 "System Descriptor Types"). The guest never loads TR itself:
// the host sets TR's hidden part directly, and CPUs differ in which type
// they accept there.
type TSSType uint8

const (
	// TSSBusy is a busy TSS (type 0xB): what ltr leaves in TR, and the
	// only type Intel VMX accepts in the guest's TR at VM entry (SDM
	// Vol. 3C, "Checks on Guest Segment Registers").
	TSSBusy TSSType = accTSSBusy
	// TSSAvailable is an available TSS (type 9). QEMU's emulated CPU
	// checks ring-3 I/O against the TSS only when TR holds this type
	// (its ltr caches the descriptor before marking it busy), and raises
	// #GP with a busy one.
	TSSAvailable TSSType = 0x09
)

func (t TSSType) String() string {
	switch t {
	case TSSBusy:
		return "busy TSS (type 0xB)"
	case TSSAvailable:
		return "available TSS (type 9)"
	}
	return fmt.Sprintf("TSS type %#x", uint8(t))
}

// Layout is where the descriptor tables and paging root of a guest are.
type Layout struct {
	GDT, IDT, TSS uint64 // guest-virtual addresses
	TSSLimit      uint32
	// TRType is the type TR holds; zero means TSSBusy. The GDT's
	// descriptor stays busy whatever TR holds: only ltr and task
	// switches read it, and neither happens in this guest.
	TRType TSSType
	CR3    uint64 // guest-physical address of the PML4
	// CR4 holds extra CR4 bits (such as CR4UMIP) the vCPU's CPUID allows.
	CR4 uint64
}

// UserSregs returns the special registers for running in 64-bit ring 3
// with paging on and the given tables loaded. Segment bases are zero:
// addresses are flat, and only the page tables confine the guest.
func UserSregs(l Layout) kvm.Sregs {
	code := kvm.Segment{Limit: 0xFFFFFFFF, Selector: UserCS, Type: accCode, Present: 1, DPL: 3, S: 1, L: 1, G: 1}
	data := kvm.Segment{Limit: 0xFFFFFFFF, Selector: UserDS, Type: accData, Present: 1, DPL: 3, S: 1, DB: 1, G: 1}
	tr := l.TRType
	if tr == 0 {
		tr = TSSBusy
	}
	return kvm.Sregs{
		CS: code, SS: data, DS: data, ES: data, FS: data, GS: data,
		TR:   kvm.Segment{Base: l.TSS, Limit: l.TSSLimit, Selector: TSSSel, Type: uint8(tr), Present: 1},
		LDT:  kvm.Segment{Type: 2, Present: 1, Unusable: 1},
		GDT:  kvm.DTable{Base: l.GDT, Limit: GDTSize - 1},
		IDT:  kvm.DTable{Base: l.IDT, Limit: IDTSize - 1},
		CR0:  CR0PE | CR0MP | CR0ET | CR0NE | CR0WP | CR0PG,
		CR3:  l.CR3,
		CR4:  CR4PAE | CR4OSFXSR | CR4OSXMMEXCPT | l.CR4,
		EFER: EFERLME | EFERLMA | EFERNXE,
	}
}
