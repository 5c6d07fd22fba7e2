package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// newMonitor returns a monitor for the test, or skips the test with
// kvmtest's message where KVM cannot be used.
func newMonitor(t testing.TB, cfg Config) *Monitor {
	t.Helper()
	kvmtest.Require(t)
	m, err := NewMonitor(cfg)
	if err != nil {
		kvmtest.Skip(t, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// assemble builds guest code with emit.
func assemble(t testing.TB, emit func(a *amd64.Asm)) []byte {
	t.Helper()
	var a amd64.Asm
	emit(&a)
	code, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// hypercall emits a hypercall: mov eax, num; out HypercallPort, al.
func hypercall(a *amd64.Asm, num uint32) {
	a.MovImm(amd64.W32, amd64.RAX, uint64(num))
	a.Out(HypercallPort)
}

func newMemory(t testing.TB, pages, maxPages uint32) *linmem.Memory {
	t.Helper()
	mem, err := memoryOf(pages, maxPages)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	return mem
}

// instance is a VM with code and memory, given back when the test ends.
func instance(t testing.TB, m *Monitor, code []byte, mem *linmem.Memory) *VM {
	t.Helper()
	v := acquire(t, m, code, mem)
	t.Cleanup(func() { m.Put(v) })
	return v
}

// acquire is a VM with code and memory, which the test gives back.
func acquire(t testing.TB, m *Monitor, code []byte, mem *linmem.Memory) *VM {
	t.Helper()
	v, err := m.Get()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.LoadCode(code); err != nil {
		m.Put(v)
		t.Fatal(err)
	}
	if mem != nil {
		if err := v.AttachMemory(mem); err != nil {
			m.Put(v)
			t.Fatal(err)
		}
	}
	return v
}

// TestVM_Run_SumOverMemory runs a guest that sums the 32-bit words of its
// linear memory, hands the sum to the host with a hypercall, and returns
// what the host answered.
func TestVM_Run_SumOverMemory(t *testing.T) {
	m := newMonitor(t, Config{})
	const (
		report = 1 // report(sum) -> sum + 1
		words  = 40000
	)
	code := assemble(t, func(a *amd64.Asm) {
		// rdi = number of words
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase)           // mov rsi, MemoryBase
		a.Alu(amd64.AluXor, amd64.W32, amd64.RAX, amd64.RAX) // xor eax, eax   ; sum
		a.Alu(amd64.AluXor, amd64.W32, amd64.RCX, amd64.RCX) // xor ecx, ecx   ; index
		loop, done := a.NewLabel(), a.NewLabel()
		a.Bind(loop)
		a.Alu(amd64.AluCmp, amd64.W64, amd64.RCX, amd64.RDI)               // cmp rcx, rdi
		a.Jcc(amd64.CondAE, done)                                          // jae done
		a.Load(amd64.W32, amd64.RDX, amd64.MI(amd64.RSI, amd64.RCX, 4, 0)) // mov edx, [rsi+rcx*4]
		a.Alu(amd64.AluAdd, amd64.W64, amd64.RAX, amd64.RDX)               // add rax, rdx
		a.Inc(amd64.W64, amd64.RCX)                                        // inc rcx
		a.Jmp(loop)                                                        // jmp loop
		a.Bind(done)
		a.MovRR(amd64.W64, amd64.RDI, amd64.RAX) // mov rdi, rax
		hypercall(a, report)                     // mov eax, 1; out 0xf0, al
		a.Ret()                                  // ret           ; rax = the host's answer
	})
	mem := newMemory(t, 3, 10) // 40000 words span three 64 KiB pages
	var want uint64
	for i := range uint32(words) {
		binary.LittleEndian.PutUint32(mem.Bytes()[i*4:], i*7)
		want += uint64(i * 7)
	}
	var got uint64
	var tab Table
	if err := tab.Register(report, func(c *Call) (uint64, error) {
		got = c.Args[0]
		return c.Args[0] + 1, nil
	}); err != nil {
		t.Fatal(err)
	}
	v := instance(t, m, code, mem)
	res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{words}, Hypercalls: &tab})
	if err != nil {
		t.Fatal(err)
	}
	if got != want || res[0] != want+1 {
		t.Fatalf("host saw %d, guest returned %d; want %d and %d", got, res[0], want, want+1)
	}
}

// TestVM_Run_HostWritesMemory checks that a handler's writes through
// Call.Bytes are what the guest reads, and that bad guest pointers are
// refused.
func TestVM_Run_HostWritesMemory(t *testing.T) {
	m := newMonitor(t, Config{})
	const store = 2 // store(addr, value) -> 0 or ^0 for a bad pointer
	code := assemble(t, func(a *amd64.Asm) {
		// rdi = addr, rsi = value, rdx = a bad addr
		a.Push(amd64.RDX)   // push rdx
		a.Push(amd64.RDI)   // push rdi
		hypercall(a, store) // store(addr, value)
		a.Pop(amd64.RDI)    // pop rdi
		a.Pop(amd64.RBX)    // pop rbx       ; the bad addr
		a.MovImm(amd64.W64, amd64.RCX, MemoryBase)
		a.Alu(amd64.AluAdd, amd64.W64, amd64.RCX, amd64.RDI) // add rcx, rdi
		a.Load(amd64.W64, amd64.R12, amd64.M(amd64.RCX, 0))  // mov r12, [rcx]   ; what the host wrote
		a.MovRR(amd64.W64, amd64.RDI, amd64.RBX)             // mov rdi, rbx
		hypercall(a, store)                                  // store(bad, value)
		a.MovRR(amd64.W64, amd64.RDX, amd64.RAX)             // mov rdx, rax  ; second result: the refusal
		a.MovRR(amd64.W64, amd64.RAX, amd64.R12)             // mov rax, r12
		a.Ret()
	})
	var tab Table
	tab.Register(store, func(c *Call) (uint64, error) {
		b, err := c.Bytes(c.Args[0], 8)
		if err != nil {
			return ^uint64(0), nil
		}
		binary.LittleEndian.PutUint64(b, c.Args[1])
		return 0, nil
	})
	v := instance(t, m, code, newMemory(t, 1, 1))
	res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{0x1238, 0xfeedface_cafef00d, linmem.PageSize - 4}, Hypercalls: &tab})
	if err != nil {
		t.Fatal(err)
	}
	if res[0] != 0xfeedface_cafef00d || res[1] != ^uint64(0) {
		t.Fatalf("got %#x, %#x", res[0], res[1])
	}
}

// TestVM_Run_Traps runs guests that fault, and checks the trap each gets.
func TestVM_Run_Traps(t *testing.T) {
	m := newMonitor(t, Config{})
	tests := []struct {
		name    string
		emit    func(a *amd64.Asm)
		pages   uint32
		kind    api.TrapKind
		vector  x86.Vector
		addr    uint64 // checked when non-zero
		message string
		// hypercall marks a bad hypercall: a trap raised by no CPU
		// exception.
		hypercall bool
	}{
		{
			name: "read past the memory", pages: 1, kind: api.TrapOutOfBoundsMemory, addr: linmem.PageSize,
			message: "out of bounds memory access at linear address 0x10000",
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, MemoryBase+linmem.PageSize-2) // mov rsi, MemoryBase+65534
				a.Load(amd64.W32, amd64.RAX, amd64.M(amd64.RSI, 0))          // mov eax, [rsi]  ; straddles the end
				a.Ret()
			},
		},
		{
			name: "write into the guard", pages: 1, kind: api.TrapOutOfBoundsMemory, addr: 0x1_2345_6789,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, MemoryBase+0x1_2345_6789) // a 33-bit effective address
				a.Store(amd64.W8, amd64.M(amd64.RSI, 0), amd64.RAX)      // mov [rsi], al
				a.Ret()
			},
		},
		{
			name: "no memory attached", pages: 0, kind: api.TrapOutOfBoundsMemory, addr: 0,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, MemoryBase) // mov rsi, MemoryBase
				a.Load(amd64.W8, amd64.RAX, amd64.M(amd64.RSI, 0))
				a.Ret()
			},
		},
		{
			name: "divide by zero", kind: api.TrapIntegerDivideByZero, vector: x86.DE, message: "integer divide by zero",
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W32, amd64.RAX, 10)                   // mov eax, 10
				a.Alu(amd64.AluXor, amd64.W32, amd64.RDX, amd64.RDX) // xor edx, edx
				a.Alu(amd64.AluXor, amd64.W32, amd64.RCX, amd64.RCX) // xor ecx, ecx
				a.Div(amd64.W32, amd64.RCX)                          // div ecx
				a.Ret()
			},
		},
		{
			name: "ud2", kind: api.TrapUnreachable, vector: x86.UD, message: "unreachable",
			emit: func(a *amd64.Asm) { a.Ud2() },
		},
		{
			name: "invalid opcode", kind: api.TrapInternal, vector: x86.UD, message: "#UD invalid opcode: not a ud2",
			emit: func(a *amd64.Asm) { a.Raw(0x06) }, // push es: invalid in 64-bit mode
		},
		{
			// With EFER.SCE off this is #UD on hardware; PVM instead jumps
			// to LSTAR, still in ring 3, and LSTAR is 0.
			name: "syscall", kind: api.TrapInternal,
			emit: func(a *amd64.Asm) { a.Raw(0x0F, 0x05) },
		},
		{
			name: "sysenter", kind: api.TrapInternal,
			emit: func(a *amd64.Asm) { a.Raw(0x0F, 0x34) },
		},
		{
			name: "vmcall", kind: api.TrapInternal,
			emit: func(a *amd64.Asm) { a.Raw(0x0F, 0x01, 0xC1) },
		},
		{
			name: "in from the hypercall port, string form", kind: api.TrapInternal, hypercall: true,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RDI, CodeBase+64) // a read-only destination
				a.MovImm(amd64.W32, amd64.RDX, HypercallPort)
				a.Raw(0x6C) // insb
			},
		},
		{
			name: "hypercall by string out", kind: api.TrapInternal, hypercall: true, message: "no handler for hypercall 77",
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, CodeBase)
				a.MovImm(amd64.W32, amd64.RDX, HypercallPort)
				a.MovImm(amd64.W32, amd64.RCX, 3)
				a.MovImm(amd64.W32, amd64.RAX, 77)
				a.Raw(0xF3, 0x6E) // rep outsb
			},
		},
		{
			name: "recursion into the stack guard", kind: api.TrapCallStackExhausted, vector: x86.PF, message: "call stack exhausted",
			emit: func(a *amd64.Asm) {
				f := a.NewLabel()
				a.Bind(f)
				a.Push(amd64.RAX) // push rax   ; a frame
				a.Call(f)         // call f
			},
		},
		{
			name: "privileged instruction", kind: api.TrapInternal, vector: x86.GP, message: "#GP general protection",
			emit: func(a *amd64.Asm) { a.Raw(0x0F, 0x22, 0xD8) }, // mov cr3, rax
		},
		{
			name: "hlt", kind: api.TrapInternal, vector: x86.GP,
			emit: func(a *amd64.Asm) { a.Hlt() },
		},
		{
			name: "out to a port it may not use", kind: api.TrapInternal, vector: x86.GP,
			emit: func(a *amd64.Asm) { a.Out(exceptionPort) }, // out 0xf1, al: the stubs' port
		},
		{
			name: "out to another port", kind: api.TrapInternal, vector: x86.GP,
			emit: func(a *amd64.Asm) { a.Out(0x80) },
		},
		{
			name: "int to an exception gate", kind: api.TrapInternal,
			emit: func(a *amd64.Asm) { a.Raw(0xCD, 0x0E) }, // int 14: the gate's DPL is 0
		},
		{
			name: "in from the hypercall port", kind: api.TrapInternal, hypercall: true, message: "in from port 0xf0",
			emit: func(a *amd64.Asm) { a.Raw(0xE4, HypercallPort) }, // in al, 0xf0
		},
		{
			name: "unknown hypercall", kind: api.TrapInternal, hypercall: true, message: "no handler for hypercall 77",
			emit: func(a *amd64.Asm) { hypercall(a, 77) },
		},
		{
			name: "huge hypercall number", kind: api.TrapInternal, hypercall: true,
			emit: func(a *amd64.Asm) { hypercall(a, 0xFFFF_FFFF) },
		},
		{
			name: "write to its code", kind: api.TrapInternal, vector: x86.PF, addr: CodeBase,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, CodeBase)
				a.Store(amd64.W8, amd64.M(amd64.RSI, 0), amd64.RAX) // mov [rsi], al
			},
		},
		{
			name: "just below the stack guard", kind: api.TrapInternal, vector: x86.PF, addr: StackTop - defaultStack - StackGuard - 8,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, StackTop-defaultStack-StackGuard-8)
				a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
			},
		},
		{
			name: "read its page tables", kind: api.TrapInternal, vector: x86.PF, addr: ptPoolGPA,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, ptPoolGPA) // not mapped at all
				a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
			},
		},
		{
			name: "write its GDT", kind: api.TrapInternal, vector: x86.PF, addr: sysGDT,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RSI, sysGDT) // supervisor-only
				a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RAX)
			},
		},
		{
			name: "jump into a stub", kind: api.TrapInternal, vector: x86.PF, addr: sysStubs,
			emit: func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RAX, sysStubs)
				a.JmpReg(amd64.RAX) // jmp rax
			},
		},
		{
			name: "null pointer", kind: api.TrapInternal, vector: x86.PF, addr: 8,
			emit: func(a *amd64.Asm) {
				a.Alu(amd64.AluXor, amd64.W32, amd64.RSI, amd64.RSI)
				a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 8))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mem *linmem.Memory
			if tc.pages > 0 {
				mem = newMemory(t, tc.pages, tc.pages)
			}
			v := instance(t, m, assemble(t, tc.emit), mem)
			_, err := v.Run(context.Background(), &Entry{})
			var trap *Trap
			if !errors.As(err, &trap) {
				t.Fatalf("err = %v, want a trap", err)
			}
			if trap.Kind != tc.kind || (tc.vector != 0 && trap.Vector != tc.vector) {
				t.Fatalf("trap %v (%v), want %v (%v): %v", trap.Kind, trap.Vector, tc.kind, tc.vector, err)
			}
			if trap.Exception == tc.hypercall {
				t.Errorf("Exception = %v for %v", trap.Exception, err)
			}
			if tc.addr != 0 && trap.Addr != tc.addr {
				t.Errorf("address %#x, want %#x", trap.Addr, tc.addr)
			}
			if tc.message != "" && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message %q does not contain %q", err, tc.message)
			}
			if v.broken != nil {
				t.Fatalf("a guest trap left the VM broken: %v", v.broken)
			}
			// The VM stays usable after any trap.
			if err := v.LoadCode(assemble(t, func(a *amd64.Asm) { a.MovImm(amd64.W32, amd64.RAX, 5); a.Ret() })); err != nil {
				t.Fatal(err)
			}
			if res, err := v.Run(context.Background(), &Entry{}); err != nil || res[0] != 5 {
				t.Fatalf("run after the trap: %v, %v", res, err)
			}
		})
	}
}

// TestVM_Run_Deadline stops a guest that loops forever.
func TestVM_Run_Deadline(t *testing.T) {
	m := newMonitor(t, Config{})
	// Where the guest may be stopped: at an instruction of the loop, or
	// in the trampoline before it calls the loop, when the deadline comes
	// before the guest got that far (under emulation the guest is slow
	// to start, and a 50 ms deadline can land there). Nowhere else: the
	// loop never returns and never faults, so the guest is never past
	// the trampoline's call or in ring 0. A stop between instructions is
	// impossible, as the CPU takes interrupts only at their boundaries.
	where := map[uint64]bool{}
	for _, off := range tramp.entry {
		where[sysTramp+off] = true
	}
	loop := assemble(t, func(a *amd64.Asm) {
		l := a.NewLabel()
		a.Bind(l)
		where[CodeBase+uint64(a.Len())] = true
		a.Inc(amd64.W64, amd64.RAX) // inc rax
		where[CodeBase+uint64(a.Len())] = true
		a.Jmp(l) // jmp l
	})
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		kind api.TrapKind
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, api.TrapTimeout, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, api.TrapInterrupted, context.Canceled},
		{"already done", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, api.TrapInterrupted, context.Canceled},
	}
	v := instance(t, m, loop, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := v.Run(ctx, &Entry{})
			took := time.Since(start)
			var trap *Trap
			if !errors.As(err, &trap) || trap.Kind != tc.kind || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want a %v trap", err, tc.kind)
			}
			if took > 2*time.Second {
				t.Fatalf("the guest ran %v past a 50 ms deadline", took)
			}
			t.Logf("stopped after %v at rip %#x", took, trap.RIP)
			// A run whose context is done before it starts never enters
			// the guest, and names the function's first instruction.
			if !where[trap.RIP] {
				t.Errorf("stopped at rip %#x: neither in the loop nor in the trampoline before the call", trap.RIP)
			}
		})
	}
	// A later run on the same VM is not disturbed by the kicks.
	if err := v.LoadCode(assemble(t, func(a *amd64.Asm) { a.MovImm(amd64.W32, amd64.RAX, 9); a.Ret() })); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res, err := v.Run(ctx, &Entry{}); err != nil || res[0] != 9 {
		t.Fatalf("run after the deadlines: %v, %v", res, err)
	}
}

// TestVM_GrowMemory grows memory from a hypercall, the way memory.grow
// will, and checks that the guest sees exactly the new size.
func TestVM_GrowMemory(t *testing.T) {
	m := newMonitor(t, Config{})
	const grow = 3 // grow(pages) -> previous pages or ^0
	code := assemble(t, func(a *amd64.Asm) {
		// rdi = pages to add, rsi = offset to write after growing
		a.Push(amd64.RSI)  // push rsi
		a.Push(amd64.RSI)  // push rsi     ; keep the stack aligned
		hypercall(a, grow) // grow(rdi)
		a.Pop(amd64.RSI)   // pop rsi
		a.Pop(amd64.RSI)   // pop rsi
		a.MovImm(amd64.W64, amd64.RCX, MemoryBase)
		a.Alu(amd64.AluAdd, amd64.W64, amd64.RCX, amd64.RSI) // add rcx, rsi
		a.Store(amd64.W8, amd64.M(amd64.RCX, 0), amd64.RAX)  // mov [rcx], al  ; the previous size, low byte
		a.Ret()
	})
	var tab Table
	tab.Register(grow, func(c *Call) (uint64, error) {
		prev, ok := c.GrowMemory(uint32(c.Args[0]))
		if !ok {
			return ^uint64(0), nil
		}
		return uint64(prev), nil
	})
	mem := newMemory(t, 1, 100)
	v := instance(t, m, code, mem)
	tests := []struct {
		name     string
		delta    uint64
		write    uint64
		wantRes  uint64
		wantTrap bool
		pages    uint32
	}{
		{"within the new page", 1, 2*linmem.PageSize - 1, 1, false, 2},
		{"past the new size", 1, 3 * linmem.PageSize, 2, true, 3},
		{"to a huge-page boundary and beyond", 40, 43*linmem.PageSize - 1, 3, false, 43},
		{"over the maximum", 58, 43 * linmem.PageSize, ^uint64(0), true, 43},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Run(context.Background(), &Entry{Args: [6]uint64{tc.delta, tc.write}, Hypercalls: &tab})
			var trap *Trap
			if tc.wantTrap {
				if !errors.As(err, &trap) || trap.Kind != api.TrapOutOfBoundsMemory || trap.Addr != tc.write&^(4095) {
					t.Fatalf("err = %v, want out of bounds at %#x", err, tc.write)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if got := mem.Bytes()[tc.write]; got != byte(tc.wantRes) {
				t.Fatalf("guest wrote %d, want %d", got, byte(tc.wantRes))
			}
			if mem.Pages() != tc.pages {
				t.Fatalf("memory has %d pages, want %d", mem.Pages(), tc.pages)
			}
		})
	}
}

// TestVM_Run_SeesMemoryGrownOutside checks that pages the embedder adds
// with linmem.Grow directly are mapped at the next run.
func TestVM_Run_SeesMemoryGrownOutside(t *testing.T) {
	m := newMonitor(t, Config{})
	code := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase+linmem.PageSize) // the second page
		a.Load(amd64.W8, amd64.RAX, amd64.M(amd64.RSI, 0))
		a.Ret()
	})
	mem := newMemory(t, 1, 2)
	v := instance(t, m, code, mem)
	if _, err := v.Run(context.Background(), &Entry{}); err == nil {
		t.Fatal("read of the second page before it exists succeeded")
	}
	mem.Grow(1)
	mem.Bytes()[linmem.PageSize] = 77
	if res, err := v.Run(context.Background(), &Entry{}); err != nil || res[0] != 77 {
		t.Fatalf("got %v, %v", res, err)
	}
}

// TestVM_Run_HandlerErrors checks that a handler's error reaches the
// caller unchanged and that a panicking handler does not crash the host.
func TestVM_Run_HandlerErrors(t *testing.T) {
	m := newMonitor(t, Config{})
	type exit struct{ code int }
	var tab Table
	tab.Register(1, func(c *Call) (uint64, error) { return 0, &exitError{code: int(c.Args[0])} })
	tab.Register(2, func(c *Call) (uint64, error) { panic("handler bug") })
	tests := []struct {
		name  string
		num   uint32
		check func(error) bool
	}{
		{"error passes through", 1, func(err error) bool {
			var e *exitError
			return errors.As(err, &e) && e.code == 3
		}},
		{"panic is an error", 2, func(err error) bool {
			return err != nil && strings.Contains(err.Error(), "handler panicked: handler bug")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := instance(t, m, assemble(t, func(a *amd64.Asm) { hypercall(a, tc.num); a.Ret() }), nil)
			_, err := v.Run(context.Background(), &Entry{Args: [6]uint64{3}, Hypercalls: &tab})
			if !tc.check(err) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

type exitError struct{ code int }

func (e *exitError) Error() string { return "exit" }

// TestVM_Context checks that the host and the guest share the context
// page.
func TestVM_Context(t *testing.T) {
	m := newMonitor(t, Config{})
	code := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W32, amd64.RSI, ContextAddr)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 16))  // mov rax, [ContextAddr+16]
		a.Store(amd64.W64, amd64.M(amd64.RSI, 24), amd64.RDI) // mov [ContextAddr+24], rdi
		a.Ret()
	})
	v := instance(t, m, code, nil)
	binary.LittleEndian.PutUint64(v.ContextPage()[16:], 0x1122334455)
	res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{0x99}})
	if err != nil || res[0] != 0x1122334455 || binary.LittleEndian.Uint64(v.ContextPage()[24:]) != 0x99 {
		t.Fatalf("got %v, %v", res, err)
	}
}

// TestVM_Reset checks that a reset VM shows nothing of the instance before
// it: not its memory mappings, stack, registers, SSE state, code or context
// page. The pool runs the same reset on every VM given back. The stack's
// pages are found with mincore, or, where the host has swap, from the page
// map; both ways are tried.
func TestVM_Reset(t *testing.T) {
	for _, swap := range []bool{false, true} {
		t.Run(map[bool]string{false: "mincore", true: "pagemap"}[swap], func(t *testing.T) {
			defer func(f func() bool) { hostHasSwap = f }(hostHasSwap)
			hostHasSwap = func() bool { return swap }
			testVMReset(t)
		})
	}
}

func testVMReset(t *testing.T) {
	m := newMonitor(t, Config{PoolSize: -1})
	// The first instance has 40 pages (2.5 MiB: huge and small mappings)
	// and leaves marks everywhere it can.
	dirty := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase+40*linmem.PageSize-8)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0)) // touch the last page
		a.MovImm(amd64.W64, amd64.RAX, 0x5EC7E7)
		for range 512 {
			a.Push(amd64.RAX) // 4 KiB of secrets on the stack
		}
		a.AluImm(amd64.AluAdd, amd64.W64, amd64.RSP, 512*8)
		a.Raw(0x66, 0x48, 0x0F, 0x6E, 0xC0)      // movq xmm0, rax
		a.MovRR(amd64.W64, amd64.RBX, amd64.RAX) // mov rbx, rax  ; callee-saved, left behind
		a.MovImm(amd64.W32, amd64.RSI, ContextAddr)
		a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RAX)
		a.Ret()
	})
	v := instance(t, m, dirty, newMemory(t, 40, 40))
	if _, err := v.Run(context.Background(), &Entry{}); err != nil {
		t.Fatal(err)
	}
	if err := v.reset(); err != nil {
		t.Fatal(err)
	}
	if v.codeUsed != 0 || v.arena[v.codeOff+uint64(len(dirty))-1] != 0 {
		t.Error("the earlier code was not cleared")
	}

	// The second instance looks for them. It returns the OR of everything
	// it finds (zero when clean) and then touches the first instance's
	// memory range, which must be out of bounds with its own 1 page.
	const peek = 1
	probe := assemble(t, func(a *amd64.Asm) {
		a.MovRR(amd64.W64, amd64.RAX, amd64.RBX) // rax = rbx
		for off := int32(8); off <= 512*8; off += 8 {
			a.Load(amd64.W64, amd64.RCX, amd64.M(amd64.RSP, -off)) // below the stack pointer
			a.Raw(0x48, 0x09, 0xC8)                                // or rax, rcx
		}
		a.Raw(0x66, 0x48, 0x0F, 0x7E, 0xC1) // movq rcx, xmm0
		a.Raw(0x48, 0x09, 0xC8)             // or rax, rcx
		a.MovImm(amd64.W32, amd64.RSI, ContextAddr)
		a.Load(amd64.W64, amd64.RCX, amd64.M(amd64.RSI, 0))
		a.Raw(0x48, 0x09, 0xC8) // or rax, rcx
		a.MovRR(amd64.W64, amd64.RDI, amd64.RAX)
		hypercall(a, peek) // peek(findings)
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase+40*linmem.PageSize-8)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
		a.Ret()
	})
	var found uint64 = 1
	var tab Table
	tab.Register(peek, func(c *Call) (uint64, error) { found = c.Args[0]; return 0, nil })
	if err := v.LoadCode(probe); err != nil {
		t.Fatal(err)
	}
	if err := v.AttachMemory(newMemory(t, 1, 1)); err != nil {
		t.Fatal(err)
	}
	_, err := v.Run(context.Background(), &Entry{Hypercalls: &tab})
	if found != 0 {
		t.Errorf("the second instance found %#x left by the first", found)
	}
	var trap *Trap
	if !errors.As(err, &trap) || trap.Kind != api.TrapOutOfBoundsMemory {
		t.Fatalf("the first instance's memory is still mapped: %v", err)
	}
}

// TestMonitor_ManyInstances runs sequential instances from the pool and
// checks that file descriptors and memory stay flat. It runs 2,000 (500
// with -short); WASMVISOR_VM_INSTANCES=10000 runs the full check, which
// takes 20 s on a quiet machine here and over a minute on a loaded one.
func TestMonitor_ManyInstances(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 500
	}
	if s := os.Getenv("WASMVISOR_VM_INSTANCES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("WASMVISOR_VM_INSTANCES=%q: want a positive number", s)
		}
	}
	m := newMonitor(t, Config{PoolSize: 2})
	code := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase)
		a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RDI) // mov [MemoryBase], rdi
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
		a.Ret()
	})
	one := func(i int) {
		mem, err := memoryOf(1, 1)
		if err != nil {
			t.Fatal(err)
		}
		v := acquire(t, m, code, mem)
		res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{uint64(i)}})
		if err != nil || res[0] != uint64(i) {
			t.Fatalf("instance %d: %v, %v", i, res, err)
		}
		m.Put(v)
		mem.Close()
	}
	// Warm up allocators and the pool before taking the baseline.
	for i := range 200 {
		one(i)
	}
	m.quiesce(10 * time.Second)
	fds0, rss0 := openFDs(t), rssBytes(t)
	start := time.Now()
	for i := range n {
		one(i)
	}
	took := time.Since(start)
	m.quiesce(10 * time.Second)
	// VMs made past the pool's size while calls needed them are kept
	// until the calls have stopped for a while.
	for deadline := time.Now().Add(idleShrink + 5*time.Second); m.Stats().Live > 2 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	m.quiesce(10 * time.Second)
	fds1, rss1 := openFDs(t), rssBytes(t)
	t.Logf("%d instances in %v (%v each); %d created, %d from the pool; fds %d -> %d; rss %d -> %d MiB",
		n, took, took/time.Duration(n), m.created.Load(), m.pooled.Load(), fds0, fds1, rss0>>20, rss1>>20)
	if fds1 > fds0 {
		t.Errorf("file descriptors grew from %d to %d", fds0, fds1)
	}
	if rss1 > rss0+32<<20 {
		t.Errorf("RSS grew from %d to %d MiB", rss0>>20, rss1>>20)
	}
	// Nothing is in use now: every live VM is pooled, and the pool is
	// no larger than its bound.
	if st := m.Stats(); st.Live != int64(st.Ready+st.Returned) || st.Ready > defaultMaxPool {
		t.Errorf("after the instances, with none in use: %+v", st)
	}
}

// TestMonitor_Stats checks the pool's counts through a Get and a Put.
func TestMonitor_Stats(t *testing.T) {
	m := newMonitor(t, Config{PoolSize: 1})
	m.quiesce(10 * time.Second)
	before := m.Stats()
	if before.Live != int64(before.Ready) || before.Ready != 1 {
		t.Fatalf("an idle monitor with a pool of 1: %+v", before)
	}
	v, err := m.Get()
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); st.Reused != before.Reused+1 || st.Ready != 0 || st.Live < 1 {
		t.Errorf("with the pooled VM in use: %+v", st)
	}
	m.Put(v)
	m.quiesce(10 * time.Second)
	if st := m.Stats(); st.Live != 1 || st.Ready != 1 || st.Returned != 0 {
		t.Errorf("after it came back: %+v", st)
	}
}

// TestVM_Run_UnusableAfterHostError checks that a VM whose state the
// monitor cannot trust refuses to run and is not pooled again.
func TestVM_Run_UnusableAfterHostError(t *testing.T) {
	m := newMonitor(t, Config{})
	v := instance(t, m, assemble(t, func(a *amd64.Asm) { a.Ret() }), nil)
	v.broken = errors.New("simulated")
	if _, err := v.Run(context.Background(), &Entry{}); err == nil || !strings.Contains(err.Error(), "simulated") {
		t.Fatalf("err = %v", err)
	}
	if err := v.AttachMemory(newMemory(t, 1, 1)); err == nil {
		t.Fatal("attached memory to a broken VM")
	}
}

func TestVM_Run_BadEntry(t *testing.T) {
	m := newMonitor(t, Config{CodeSize: 2 << 20})
	v := instance(t, m, nil, nil)
	if _, err := v.Run(context.Background(), &Entry{PC: 2 << 20}); err == nil {
		t.Fatal("entry point past the code region accepted")
	}
	if err := v.LoadCode(make([]byte, 2<<20+1)); err == nil {
		t.Fatal("code larger than its region accepted")
	}
	if err := v.AttachMemory(newMemory(t, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if err := v.AttachMemory(newMemory(t, 1, 1)); err == nil {
		t.Fatal("second memory attached")
	}
}

func TestTable_Register(t *testing.T) {
	h := func(*Call) (uint64, error) { return 0, nil }
	var tab Table
	tests := []struct {
		name string
		num  uint32
		h    Handler
		ok   bool
	}{
		{"first", 1, h, true},
		{"last", MaxHypercalls - 1, h, true},
		{"return is reserved", HypercallReturn, h, false},
		{"too large", MaxHypercalls, h, false},
		{"twice", 1, h, false},
		{"nil", 5, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tab.Register(tc.num, tc.h); (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestTrap_Error(t *testing.T) {
	tests := []struct {
		trap Trap
		want string
	}{
		{Trap{Kind: api.TrapOutOfBoundsMemory, Exception: true, Vector: x86.PF, Addr: 0x10000, RIP: 0x80000012}, "out of bounds memory access at linear address 0x10000 (rip 0x80000012)"},
		{Trap{Kind: api.TrapOutOfBoundsMemory, Exception: true, Vector: x86.PF, Addr: 0x10000, Memory: 2, RIP: 0x4000000012}, "out of bounds memory access at linear address 0x10000 of memory 2 (rip 0x4000000012)"},
		{Trap{Kind: api.TrapIntegerDivideByZero, Exception: true, Vector: x86.DE, RIP: 0x80000001}, "integer divide by zero (rip 0x80000001)"},
		{Trap{Kind: api.TrapUnreachable, Exception: true, Vector: x86.UD, RIP: 0x80000000}, "unreachable (rip 0x80000000)"},
		{Trap{Kind: api.TrapCallStackExhausted, Exception: true, Vector: x86.PF, RIP: 0x80000004, Addr: 0x3fdffff8}, "call stack exhausted (rip 0x80000004, fault at 0x3fdffff8)"},
		{Trap{Kind: api.TrapTimeout, RIP: 0x80000002, Cause: context.DeadlineExceeded}, "timeout: guest stopped at rip 0x80000002: context deadline exceeded"},
		{Trap{Kind: api.TrapInterrupted, RIP: 0x80000002, Cause: context.Canceled}, "interrupted: guest stopped at rip 0x80000002: context canceled"},
		{Trap{Kind: api.TrapInternal, RIP: 0x80000007, Detail: "no handler for hypercall 9"}, "internal engine error: no handler for hypercall 9 (rip 0x80000007)"},
		{Trap{Kind: api.TrapInternal, Exception: true, Vector: x86.DE, RIP: 0x80000000, Detail: "triple fault"}, "internal engine error: #DE divide error: triple fault (rip 0x80000000)"},
		{Trap{Kind: api.TrapInternal, Exception: true, Vector: x86.GP, RIP: 0x80000000}, "internal engine error: #GP general protection, error code 0x0 (rip 0x80000000)"},
		{Trap{Kind: api.TrapInternal, Exception: true, Vector: x86.PF, ErrorCode: 7, Addr: 0x1000, RIP: 0x80000000}, "internal engine error: #PF page fault, error code 0x7, address 0x1000 (rip 0x80000000)"},
		{Trap{Kind: api.TrapKind(99)}, "trap(99) (rip 0x0)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.trap.Error(); got != tc.want {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestNextChunk(t *testing.T) {
	for _, c := range []struct{ start, size, want uint64 }{
		{0, 64 << 10, 2 << 20},
		{0, 2 << 20, 2 << 20},
		{0, 2<<20 + 1, 4 << 20},
		{0, 256 << 20, 256 << 20},
		{0, 300 << 20, 512 << 20},
		{2 << 20, 3 << 20, 4 << 20},
		{256 << 20, 1 << 30, 512 << 20},
	} {
		if got := nextChunk(c.start, c.size); got != c.want {
			t.Errorf("nextChunk(%#x, %#x) = %#x, want %#x", c.start, c.size, got, c.want)
		}
	}
	// A memory that starts at one page and grows to the whole window
	// needs every slot a window has.
	end, n := uint64(0), 0
	for end < MemoryWindow {
		end, n = nextChunk(end, linmem.PageSize), n+1
	}
	if n != memChunks || end != MemoryWindow {
		t.Fatalf("a window takes %d slots up to %#x, want %d up to %#x", n, end, memChunks, uint64(MemoryWindow))
	}
}

func TestTrampoline(t *testing.T) {
	code, off, err := assembleTrampoline()
	if err != nil {
		t.Fatal(err)
	}
	last := off.entry[len(off.entry)-1]
	if len(code) > trampolineSize || off.entry[0] != 0 || off.called != last+2 || off.called >= off.returned || off.returned >= off.warm || off.warm >= uint64(len(code)) {
		t.Fatalf("trampoline of %d bytes with offsets %+v", len(code), off)
	}
	if code[last] != 0xFF || code[last+1] != 0xD0 { // call rax
		t.Errorf("the last entry instruction is % x, not call rax", code[last:off.called])
	}
	if code[off.returned-2] != 0xE6 || code[off.returned-1] != HypercallPort {
		t.Errorf("returned (%d) is not just past out HypercallPort", off.returned)
	}
}

func TestMonitor_Bench(t *testing.T) {
	m := newMonitor(t, Config{})
	res, err := m.Bench(50)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.ColdStart <= 0 || res.PooledStart <= 0 || res.Hypercall <= 0 || res.RawExit <= 0 {
		t.Fatalf("missing measurements: %+v", res)
	}
	if _, err := m.Bench(0); err == nil {
		t.Fatal("zero runs accepted")
	}
}

// TestVM_Run_DeadlineRace alternates runs stopped by short deadlines with
// runs that must complete, so that a kick landing late or a lost
// immediate_exit would show as a wrong outcome.
func TestVM_Run_DeadlineRace(t *testing.T) {
	m := newMonitor(t, Config{})
	// rdi != 0: loop forever; rdi == 0: return 7.
	code := assemble(t, func(a *amd64.Asm) {
		loop := a.NewLabel()
		a.Bind(loop)
		a.AluImm(amd64.AluCmp, amd64.W64, amd64.RDI, 0) // cmp rdi, 0
		a.Jcc(amd64.CondNE, loop)
		a.MovImm(amd64.W32, amd64.RAX, 7)
		a.Ret()
	})
	v := instance(t, m, code, nil)
	for i := range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%50)*10*time.Microsecond)
		_, err := v.Run(ctx, &Entry{Args: [6]uint64{1}})
		cancel()
		var trap *Trap
		if !errors.As(err, &trap) || trap.Kind != api.TrapTimeout {
			t.Fatalf("run %d: err = %v, want a timeout", i, err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		res, err := v.Run(ctx, &Entry{})
		cancel()
		if err != nil || res[0] != 7 {
			t.Fatalf("run %d after a timeout: %v, %v", i, res, err)
		}
	}
}

// TestVM_Run_DeadlineAtTheEnd runs guests that end at once, by a fault or
// by returning, under deadlines short enough to land anywhere in the run:
// in the trampoline, in the guest, in the ring-0 stub reporting the fault
// or in the trampoline reporting the results. The outcome must be what
// the guest reached, the trap or the result, or a timeout that names a
// place the guest really was before reaching it, never a stub or the
// trampoline after the call.
func TestVM_Run_DeadlineAtTheEnd(t *testing.T) {
	m := newMonitor(t, Config{})
	before := map[uint64]bool{} // a timeout may name these
	for _, off := range tramp.entry {
		before[sysTramp+off] = true
	}
	tests := []struct {
		name  string
		emit  func(a *amd64.Asm)
		check func(res [2]uint64, err error) bool
	}{
		{
			name: "fault",
			emit: func(a *amd64.Asm) { a.Ud2() },
			check: func(_ [2]uint64, err error) bool {
				var trap *Trap
				return errors.As(err, &trap) && trap.Kind == api.TrapUnreachable && trap.RIP == CodeBase
			},
		},
		{
			name: "return",
			emit: func(a *amd64.Asm) {
				before[CodeBase+uint64(a.Len())] = true
				a.MovImm(amd64.W32, amd64.RAX, 7)
				before[CodeBase+uint64(a.Len())] = true
				a.Ret()
			},
			check: func(res [2]uint64, err error) bool { return err == nil && res[0] == 7 },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before[CodeBase] = true
			v := instance(t, m, assemble(t, tc.emit), nil)
			var reached, stopped int
			for i := range 300 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%30)*5*time.Microsecond)
				res, err := v.Run(ctx, &Entry{})
				cancel()
				var trap *Trap
				switch {
				case tc.check(res, err):
					reached++
				case errors.As(err, &trap) && trap.Kind == api.TrapTimeout && before[trap.RIP]:
					stopped++
				default:
					t.Fatalf("run %d: %v, %v", i, res, err)
				}
			}
			t.Logf("%d runs reached the end, %d were stopped before it", reached, stopped)
		})
	}
}

func TestFinishing(t *testing.T) {
	tests := []struct {
		name string
		cpl  uint8
		rip  uint64
		want bool
	}{
		{"in a stub", 0, sysStubs + uint64(x86.PF)*x86.StubSize + 2, true},
		{"trampoline, function returned", 3, sysTramp + tramp.called, true},
		{"trampoline, at the out", 3, sysTramp + tramp.returned - 2, true},
		{"trampoline, before the call", 3, sysTramp + tramp.entry[len(tramp.entry)-1], false},
		{"trampoline, first instruction", 3, sysTramp, false},
		{"past the out", 3, sysTramp + tramp.returned, false},
		{"guest code", 3, CodeBase, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := finishing(tc.cpl, tc.rip); got != tc.want {
				t.Errorf("finishing(%d, %#x) = %v, want %v", tc.cpl, tc.rip, got, tc.want)
			}
		})
	}
}

// TestVM_Run_DeadlineInHypercall checks that a run's deadline holds while
// the guest is in a hypercall whose handler waits: the handler sees the
// run's context end, and the run ends with the deadline's trap.
func TestVM_Run_DeadlineInHypercall(t *testing.T) {
	m := newMonitor(t, Config{})
	var tab Table
	sawDone := make(chan bool, 1)
	tab.Register(1, func(c *Call) (uint64, error) {
		select {
		case <-c.Context().Done():
			sawDone <- true
		case <-time.After(30 * time.Second):
			sawDone <- false
		}
		return 0, nil
	})
	v := instance(t, m, assemble(t, func(a *amd64.Asm) { hypercall(a, 1); a.Ret() }), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := v.Run(ctx, &Entry{Hypercalls: &tab})
	var tr *Trap
	if !errors.As(err, &tr) || tr.Kind != api.TrapTimeout {
		t.Fatalf("Run = %v after %v, want a timeout trap", err, time.Since(start))
	}
	if !<-sawDone {
		t.Error("the handler did not see the run's context end")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("the run took %v", d)
	}
}

// TestVM_HandOver runs two instances of the same code, one after the
// other, in the same pooled VM, which keeps the code mapped and, where
// the second instance's memory is at the first's host address, its
// memory slot: the first leaves a secret in its memory, the data region
// and the stack, and the second must find none of it, and must trap past
// its own, smaller memory where the first's was mapped.
func TestVM_HandOver(t *testing.T) {
	const (
		secret = 0x5EC7E7
		peek   = 1
	)
	dirty := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W64, amd64.RAX, secret)
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase)
		a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RAX)
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase+40*linmem.PageSize-8)
		a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RAX)
		a.MovImm(amd64.W64, amd64.RSI, DataBase)
		a.Store(amd64.W64, amd64.M(amd64.RSI, 0), amd64.RAX)
		a.Push(amd64.RAX)
		a.Pop(amd64.RAX)
		a.Ret()
	})
	// The probe ORs the first words of its memory and data region and
	// the word just below its stack pointer, where the first instance
	// pushed, reports that, then reads where the first instance's last
	// page was.
	probe := assemble(t, func(a *amd64.Asm) {
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
		a.MovImm(amd64.W64, amd64.RSI, DataBase)
		a.Load(amd64.W64, amd64.RCX, amd64.M(amd64.RSI, 0))
		a.Raw(0x48, 0x09, 0xC8) // or rax, rcx
		a.Load(amd64.W64, amd64.RCX, amd64.M(amd64.RSP, -16))
		a.Raw(0x48, 0x09, 0xC8) // or rax, rcx
		a.MovRR(amd64.W64, amd64.RDI, amd64.RAX)
		hypercall(a, peek)
		a.MovImm(amd64.W64, amd64.RSI, MemoryBase+40*linmem.PageSize-8)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0))
		a.Ret()
	})
	// Both programs in one module's code, as the same module's
	// instances share it: the probe at the second page.
	code := hostCode(t, 2, append(append(dirty, make([]byte, page-len(dirty))...), probe...))
	tests := []struct {
		name     string
		closeMem bool   // the first memory is closed before the second is made
		sameCode bool   // the second instance maps the same code
		pages    uint32 // the second memory's size
	}{
		{"memory closed, same code, same size", true, true, 40},
		{"memory closed, same code, smaller", true, true, 1},
		{"memory alive, same code, same size", false, true, 40},
		{"memory alive, same code, smaller", false, true, 1},
		{"memory closed, other code, same size", true, false, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitor(t, Config{PoolSize: -1, DataSize: 2 << 20})
			v, err := m.Get()
			if err != nil {
				t.Fatal(err)
			}
			base, err := v.MapCode(code)
			if err != nil {
				t.Fatal(err)
			}
			first, err := memoryOf(40, 40)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			if err := v.AttachMemory(first); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Run(context.Background(), &Entry{Addr: base}); err != nil {
				t.Fatal(err)
			}
			firstBase := first.Base()
			m.Put(v)
			if tc.closeMem {
				first.Close()
			}
			if !m.quiesce(5 * time.Second) {
				t.Fatal("the monitor did not reset the VM")
			}
			w, err := m.Get()
			if err != nil {
				t.Fatal(err)
			}
			defer m.Put(w)
			if w != v {
				t.Fatal("the pool handed out another VM")
			}
			second := newMemory(t, tc.pages, tc.pages)
			probeCode := code
			if !tc.sameCode {
				probeCode = hostCode(t, 2, code)
			}
			if base2, err := w.MapCode(probeCode); err != nil {
				t.Fatal(err)
			} else if tc.sameCode != (base2 == base) {
				t.Errorf("code mapped at %#x, first at %#x: kept %v, want %v", base2, base, base2 == base, tc.sameCode)
			}
			if err := w.AttachMemory(second); err != nil {
				t.Fatal(err)
			}
			// The kernel decides where the second memory goes; the
			// slot is kept exactly when it went where the first was.
			reused := second.Base() == firstBase
			if kept := w.mems[0].host == uint64(firstBase); w.keep && kept != reused {
				t.Errorf("memory slot kept: %v, second memory at the first's address: %v", kept, reused)
			}
			t.Logf("VM keeps slots: %v; second memory at the first's host address: %v", w.keep, reused)
			var found uint64 = 1
			var tab Table
			tab.Register(peek, func(c *Call) (uint64, error) { found = c.Args[0]; return 0, nil })
			res, err := w.Run(context.Background(), &Entry{Addr: w.maps[0].addr + page, Hypercalls: &tab})
			if found != 0 {
				t.Errorf("the second instance found %#x left by the first", found)
			}
			if tc.pages >= 40 {
				if err != nil || res[0] != 0 {
					t.Fatalf("the second instance's last page read %#x, %v; want 0", res[0], err)
				}
				return
			}
			var trap *Trap
			if !errors.As(err, &trap) || trap.Kind != api.TrapOutOfBoundsMemory {
				t.Fatalf("the first instance's memory is still mapped: %v", err)
			}
		})
	}
}
