package x86

// Vector is an exception vector (SDM 6.3.1, Table 6-1).
type Vector uint8

// The exception vectors a ring-3 guest can raise.
const (
	DE  Vector = 0  // divide error
	DB  Vector = 1  // debug
	NMI Vector = 2  // non-maskable interrupt
	BP  Vector = 3  // breakpoint (int3)
	OF  Vector = 4  // overflow (into)
	BR  Vector = 5  // bound range exceeded
	UD  Vector = 6  // invalid opcode (ud2)
	NM  Vector = 7  // device not available
	DF  Vector = 8  // double fault
	TS  Vector = 10 // invalid TSS
	NP  Vector = 11 // segment not present
	SS  Vector = 12 // stack-segment fault
	GP  Vector = 13 // general protection
	PF  Vector = 14 // page fault
	MF  Vector = 16 // x87 floating-point error
	AC  Vector = 17 // alignment check
	MC  Vector = 18 // machine check
	XM  Vector = 19 // SIMD floating-point exception
	VE  Vector = 20 // virtualization exception
	CP  Vector = 21 // control protection
)

var vectorNames = [NumVectors]string{
	DE:  "#DE divide error",
	DB:  "#DB debug",
	NMI: "NMI",
	BP:  "#BP breakpoint",
	OF:  "#OF overflow",
	BR:  "#BR bound range exceeded",
	UD:  "#UD invalid opcode",
	NM:  "#NM device not available",
	DF:  "#DF double fault",
	9:   "coprocessor segment overrun",
	TS:  "#TS invalid TSS",
	NP:  "#NP segment not present",
	SS:  "#SS stack-segment fault",
	GP:  "#GP general protection",
	PF:  "#PF page fault",
	MF:  "#MF x87 floating-point error",
	AC:  "#AC alignment check",
	MC:  "#MC machine check",
	XM:  "#XM SIMD floating-point exception",
	VE:  "#VE virtualization exception",
	CP:  "#CP control protection",
}

// String names the vector, e.g. "#PF page fault".
func (v Vector) String() string {
	if int(v) < len(vectorNames) && vectorNames[v] != "" {
		return vectorNames[v]
	}
	return "vector " + itoa(uint64(v))
}

// HasErrorCode reports whether the CPU pushes an error code for v
// (SDM 6.13 "Error Code").
func (v Vector) HasErrorCode() bool {
	switch v {
	case DF, TS, NP, SS, GP, PF, AC, CP, 29, 30:
		return true
	}
	return false
}

// Page-fault error-code bits (SDM 4.7, Figure 4-12).
const (
	PFPresent = 1 << 0 // the page was present: a protection violation
	PFWrite   = 1 << 1
	PFUser    = 1 << 2
	PFRsvd    = 1 << 3
	PFFetch   = 1 << 4
)

// Frame is the exception frame the CPU pushes on the ring-0 stack when an
// exception interrupts ring 3 (SDM 6.14.2, Figure 6-9), without the
// optional error code.
type Frame struct {
	RIP, CS, RFLAGS, RSP, SS uint64
}

// FrameSize is the size in bytes of Frame on the stack.
const FrameSize = 5 * 8

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
