package x86

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
)

func TestEncodeGDT(t *testing.T) {
	buf := make([]byte, GDTSize)
	if err := EncodeGDT(buf, 0x1234_5678_9abc_d000, 0x87); err != nil {
		t.Fatal(err)
	}
	// The flat segments are the values Linux uses (arch/x86/kernel/cpu/
	// common.c, GDT_ENTRY_INIT), with the accessed bit set.
	tests := []struct {
		sel  int
		name string
		want uint64
	}{
		{0, "null", 0},
		{KernelCS, "kernel code", 0x00AF9B000000FFFF},
		{KernelDS, "kernel data", 0x00CF93000000FFFF},
		{UserDS &^ 3, "user data", 0x00CFF3000000FFFF},
		{UserCS &^ 3, "user code", 0x00AFFB000000FFFF},
		{TSSSel, "TSS low", 0x9A008BBCD0000087},
		{TSSSel + 8, "TSS high", 0x12345678},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := binary.LittleEndian.Uint64(buf[tc.sel:]); got != tc.want {
				t.Errorf("got %#016x, want %#016x", got, tc.want)
			}
		})
	}
	if err := EncodeGDT(make([]byte, GDTSize-1), 0, 0); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestEncodeTSS(t *testing.T) {
	tests := []struct {
		name      string
		allowed   []uint16
		wantLimit uint32
		open      []uint16
		closed    []uint16
	}{
		{"hypercall port", []uint16{0xF0}, TSSHeaderSize + 0xF0/8 + 1, []uint16{0xF0}, []uint16{0, 0xEF, 0xF1, 0xF7, 0x80}},
		{"two ports", []uint16{0x10, 0x11}, TSSHeaderSize + 0x11/8 + 1, []uint16{0x10, 0x11}, []uint16{0x12, 0x0F}},
		{"none", nil, TSSHeaderSize + 1, nil, []uint16{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, 4096)
			for i := range buf {
				buf[i] = 0xAA // EncodeTSS must clear what it uses
			}
			limit, err := EncodeTSS(buf, 0x8000, tc.allowed...)
			if err != nil {
				t.Fatal(err)
			}
			if limit != tc.wantLimit {
				t.Errorf("limit = %d, want %d", limit, tc.wantLimit)
			}
			if got := binary.LittleEndian.Uint64(buf[tssRSP0:]); got != 0x8000 {
				t.Errorf("rsp0 = %#x", got)
			}
			iob := binary.LittleEndian.Uint16(buf[tssIOBase:])
			if iob != TSSHeaderSize {
				t.Errorf("I/O map base = %d", iob)
			}
			// The CPU's check (SDM Vol. 1, 19.5.2): read the bit for the
			// port; a port whose byte lies beyond the limit is denied.
			allowed := func(port uint16) bool {
				off := uint32(iob) + uint32(port)/8
				if off+1 > limit {
					return false
				}
				return buf[off]&(1<<(port%8)) == 0
			}
			for _, p := range tc.open {
				if !allowed(p) {
					t.Errorf("port %#x denied", p)
				}
			}
			for _, p := range tc.closed {
				if allowed(p) {
					t.Errorf("port %#x allowed", p)
				}
			}
			if buf[limit] != 0xFF {
				t.Errorf("byte at the limit = %#x, want the 0xFF terminator", buf[limit])
			}
		})
	}
	if _, err := EncodeTSS(make([]byte, TSSHeaderSize), 0, 0xFFFF); err == nil || !strings.Contains(err.Error(), "needs") {
		t.Errorf("short buffer: err = %v", err)
	}
}

func TestEncodeIDT(t *testing.T) {
	buf := make([]byte, IDTSize)
	if err := EncodeIDT(buf, 0xFFFF_8000_1234_4000); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{0, 14, 31} {
		lo := binary.LittleEndian.Uint64(buf[v*16:])
		hi := binary.LittleEndian.Uint64(buf[v*16+8:])
		target := lo&0xFFFF | (lo>>48)<<16 | hi<<32
		if want := uint64(0xFFFF_8000_1234_4000) + uint64(v)*StubSize; target != want {
			t.Errorf("vector %d: target %#x, want %#x", v, target, want)
		}
		if sel := lo >> 16 & 0xFFFF; sel != KernelCS {
			t.Errorf("vector %d: selector %#x", v, sel)
		}
		if attr := lo >> 40 & 0xFF; attr != 0x8E {
			t.Errorf("vector %d: attributes %#x, want a present DPL-0 interrupt gate", v, attr)
		}
	}
	if err := EncodeIDT(make([]byte, IDTSize-1), 0); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestEncodeStubs(t *testing.T) {
	buf := make([]byte, StubsSize)
	if err := EncodeStubs(buf, 0xF1); err != nil {
		t.Fatal(err)
	}
	// mov al, 14; out 0xf1, al; hlt (x4 padding)
	if got := hex.EncodeToString(buf[14*StubSize : 15*StubSize]); got != "b00ee6f1f4f4f4f4" {
		t.Errorf("stub 14 = %s", got)
	}
	if buf[StubOutEnd-2] != 0xE6 {
		t.Errorf("StubOutEnd %d is not just past the out", StubOutEnd)
	}
	if err := EncodeStubs(make([]byte, StubsSize-1), 0xF1); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestUserSregs(t *testing.T) {
	s := UserSregs(Layout{GDT: 0x1000, IDT: 0x2000, TSS: 0x3000, TSSLimit: 0x87, CR3: 0x10_0000, CR4: CR4UMIP})
	if s.CS.DPL != 3 || s.CS.Selector != UserCS || s.CS.L != 1 || s.SS.DPL != 3 || s.SS.Selector != UserDS {
		t.Errorf("not ring 3: cs %+v ss %+v", s.CS, s.SS)
	}
	if s.EFER&(EFERLME|EFERLMA|EFERNXE) != EFERLME|EFERLMA|EFERNXE || s.EFER&EFERSCE != 0 {
		t.Errorf("efer = %#x", s.EFER)
	}
	if s.CR0&(CR0PE|CR0PG) != CR0PE|CR0PG || s.CR4&(CR4PAE|CR4UMIP) != CR4PAE|CR4UMIP {
		t.Errorf("cr0 = %#x cr4 = %#x", s.CR0, s.CR4)
	}
	if s.TR.Base != 0x3000 || s.TR.Limit != 0x87 || s.GDT.Limit != GDTSize-1 || s.IDT.Limit != IDTSize-1 || s.CR3 != 0x10_0000 {
		t.Errorf("tables: %+v %+v %+v cr3 %#x", s.TR, s.GDT, s.IDT, s.CR3)
	}
}

func TestVector_String(t *testing.T) {
	tests := []struct {
		v       Vector
		want    string
		errCode bool
	}{
		{DE, "#DE divide error", false},
		{PF, "#PF page fault", true},
		{GP, "#GP general protection", true},
		{UD, "#UD invalid opcode", false},
		{Vector(15), "vector 15", false},
		{Vector(200), "vector 200", false},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.v.String(); got != tc.want {
				t.Errorf("String = %q", got)
			}
			if got := tc.v.HasErrorCode(); got != tc.errCode {
				t.Errorf("HasErrorCode = %v", got)
			}
		})
	}
}
