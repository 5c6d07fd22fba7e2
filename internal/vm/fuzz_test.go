package vm

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/linmem"
)

// FuzzVM_Run runs arbitrary bytes as guest code, with arbitrary argument
// registers (wild pointers and jump targets), a memory and a handler. The
// host must always get a result or a *Trap back and the VM must stay
// usable: no garbage can crash the host, reach ring 0, or break the VM.
func FuzzVM_Run(f *testing.F) {
	f.Add([]byte{0xC3}, uint64(0), uint64(0))                                  // ret
	f.Add([]byte{0x0F, 0x0B}, uint64(0), uint64(0))                            // ud2
	f.Add([]byte{0xFF, 0xE7}, uint64(sysStubs), uint64(0))                     // jmp rdi
	f.Add([]byte{0x48, 0x89, 0x07, 0xC3}, uint64(ptPoolGPA), uint64(0))        // mov [rdi], rax
	f.Add([]byte{0x48, 0x89, 0x07, 0xC3}, uint64(MemoryBase+8), uint64(0))     // mov [rdi], rax
	f.Add([]byte{0xB8, 0x01, 0, 0, 0, 0xE6, 0xF0, 0xC3}, uint64(7), uint64(0)) // hypercall 1
	f.Add([]byte{0xB8, 0x02, 0, 0, 0, 0xE6, 0xF0, 0xC3}, uint64(3), uint64(0)) // grow
	f.Add([]byte{0xEB, 0xFE}, uint64(0), uint64(0))                            // jmp $
	f.Add([]byte{0x0F, 0x05}, uint64(0), uint64(0))                            // syscall
	f.Add([]byte{0xCD, 0x80}, uint64(0), uint64(0))                            // int 0x80
	f.Add([]byte{0x6C}, uint64(CodeBase), uint64(HypercallPort))               // insb
	f.Add([]byte{0x0F, 0x01, 0xD9}, uint64(0), uint64(0))                      // vmmcall
	f.Add([]byte{0x48, 0x89, 0xFC, 0xC3}, uint64(sysKStackHi), uint64(0))      // mov rsp, rdi; ret

	kvmOnce := sync.OnceValues(func() (*Monitor, error) { return NewMonitor(Config{CodeSize: 2 << 20}) })
	var tab Table
	tab.Register(1, func(c *Call) (uint64, error) {
		b, err := c.Bytes(c.Args[0], 8)
		if err != nil {
			return ^uint64(0), nil
		}
		return uint64(b[0]), nil
	})
	tab.Register(2, func(c *Call) (uint64, error) {
		prev, ok := c.GrowMemory(uint32(c.Args[0]))
		if !ok {
			return ^uint64(0), nil
		}
		return uint64(prev), nil
	})
	f.Fuzz(func(t *testing.T, code []byte, rdi, rsi uint64) {
		m := newFuzzMonitor(t, kvmOnce)
		if len(code) > 4096 {
			code = code[:4096]
		}
		mem, err := linmem.New(linmem.Config{MinPages: 1, MaxPages: 4, Guard: linmem.DefaultGuard})
		if err != nil {
			t.Fatal(err)
		}
		defer mem.Close()
		v, err := m.Get()
		if err != nil {
			t.Fatal(err)
		}
		defer m.Put(v)
		if err := v.LoadCode(code); err != nil {
			t.Fatal(err)
		}
		if err := v.AttachMemory(mem); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err = v.Run(ctx, &Entry{Args: [6]uint64{rdi, rsi, rdi ^ rsi, 0, 0, 0}, Hypercalls: &tab})
		var trap *Trap
		if err != nil && !errors.As(err, &trap) {
			t.Fatalf("not a trap: %v", err)
		}
		if v.broken != nil {
			t.Fatalf("the guest broke the VM: %v", v.broken)
		}
	})
}

func newFuzzMonitor(t *testing.T, get func() (*Monitor, error)) *Monitor {
	t.Helper()
	m, err := get()
	if err != nil {
		newMonitor(t, Config{}) // skips with the KVM message, or fails
		t.Fatal(err)
	}
	return m
}
