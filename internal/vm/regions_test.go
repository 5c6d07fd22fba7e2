package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/linmem"
	"github.com/wasmvisor/wasmvisor/internal/vm/pagetable"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// wantTrap checks that err is a trap of kind with, when it is a page
// fault, the address addr.
func wantTrap(t *testing.T, err error, kind api.TrapKind, vec x86.Vector, addr uint64) *Trap {
	t.Helper()
	var trap *Trap
	if !errors.As(err, &trap) {
		t.Fatalf("err = %v, want a trap", err)
	}
	if trap.Kind != kind || (vec != 0 && (!trap.Exception || trap.Vector != vec)) {
		t.Fatalf("trap %v (%v), want %v (%v): %v", trap.Kind, trap.Vector, kind, vec, err)
	}
	if vec == x86.PF && trap.Addr != addr {
		t.Fatalf("address %#x, want %#x: %v", trap.Addr, addr, err)
	}
	return trap
}

// TestVM_Data checks that the host and the guest share the data region
// both ways, and that nothing is mapped after it.
func TestVM_Data(t *testing.T) {
	const size = 4 << 20
	m := newMonitor(t, Config{DataSize: size - 1<<20}) // rounded up to 4 MiB
	// rdi = address; rsi = value to store, or 0 to load
	code := assemble(t, func(a *amd64.Asm) {
		load := a.NewLabel()
		a.Test(amd64.W64, amd64.RSI, amd64.RSI)
		a.Jcc(amd64.CondE, load)
		a.Store(amd64.W64, amd64.M(amd64.RDI, 0), amd64.RSI) // mov [rdi], rsi
		a.Bind(load)
		a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RDI, 0)) // mov rax, [rdi]
		a.Ret()
	})
	v := instance(t, m, code, nil)
	if got := len(v.Data()); got != size {
		t.Fatalf("data region of %d bytes, want %d", got, size)
	}
	tests := []struct {
		name      string
		off       uint64 // from DataBase
		hostValue uint64 // written by the host first, when not zero
		store     uint64 // stored by the guest, when not zero
		fault     bool
	}{
		{name: "guest reads the host's write", off: 0x1238, hostValue: 0x1122_3344_5566_7788},
		{name: "host reads the guest's write", off: 0x20_0000, store: 0xfeed_f00d},
		{name: "last word", off: size - 8, store: 0xabcd},
		{name: "just past the end", off: size, fault: true},
		{name: "straddling the end", off: size - 4, store: 1<<63 | 1, fault: true},
		{name: "far into the guard", off: MemoryBase - DataBase - 8, fault: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.hostValue != 0 {
				binary.LittleEndian.PutUint64(v.Data()[tc.off:], tc.hostValue)
			}
			res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{DataBase + tc.off, tc.store}})
			if tc.fault {
				// A write straddling the end faults on its first byte past it.
				wantTrap(t, err, api.TrapInternal, x86.PF, max(DataBase+tc.off, DataBase+size))
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.hostValue | tc.store
			if res[0] != want || binary.LittleEndian.Uint64(v.Data()[tc.off:]) != want {
				t.Fatalf("guest read %#x, host sees %#x, want %#x", res[0], binary.LittleEndian.Uint64(v.Data()[tc.off:]), want)
			}
		})
	}

	t.Run("not executable", func(t *testing.T) {
		copy(v.Data(), []byte{0xC3}) // ret
		jump := assemble(t, func(a *amd64.Asm) {
			a.MovImm(amd64.W64, amd64.RAX, DataBase)
			a.JmpReg(amd64.RAX)
		})
		v := instance(t, m, jump, nil)
		_, err := v.Run(context.Background(), &Entry{})
		trap := wantTrap(t, err, api.TrapInternal, x86.PF, DataBase)
		if trap.ErrorCode&(1<<4) == 0 { // the fault was an instruction fetch
			t.Errorf("error code %#x has no instruction-fetch bit", trap.ErrorCode)
		}
	})

	t.Run("reset scrubs it", func(t *testing.T) {
		m := newMonitor(t, Config{DataSize: size, PoolSize: -1})
		v := instance(t, m, code, nil)
		if _, err := v.Run(context.Background(), &Entry{Args: [6]uint64{DataBase + 0x30_0008, 0x5EC7E7}}); err != nil {
			t.Fatal(err)
		}
		v.Data()[12345] = 0x77
		if err := v.reset(); err != nil {
			t.Fatal(err)
		}
		for i, b := range v.Data() {
			if b != 0 {
				t.Fatalf("data byte %#x is %#x after a reset", i, b)
			}
		}
	})

	t.Run("exposed on demand", func(t *testing.T) {
		m := newMonitor(t, Config{DataSize: size, PoolSize: -1, ExposeData: true})
		v := instance(t, m, code, nil)
		if !v.keep {
			t.Skip("this KVM flushes every shadow table at a reset: the whole region is exposed")
		}
		run := func(off, store uint64) error {
			_, err := v.Run(context.Background(), &Entry{Args: [6]uint64{DataBase + off, store}})
			return err
		}
		// Hidden until exposed; what the host leaves in a hidden page is
		// gone when the page is exposed.
		for _, off := range []uint64{page, size / 2, size - 8} {
			wantTrap(t, run(off, 0), api.TrapInternal, x86.PF, DataBase+off)
		}
		v.Data()[page+8] = 0x77
		if err := v.ExposeData(page+1, size-page); err != nil {
			t.Fatal(err)
		}
		if v.Data()[page+8] != 0 {
			t.Error("exposing a page kept what the host left in it")
		}
		for _, off := range []uint64{page, 2*page - 8, size - page, size - 8} {
			if err := run(off, 0x5EC7E7); err != nil {
				t.Fatalf("offset %#x after exposing it: %v", off, err)
			}
		}
		wantTrap(t, run(2*page, 0), api.TrapInternal, x86.PF, DataBase+2*page)
		wantTrap(t, run(size-page-8, 0), api.TrapInternal, x86.PF, DataBase+size-page-8)
		if err := v.reset(); err != nil {
			t.Fatal(err)
		}
		for i, b := range v.Data() {
			if b != 0 {
				t.Fatalf("data byte %#x is %#x after a reset", i, b)
			}
		}
	})

	t.Run("none by default", func(t *testing.T) {
		m := newMonitor(t, Config{})
		v := instance(t, m, code, nil)
		if len(v.Data()) != 0 {
			t.Fatalf("a data region of %d bytes by default", len(v.Data()))
		}
		_, err := v.Run(context.Background(), &Entry{Args: [6]uint64{DataBase}})
		wantTrap(t, err, api.TrapInternal, x86.PF, DataBase)
	})

	t.Run("too large", func(t *testing.T) {
		if _, err := NewMonitor(Config{DataSize: MaxDataSize + 1}); err == nil {
			t.Fatal("a data region over MaxDataSize accepted")
		}
	})
}

// TestVM_Stack checks what the host sees of the guest's stack: the stack
// pointer at a hypercall and at a trap, and the stack's contents there.
func TestVM_Stack(t *testing.T) {
	m := newMonitor(t, Config{StackSize: 4 << 20})
	const peek = 1 // peek() -> the word at the guest's rsp, as the host reads it
	var sp uint64
	var tab Table
	tab.Register(peek, func(c *Call) (uint64, error) {
		v := c.VM()
		sp = c.SP()
		stack := v.Stack()
		return binary.LittleEndian.Uint64(stack[sp-(StackTop-uint64(len(stack))):]), nil
	})
	// Every case first pushes 3 words: the function is entered with rsp
	// at StackTop-8, below its return address.
	const frame = StackTop - 8 - 3*8
	tests := []struct {
		name    string
		emit    func(a *amd64.Asm)
		timeout time.Duration
		kind    api.TrapKind // zero: the run returns
		rsp     uint64
	}{
		{
			name: "hypercall", rsp: frame,
			emit: func(a *amd64.Asm) {
				hypercall(a, peek)
				a.AluImm(amd64.AluAdd, amd64.W64, amd64.RSP, 3*8)
				a.Ret()
			},
		},
		{
			name: "exception without an error code", kind: api.TrapUnreachable, rsp: frame,
			emit: func(a *amd64.Asm) { a.Ud2() },
		},
		{
			name: "exception with an error code", kind: api.TrapInternal, rsp: frame,
			emit: func(a *amd64.Asm) {
				a.Alu(amd64.AluXor, amd64.W32, amd64.RSI, amd64.RSI)
				a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RSI, 0)) // null pointer
			},
		},
		{
			name: "deadline", kind: api.TrapTimeout, rsp: frame, timeout: 20 * time.Millisecond,
			emit: func(a *amd64.Asm) {
				l := a.NewLabel()
				a.Bind(l)
				a.Jmp(l)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := instance(t, m, assemble(t, func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RAX, 0x1111)
				a.Push(amd64.RAX)
				a.MovImm(amd64.W64, amd64.RAX, 0x2222)
				a.Push(amd64.RAX)
				a.Push(amd64.RDI) // the word at rsp
				tc.emit(a)
			}), nil)
			if got := len(v.Stack()); got != 4<<20 {
				t.Fatalf("stack of %d bytes, want %d", got, 4<<20)
			}
			ctx := context.Background()
			if tc.timeout != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			const mark = 0x0123_4567_89AB_CDEF
			res, err := v.Run(ctx, &Entry{Args: [6]uint64{mark}, Hypercalls: &tab})
			stack := v.Stack()
			word := func(addr uint64) uint64 {
				return binary.LittleEndian.Uint64(stack[addr-(StackTop-uint64(len(stack))):])
			}
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if sp != tc.rsp || res[0] != mark {
					t.Fatalf("SP %#x, word there %#x; want %#x, %#x", sp, res[0], tc.rsp, uint64(mark))
				}
			} else {
				var trap *Trap
				if !errors.As(err, &trap) || trap.Kind != tc.kind {
					t.Fatalf("err = %v, want a %v trap", err, tc.kind)
				}
				if trap.RSP != tc.rsp {
					t.Fatalf("RSP %#x, want %#x", trap.RSP, tc.rsp)
				}
			}
			if word(tc.rsp) != mark || word(tc.rsp+8) != 0x2222 || word(tc.rsp+16) != 0x1111 {
				t.Errorf("stack at %#x holds %#x %#x %#x", tc.rsp, word(tc.rsp), word(tc.rsp+8), word(tc.rsp+16))
			}
		})
	}
}

// TestVM_Memories attaches two linear memories and checks that each has
// its own window: guest writes land in the right one, out-of-bounds
// accesses name the memory, and growth on the host side is mapped.
func TestVM_Memories(t *testing.T) {
	m := newMonitor(t, Config{})
	const grow = 1 // grow(delta) grows memory 1 on the host side
	// rdi = address to load from, or 0; rsi, rdx = words to store at
	// [window 0 + 8] and [window 1 + 16]; rcx = pages to grow memory 1
	// by in a hypercall first.
	code := assemble(t, func(a *amd64.Asm) {
		skip := a.NewLabel()
		a.Test(amd64.W64, amd64.RCX, amd64.RCX)
		a.Jcc(amd64.CondE, skip)
		a.Push(amd64.RDI)
		a.Push(amd64.RSI)
		a.Push(amd64.RDX)
		a.MovRR(amd64.W64, amd64.RDI, amd64.RCX)
		hypercall(a, grow)
		a.Pop(amd64.RDX)
		a.Pop(amd64.RSI)
		a.Pop(amd64.RDI)
		a.Bind(skip)
		a.MovImm(amd64.W64, amd64.R8, MemoryWindowBase(0))
		a.Store(amd64.W64, amd64.M(amd64.R8, 8), amd64.RSI)
		a.MovImm(amd64.W64, amd64.R8, MemoryWindowBase(1))
		a.Store(amd64.W64, amd64.M(amd64.R8, 16), amd64.RDX)
		done := a.NewLabel()
		a.Alu(amd64.AluXor, amd64.W32, amd64.RAX, amd64.RAX)
		a.Test(amd64.W64, amd64.RDI, amd64.RDI)
		a.Jcc(amd64.CondE, done)
		a.Load(amd64.W8, amd64.RAX, amd64.M(amd64.RDI, 0))
		a.Bind(done)
		a.Ret()
	})
	mem0, mem1 := newMemory(t, 1, 1), newMemory(t, 2, 5)
	var tab Table
	tab.Register(grow, func(c *Call) (uint64, error) {
		prev, _ := mem1.Grow(uint32(c.Args[0]))
		return uint64(prev), nil
	})
	v := instance(t, m, code, mem0)
	if err := v.AttachMemoryAt(1, mem1); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Run(context.Background(), &Entry{Args: [6]uint64{0, 0xAAAA, 0xBBBB}}); err != nil {
		t.Fatal(err)
	}
	if a, b := binary.LittleEndian.Uint64(mem0.Bytes()[8:]), binary.LittleEndian.Uint64(mem1.Bytes()[16:]); a != 0xAAAA || b != 0xBBBB {
		t.Fatalf("memory 0 holds %#x, memory 1 %#x", a, b)
	}

	tests := []struct {
		name   string
		addr   uint64
		grow   uint64 // pages memory 1 grows by in a hypercall
		memory int    // the memory out of bounds, or -1 for none
		off    uint64
	}{
		{name: "past memory 0", addr: MemoryWindowBase(0) + linmem.PageSize, memory: 0, off: linmem.PageSize},
		{name: "past memory 1", addr: MemoryWindowBase(1) + 2*linmem.PageSize + 3, memory: 1, off: 2*linmem.PageSize + 3},
		{name: "largest address of window 1", addr: MemoryWindowBase(1) + 2*(1<<32-1) + 15, memory: 1, off: 2*(1<<32-1) + 15},
		{name: "window of a memory not attached", addr: MemoryWindowBase(2) + 0x40, memory: 2, off: 0x40},
		{name: "last window's end", addr: MemoryWindowBase(MaxMemories) - 1, memory: MaxMemories - 1, off: MemoryStride - 1},
		{name: "memory 1 grown in a hypercall", addr: MemoryWindowBase(1) + 3*linmem.PageSize - 1, grow: 1, memory: -1},
		{name: "within memory 1", addr: MemoryWindowBase(1) + 3*linmem.PageSize - 1, memory: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{tc.addr, 1, 2, tc.grow}, Hypercalls: &tab})
			if tc.memory < 0 {
				if err != nil || res[0] != 0 {
					t.Fatalf("got %v, %v", res, err)
				}
				return
			}
			trap := wantTrap(t, err, api.TrapOutOfBoundsMemory, x86.PF, tc.off)
			if trap.Memory != tc.memory {
				t.Fatalf("Memory %d, want %d: %v", trap.Memory, tc.memory, err)
			}
			if tc.memory != 0 && !strings.Contains(err.Error(), "of memory") {
				t.Errorf("message %q does not name the memory", err)
			}
		})
	}

	t.Run("grown on the host, synced", func(t *testing.T) {
		last := 4*linmem.PageSize - 1
		if _, ok := mem1.Grow(1); !ok {
			t.Fatal("memory 1 did not grow")
		}
		if _, _, ok := v.pt.Lookup(MemoryWindowBase(1) + uint64(last)); ok {
			t.Fatal("the new page is mapped before SyncMemories")
		}
		if err := v.SyncMemories(); err != nil {
			t.Fatal(err)
		}
		if _, p, ok := v.pt.Lookup(MemoryWindowBase(1) + uint64(last)); !ok || p != 5 /* user, write */ {
			t.Fatalf("the new page is not mapped user read/write after SyncMemories: %v %v", p, ok)
		}
		mem1.Bytes()[last] = 0x42
		res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{MemoryWindowBase(1) + uint64(last), 1, 2}})
		if err != nil || res[0] != 0x42 {
			t.Fatalf("got %v, %v", res, err)
		}
	})

	t.Run("detach takes all", func(t *testing.T) {
		if err := v.DetachMemory(); err != nil {
			t.Fatal(err)
		}
		_, err := v.Run(context.Background(), &Entry{Args: [6]uint64{0, 1, 2}})
		wantTrap(t, err, api.TrapOutOfBoundsMemory, x86.PF, 8)
		if err := v.AttachMemoryAt(1, mem1); err != nil {
			t.Fatal(err)
		}
		_, err = v.Run(context.Background(), &Entry{Args: [6]uint64{0, 1, 2}})
		wantTrap(t, err, api.TrapOutOfBoundsMemory, x86.PF, 8) // memory 0 is gone
	})
}

func TestVM_AttachMemoryAt_Errors(t *testing.T) {
	m := newMonitor(t, Config{})
	v := instance(t, m, nil, nil)
	if err := v.AttachMemoryAt(3, newMemory(t, 1, 1)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		i    int
	}{
		{"negative", -1},
		{"past the last", MaxMemories},
		{"taken", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := v.AttachMemoryAt(tc.i, newMemory(t, 1, 1)); err == nil {
				t.Fatalf("memory %d attached", tc.i)
			}
		})
	}
}

// hostCode returns code copied to fresh host pages, then made read and
// execute only, as a code cache shared between VMs holds it.
func hostCode(t testing.TB, pages int, code []byte) []byte {
	t.Helper()
	b, err := unix.Mmap(-1, 0, pages*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	copy(b, code)
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVM_MapCode runs code mapped from read-only host pages, with and
// without read-only memory slots.
func TestVM_MapCode(t *testing.T) {
	// rdi = 0: return 0xC0DE + rsi; rdi = 1: write own first byte;
	// rdi = 2: ud2 at the function's offset 2 pages in.
	var ud2At, writeAt, constAt int
	code := assemble(t, func(a *amd64.Asm) {
		write, trap := a.NewLabel(), a.NewLabel()
		a.AluImm(amd64.AluCmp, amd64.W64, amd64.RDI, 1)
		a.Jcc(amd64.CondE, write)
		a.Jcc(amd64.CondA, trap)
		a.MovImm(amd64.W32, amd64.RAX, 0xC0DE)
		constAt = a.Len() - 4 // the immediate
		a.Alu(amd64.AluAdd, amd64.W64, amd64.RAX, amd64.RSI)
		a.Ret()
		a.Bind(write)
		writeAt = a.Len()
		a.LeaLabel(amd64.RAX, write)
		a.Store(amd64.W8, amd64.M(amd64.RAX, 0), amd64.RAX)
		a.Ret()
		a.Bind(trap)
		for a.Len() < 2*page+100 {
			a.Raw(0x90) // nop
		}
		ud2At = a.Len()
		a.Ud2()
	})
	other := assemble(t, func(a *amd64.Asm) { a.MovImm(amd64.W32, amd64.RAX, 0x0BE7); a.Ret() })
	for _, tc := range []struct {
		name     string
		readonly bool
	}{{"read-only slot", true}, {"writable slot", false}} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMonitor(t, Config{PoolSize: 1})
			if tc.readonly && !m.readonlyMem {
				t.Skip("KVM offers no read-only memory slots")
			}
			m.readonlyMem = tc.readonly
			shared := hostCode(t, 3, code)
			second := hostCode(t, 1, other)
			v := instance(t, m, nil, nil)
			addr, err := v.MapCode(shared)
			if err != nil {
				t.Fatal(err)
			}
			addr2, err := v.MapCode(second)
			if err != nil {
				t.Fatal(err)
			}
			hostAddr := func(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }
			if addr < SharedCodeBase || addr%hugePage != hostAddr(shared)%hugePage || addr2 < addr+uint64(len(shared)) || addr2 >= SharedCodeBase+MaxSharedCode {
				t.Fatalf("mapped at %#x and %#x", addr, addr2)
			}
			tests := []struct {
				name string
				addr uint64
				arg  uint64
				want uint64
				kind api.TrapKind
				vec  x86.Vector
				bad  bool // an entry address Run refuses
			}{
				{name: "call", addr: addr, want: 0xC0DE + 5},
				{name: "second mapping", addr: addr2, want: 0x0BE7},
				{name: "write to itself", addr: addr, arg: 1, kind: api.TrapInternal, vec: x86.PF},
				{name: "ud2", addr: addr, arg: 2, kind: api.TrapUnreachable, vec: x86.UD},
				{name: "past the mapping", addr: addr + uint64(len(shared)), bad: true},
				{name: "below the mappings", addr: SharedCodeBase - 1, bad: true},
				{name: "in the trampoline", addr: sysTramp, bad: true},
				{name: "data", addr: DataBase, bad: true},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					res, err := v.Run(context.Background(), &Entry{Addr: tc.addr, Args: [6]uint64{tc.arg, 5}})
					switch {
					case tc.bad:
						var trap *Trap
						if err == nil || errors.As(err, &trap) {
							t.Fatalf("entry at %#x: %v, %v; want it refused", tc.addr, res, err)
						}
					case tc.kind != 0:
						trap := wantTrap(t, err, tc.kind, tc.vec, addr+uint64(writeAt))
						switch tc.vec {
						case x86.PF:
							if trap.ErrorCode != 7 { // a user write to a present page
								t.Fatalf("error code %#x, want 7", trap.ErrorCode)
							}
						case x86.UD:
							if trap.RIP != addr+uint64(ud2At) {
								t.Fatalf("ud2 at %#x, want %#x", trap.RIP, addr+uint64(ud2At))
							}
						}
					case err != nil || res[0] != tc.want:
						t.Fatalf("got %v, %v; want %#x", res, err, tc.want)
					}
				})
			}
			if v.broken != nil {
				t.Fatalf("the VM broke: %v", v.broken)
			}

			// The guest runs the host's pages, not a copy: it sees what the
			// host changes there.
			for _, c := range []uint32{0xD0D0, 0xC0DE} {
				if err := unix.Mprotect(shared, unix.PROT_READ|unix.PROT_WRITE); err != nil {
					t.Fatal(err)
				}
				binary.LittleEndian.PutUint32(shared[constAt:], c)
				if err := unix.Mprotect(shared, unix.PROT_READ|unix.PROT_EXEC); err != nil {
					t.Fatal(err)
				}
				if res, err := v.Run(context.Background(), &Entry{Addr: addr}); err != nil || res[0] != uint64(c) {
					t.Fatalf("after the host changed the code: %v, %v; want %#x", res, err, c)
				}
			}

			// The entry point in the code region still works beside it.
			if err := v.LoadCode(assemble(t, func(a *amd64.Asm) { a.Raw(0x90); a.MovImm(amd64.W32, amd64.RAX, 9); a.Ret() })); err != nil {
				t.Fatal(err)
			}
			if res, err := v.Run(context.Background(), &Entry{Addr: CodeBase + 1}); err != nil || res[0] != 9 {
				t.Fatalf("entry by address into the code region: %v, %v", res, err)
			}

			// A reset takes the mappings away, so their addresses fault,
			// and the same host pages map again.
			if err := v.unmap(true); err != nil {
				t.Fatal(err)
			}
			if err := v.reset(); err != nil {
				t.Fatal(err)
			}
			if _, err := v.Run(context.Background(), &Entry{Addr: addr}); err == nil {
				t.Fatal("entry into code unmapped by the reset accepted")
			}
			if err := v.LoadCode(assemble(t, func(a *amd64.Asm) {
				a.MovImm(amd64.W64, amd64.RAX, addr)
				a.CallReg(amd64.RAX)
				a.Ret()
			})); err != nil {
				t.Fatal(err)
			}
			_, err = v.Run(context.Background(), &Entry{})
			wantTrap(t, err, api.TrapInternal, x86.PF, addr)
			again, err := v.MapCode(shared)
			if err != nil || again != addr {
				t.Fatalf("mapped again at %#x, %v; want %#x", again, err, addr)
			}
			if res, err := v.Run(context.Background(), &Entry{Args: [6]uint64{0, 7}}); err != nil || res[0] != 0xC0DE+7 {
				t.Fatalf("after the reset: %v, %v", res, err)
			}

			// Instances from the pool share the host pages.
			for i := range 10 {
				v, err := m.Get()
				if err != nil {
					t.Fatal(err)
				}
				addr, err := v.MapCode(shared)
				if err != nil {
					t.Fatal(err)
				}
				res, err := v.Run(context.Background(), &Entry{Addr: addr, Args: [6]uint64{0, uint64(i)}})
				m.Put(v)
				if err != nil || res[0] != 0xC0DE+uint64(i) {
					t.Fatalf("instance %d: %v, %v", i, res, err)
				}
			}
		})
	}
}

func TestVM_MapCode_Errors(t *testing.T) {
	m := newMonitor(t, Config{})
	v := instance(t, m, nil, nil)
	pages := hostCode(t, 2, nil)
	huge, err := unix.Mmap(-1, 0, MaxSharedCode+page, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(huge)
	tests := []struct {
		name string
		code []byte
	}{
		{"empty", pages[:0]},
		{"not page-aligned", pages[1 : page+1]},
		{"ragged length", pages[:page+1]},
		{"larger than the room", huge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := v.MapCode(tc.code); err == nil {
				t.Fatal("mapped")
			}
		})
	}
	t.Run("too many", func(t *testing.T) {
		for i := range MaxCodeMappings {
			if _, err := v.MapCode(pages); err != nil {
				t.Fatalf("mapping %d: %v", i, err)
			}
		}
		if _, err := v.MapCode(pages); err == nil {
			t.Fatalf("mapping %d accepted", MaxCodeMappings+1)
		}
	})
	if v.broken != nil {
		t.Fatalf("a refused mapping broke the VM: %v", v.broken)
	}
}

// BenchmarkVM_MapCode maps 100 MiB of code into a VM, which is what an
// instance of a module with that much code pays at start. The unmap a
// reset does in between is not timed.
func BenchmarkVM_MapCode(b *testing.B) {
	m := newMonitor(b, Config{})
	v := instance(b, m, nil, nil)
	code := hostCode(b, 100<<20/page, []byte{0xC3})
	for b.Loop() {
		if _, err := v.MapCode(code); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := v.unmap(true); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// TestPageTablePool maps the worst case the page-table pool is sized for:
// the largest stack, code and data regions, every memory window filled
// with small pages, and every shared code mapping with partial 2 MiB pages
// at both ends, its range spread over all of MaxSharedCode.
func TestPageTablePool(t *testing.T) {
	pt, err := pagetable.New(make([]byte, ptPoolSize), ptPoolGPA)
	if err != nil {
		t.Fatal(err)
	}
	v := &VM{pt: pt, stackSize: maxStack, codeSize: maxCode, dataSize: MaxDataSize}
	v.codeOff = stackGPA + v.stackSize
	v.dataOff = v.codeOff + v.codeSize
	if err := v.buildTables(); err != nil {
		t.Fatal(err)
	}
	for i := range MaxMemories {
		if err := pt.MapSmall(MemoryWindowBase(i), memoryGPA+uint64(i)*MemoryWindow, MemoryWindow, pagetable.User|pagetable.Write); err != nil {
			t.Fatalf("memory %d: %v", i, err)
		}
	}
	const span = MaxSharedCode / MaxCodeMappings
	for j := range uint64(MaxCodeMappings) {
		if err := v.mapCodeTables(SharedCodeBase+j*span+page, span-hugePage); err != nil {
			t.Fatalf("code mapping %d: %v", j, err)
		}
	}
	t.Logf("%d of %d pages used", pt.PagesUsed(), pt.Capacity())
	if _, _, ok := pt.Lookup(SharedCodeBase + MaxSharedCode - hugePage - 1); !ok {
		t.Fatal("the last code mapping's last byte is not mapped")
	}
}
