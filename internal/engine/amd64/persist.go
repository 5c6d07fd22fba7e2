package amd64

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/cpu"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// storedFormat is the version of the stored form below. It changes when
// the form does; changes to the code generator are covered by the build
// identity that compilation caches add to their keys.
const storedFormat = 3

// codeAlign is where the code starts in the stored form: on a page
// boundary from the form's start, so that a form stored at a page
// boundary of a file (a compilation cache's entry) has code that can be
// mapped from the file. x86-64 pages are 4 KiB.
const codeAlign = 4096

// codeFeatures are the CPU features generated code uses where the host
// has them (and replaces with other code or a call to Go where it does
// not), so code made on one host may only run on hosts with the same.
var codeFeatures = []struct {
	name string
	has  bool
}{
	{"popcnt", cpu.X86.HasPOPCNT},
	{"ssse3", cpu.X86.HasSSSE3},
	{"sse4.1", cpu.X86.HasSSE41},
	{"sse4.2", cpu.X86.HasSSE42},
}

// CodeKey names the tier, the stored form, the target and the CPU
// features the code uses, e.g. "compiled/1/in-process/popcnt+ssse3".
func (e *Engine) CodeKey() string {
	var used []string
	for _, f := range codeFeatures {
		if f.has {
			used = append(used, f.name)
		}
	}
	return fmt.Sprintf("%s/%d/%s/%s", Name, storedFormat, e.t.Name, strings.Join(used, "+"))
}

var _ engine.Persistent = (*Engine)(nil)

// MarshalModule returns the stored form of mod: its functions' places
// and return addresses, the instructions its code hands to Go, and the
// machine code, which is position-independent.
//
//	uvarint functions, then per function:
//	  uvarint start, length, index, return addresses, then per address:
//	    uvarint pc (from the previous), offset
//	uvarint slow instructions, then per instruction:
//	  uvarint op, a, b, c, imm, offset, frame, shuffles, then 16 bytes per shuffle
//	uvarint code length, zeros up to a multiple of codeAlign, code
func (e *Engine) MarshalModule(m engine.Module) ([][]byte, error) {
	mod, ok := m.(*Module)
	if !ok {
		return nil, fmt.Errorf("module of tier %T, not %s", m, Name)
	}
	n := 16*len(mod.funcs) + 16*len(mod.slow) + 16
	for _, f := range mod.funcs {
		n += 4 * len(f.pcs)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(mod.funcs)))
	for _, f := range mod.funcs {
		b = binary.AppendUvarint(b, uint64(f.start))
		b = binary.AppendUvarint(b, uint64(f.end-f.start))
		b = binary.AppendUvarint(b, uint64(f.index))
		b = binary.AppendUvarint(b, uint64(len(f.pcs)))
		prev := f.start
		for _, p := range f.pcs {
			b = binary.AppendUvarint(b, uint64(p.pc-prev))
			b = binary.AppendUvarint(b, uint64(p.offset))
			prev = p.pc
		}
	}
	b = binary.AppendUvarint(b, uint64(len(mod.slow)))
	for _, s := range mod.slow {
		for _, v := range [...]uint64{uint64(s.in.Op), uint64(s.in.A), uint64(s.in.B), uint64(s.in.C), s.in.Imm, uint64(s.offset), uint64(s.frame), uint64(len(s.shuffles))} {
			b = binary.AppendUvarint(b, v)
		}
		for _, sh := range s.shuffles {
			b = append(b, sh[:]...)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(mod.mem.b)))
	b = append(b, make([]byte, padTo(len(b), codeAlign))...)
	return [][]byte{b, mod.mem.b}, nil
}

// UnmarshalModule reads the stored form of m's code, size bytes, from r
// and maps the code. Where r is a file whose bytes were checked before
// (a compilation cache's entry, see codeFile), the code is mapped from
// the file, private and read-execute: it takes no memory until it runs,
// and then pages that other processes running it share. Otherwise it is
// read straight into the mapping that becomes executable, and r is read
// to its end before anything is made of what was read: a reader that
// checks integrity reports damage there.
func (e *Engine) UnmarshalModule(m *wasm.Module, r io.Reader, size int64) (engine.Module, error) {
	mod, err := e.unmarshal(m, r, size)
	if err != nil {
		return nil, fmt.Errorf("stored code: %w", err)
	}
	return mod, nil
}

func (e *Engine) unmarshal(m *wasm.Module, src io.Reader, size int64) (*Module, error) {
	r := reader{r: bufio.NewReader(src), left: size}
	nf := r.count(4)
	if r.err == nil && nf != len(m.Codes) {
		return nil, fmt.Errorf("%d functions, but the module defines %d", nf, len(m.Codes))
	}
	funcs := make([]funcCode, nf)
	var ends []uint32 // checked against the code's length once it is read
	for i := range funcs {
		f := &funcs[i]
		f.start = r.u32()
		f.end = f.start + r.u32()
		f.index = r.u32()
		if r.err == nil && (f.end < f.start || f.index != m.NumImportedFuncs()+uint32(i)) {
			return nil, fmt.Errorf("function %d: bad place or index", i)
		}
		f.pcs = sliceOf[pcEntry](r.count(2))
		pc := f.start
		for j := range f.pcs {
			pc += r.u32()
			f.pcs[j] = pcEntry{pc: pc, offset: r.u32()}
			if r.err == nil && (pc < f.start || pc > f.end) {
				return nil, fmt.Errorf("function %d: return address outside it", i)
			}
		}
		ends = append(ends, f.end)
	}
	slow := make([]slowInstr, r.count(8))
	for i := range slow {
		s := &slow[i]
		s.in = ir.Instr{Op: ir.Opcode(r.u32()), A: r.u32(), B: r.u32(), C: r.u32(), Imm: r.u64()}
		s.offset = r.u32()
		s.frame = r.u32()
		s.shuffles = sliceOf[[16]byte](r.count(16))
		for j := range s.shuffles {
			r.full(s.shuffles[j][:])
		}
	}
	n := r.count(1)
	if r.err != nil {
		return nil, r.err
	}
	pad := padTo(int(size-r.left), codeAlign)
	if r.left != int64(pad+n) {
		return nil, fmt.Errorf("%d bytes after the code", r.left-int64(pad+n))
	}
	for i, end := range ends {
		if int(end) > n {
			return nil, fmt.Errorf("function %d ends past the code", i)
		}
	}
	var zeros [codeAlign]byte
	r.full(zeros[:pad])
	if r.err != nil {
		return nil, r.err
	}
	if zeros != ([codeAlign]byte{}) {
		return nil, errors.New("padding before the code is not zero")
	}
	// Code a micro-VM runs is read into huge pages instead: each 4 KiB
	// page of a file the guest first touches costs a fault in the
	// VM's page tables, which made a Go program's first run 3x as slow.
	if src, ok := src.(codeFile); ok && n > 0 && e.t != VM {
		f, base := src.File()
		if off := base + size - r.left; off%codeAlign == 0 {
			mem, err := mapCodeFile(f, off, n)
			if err != nil {
				return nil, err
			}
			return newModule(e.t, m, mem, funcs, slow), nil
		}
	}
	arena, err := reserveCode(n)
	if err != nil {
		return nil, err
	}
	code := arena.buf()[:n]
	r.full(code)
	r.end()
	if r.err != nil {
		arena.release(0)
		return nil, r.err
	}
	mem, err := arena.seal(code)
	if err != nil {
		return nil, err
	}
	return newModule(e.t, m, mem, funcs, slow), nil
}

// codeFile is a source of the stored form held whole in a file and
// checked before it is read (aot.Entry): the form's first byte is at
// the offset File returns. Its code is mapped rather than read.
type codeFile interface {
	File() (*os.File, int64)
}

// padTo returns how many bytes take n to a multiple of align.
func padTo(n, align int) int { return (align - n%align) % align }

// sliceOf returns a slice of n elements, nil for none, as the code
// generator leaves them.
func sliceOf[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, n)
}

var errTruncated = errors.New("truncated")

// reader reads the stored form; its first error sticks and later reads
// return zero values. left counts the bytes the form has still to come.
type reader struct {
	r    *bufio.Reader
	left int64
	err  error
}

func (r *reader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r)
	if err != nil {
		r.fail(err)
		return 0
	}
	return v
}

// ReadByte reads through r.r, counting what the form has left.
func (r *reader) ReadByte() (byte, error) {
	if r.left <= 0 {
		return 0, errTruncated
	}
	b, err := r.r.ReadByte()
	if err == nil {
		r.left--
	}
	return b, err
}

func (r *reader) u32() uint32 {
	v := r.u64()
	if v > 1<<32-1 && r.err == nil {
		r.err = fmt.Errorf("value %d out of range", v)
	}
	return uint32(v)
}

// count reads a number of items of at least minSize bytes each, refusing
// a count the remaining bytes cannot hold, so that a damaged count
// cannot make the reader allocate without bound.
func (r *reader) count(minSize int) int {
	v := r.u64()
	if r.err == nil && v > uint64(r.left)/uint64(minSize) {
		r.err = fmt.Errorf("count %d exceeds the %d bytes left", v, r.left)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

// full fills p.
func (r *reader) full(p []byte) {
	if r.err != nil {
		return
	}
	if int64(len(p)) > r.left {
		r.err = errTruncated
		return
	}
	n, err := io.ReadFull(r.r, p)
	r.left -= int64(n)
	if err != nil {
		r.fail(err)
	}
}

// end reads the source to its end, where a reader that checks integrity
// reports what it found; anything past the form is an error.
func (r *reader) end() {
	if r.err != nil {
		return
	}
	var b [1]byte
	if n, err := r.r.Read(b[:]); n > 0 {
		r.err = errors.New("bytes after the code")
	} else if err != io.EOF {
		r.fail(err)
	}
}

func (r *reader) fail(err error) {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = errTruncated
	}
	r.err = err
}
