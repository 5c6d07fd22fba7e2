package vm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/pages"
)

// trampoline is the user-mode page every run starts in. With the function
// address in rax and its arguments in place, it puts the FPU and SSE state
// in their power-up state (so that nothing of an earlier instance leaks
// through them), calls the function, and returns its results with
// HypercallReturn:
//
//	entry:
//	  fninit
//	  push 0x1f80              ; MXCSR's power-up value
//	  ldmxcsr [rsp]
//	  add rsp, 8
//	  pxor xmm0, xmm0 … pxor xmm15, xmm15
//	  call rax
//	  mov rdi, rax
//	  mov rsi, rdx
//	  xor eax, eax             ; HypercallReturn
//	  out HypercallPort, al
//	  ud2                      ; never resumed
//
// The warm-up function runs after a reset to fault in the pages every run
// touches (trampoline, stack, code, context page, the start of the data
// region, whose address or ContextAddr it gets in rdi) and the exception
// path (IDT, GDT, TSS, stubs, ring-0 stack), so that the next instance
// does not pay a shadow-MMU fault of ~60 µs for each:
//
//	warm:
//	  mov rax, CodeBase
//	  mov rax, [rax]
//	  mov rax, ContextAddr
//	  mov rax, [rax]
//	  mov rax, [rdi]
//	  ud2
var trampoline, tramp = mustAssemble()

// trampOffsets are offsets in the trampoline.
type trampOffsets struct {
	// entry holds the offset of each instruction before the function is
	// called, the call rax included: where a run stopped before its
	// function started can be.
	entry []uint64
	// called is just past call rax: where the function returns to. From
	// there the trampoline only reports the results.
	called uint64
	// returned is just past the out: the rip of a run that ended by
	// returning.
	returned uint64
	// warm is the warm-up function.
	warm uint64
}

func assembleTrampoline() ([]byte, trampOffsets, error) {
	var a amd64.Asm
	var off trampOffsets
	step := func() { off.entry = append(off.entry, uint64(a.Len())) }
	step()
	a.Fninit()
	step()
	a.PushImm(0x1F80)
	step()
	a.Ldmxcsr(amd64.M(amd64.RSP, 0))
	step()
	a.AluImm(amd64.AluAdd, amd64.W64, amd64.RSP, 8)
	for i := range uint8(16) {
		step()
		a.SSE(amd64.Pxor, amd64.XReg(i), amd64.XReg(i))
	}
	step()
	a.CallReg(amd64.RAX)
	off.called = uint64(a.Len())
	a.MovRR(amd64.W64, amd64.RDI, amd64.RAX)
	a.MovRR(amd64.W64, amd64.RSI, amd64.RDX)
	a.Alu(amd64.AluXor, amd64.W32, amd64.RAX, amd64.RAX)
	a.Out(HypercallPort)
	off.returned = uint64(a.Len())
	a.Ud2()
	off.warm = uint64(a.Len())
	a.MovImm(amd64.W64, amd64.RAX, CodeBase)
	a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RAX, 0))
	a.MovImm(amd64.W32, amd64.RAX, ContextAddr)
	a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RAX, 0))
	a.Load(amd64.W64, amd64.RAX, amd64.M(amd64.RDI, 0))
	a.Ud2()
	code, err := a.Finish()
	if err == nil && len(code) > trampolineSize {
		err = fmt.Errorf("trampoline of %d bytes exceeds its page", len(code))
	}
	return code, off, err
}

func mustAssemble() ([]byte, trampOffsets) {
	code, off, err := assembleTrampoline()
	if err != nil {
		// The input is a constant: only a broken assembler gets here, and
		// the package tests catch it.
		panic("vm: " + err.Error())
	}
	return code, off
}

// warm runs the warm-up function, which ends in ud2.
func (v *VM) warm() error {
	// The host writes the code, context and data pages later; a guest
	// read of a page the host never wrote would map the shared zero page,
	// and the host's first write would then invalidate that mapping again.
	v.arena[v.codeOff] = 0
	clear(v.ContextPage())
	data := uint64(ContextAddr)
	if v.dataSize > 0 {
		v.Data()[0] = 0
		data = DataBase
	}
	_, err := v.enter(context.Background(), sysTramp+tramp.warm, &Entry{Args: [6]uint64{data}})
	var t *Trap
	if errors.As(err, &t) && t.Kind == api.TrapUnreachable {
		return nil
	}
	if err == nil {
		err = errors.New("the warm-up function returned")
	}
	return fmt.Errorf("warming up a VM: %w", err)
}

// reset returns a used VM to the state of a fresh one: no memory
// attached and no code mapped, and no byte the guest or the host wrote
// left in the stack, ring-0 stack, context page, data or code region.
// Registers are set by every Run. Where the VM keeps slots (VM.keep),
// the last user's memory slots and code mappings stay registered, out of
// the guest's page tables, until the next user claims them or Run
// deletes them, and KVM's shadow page tables of the VM's own pages stay
// warm; elsewhere deleting the slots flushed them all, and the VM warms
// up again first, so that its own writes are scrubbed too.
func (v *VM) reset() error {
	if err := v.unmap(true); err != nil {
		return err
	}
	if v.pt.PagesUsed() > v.pt.Capacity()/2 {
		// Tables are never freed, so that a table always serves the same
		// addresses (pagetable.Tables.Unmap); code mapped at ever other
		// addresses uses up the pool in the end.
		if err := v.flush(); err != nil {
			return err
		}
	} else if !v.keep {
		if err := v.warm(); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{v.Stack(), v.Data()[:v.dataLo], v.Data()[v.dataHi:]} {
		if err := v.scrubResident(b); err != nil {
			return err
		}
	}
	clear(v.arena[sysKStackLo:sysKStackHi])
	clear(v.ContextPage())
	return v.LoadCode(nil)
}

// flush starts the guest's address space afresh: every memory slot and
// code mapping deleted, the page tables rebuilt, and the arena's slot
// registered again, which makes KVM drop every shadow page table (those
// that shadow the page tables in the arena with the rest); then the VM
// warms up again.
func (v *VM) flush() error {
	v.claimed = 0
	if err := v.dropStale(); err != nil {
		return err
	}
	err := v.vm.SetUserMemoryRegion(kvm.UserspaceMemoryRegion{Slot: arenaSlot})
	if err == nil {
		err = v.registerArena()
	}
	if err == nil {
		err = v.buildTables()
	}
	if err != nil {
		v.broken = err
		return err
	}
	return v.warm()
}

// hostHasSwap is pages.SwapConfigured; a test makes it true to try the
// page map's way.
var hostHasSwap = pages.SwapConfigured

// scrubResident zeroes the pages of b, a part of the arena, that are
// resident. Untouched pages read as zero already, and writing them would
// allocate them.
//
// mincore(2) reports a page swapped out as absent, though it still holds
// what the last guest wrote: where the host has swap, the page map,
// which tells swapped pages apart, finds them instead (at 8 bytes a page
// read, against mincore's one).
func (v *VM) scrubResident(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if hostHasSwap() {
		if !pages.ZeroTouched(b, -1) {
			return fmt.Errorf("the host has swap, and /proc/self/pagemap cannot be read to find the guest's pages")
		}
		return nil
	}
	n := (len(b) + page - 1) / page
	if len(v.scratch) < n {
		v.scratch = make([]byte, n)
	}
	vec := v.scratch[:n]
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		return fmt.Errorf("mincore on the guest's pages: %w", errno)
	}
	// Most of a large region was never touched: skip its absent pages
	// eight at a time, and clear each run of resident pages in one go.
	for i := 0; i < n; {
		if i+8 <= n && binary.LittleEndian.Uint64(vec[i:])&0x0101010101010101 == 0 {
			i += 8
			continue
		}
		if vec[i]&1 == 0 {
			i++
			continue
		}
		j := i + 1
		for j < n && vec[j]&1 != 0 {
			j++
		}
		clear(b[i*page : min(j*page, len(b))])
		i = j
	}
	return nil
}
