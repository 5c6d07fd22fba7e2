package amd64

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// storedFormat is the version of the stored form below. It changes when
// the form does; changes to the code generator are covered by the build
// identity that compilation caches add to their keys.
const storedFormat = 4

// codeAlign is where the code starts in the stored form: on a page
// boundary from the form's start, so that a form stored at a page
// boundary of a file (a compilation cache's entry, a precompiled file)
// has code that can be mapped from the file, and can be written through
// such a mapping as it is generated (CompileToFile). x86-64 pages are
// 4 KiB.
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

// MarshalModule returns the stored form of mod: the machine code, which
// is position-independent, then its functions' places and return
// addresses and the instructions its code hands to Go.
//
//	uint64 code length (little-endian), zeros up to codeAlign, code
//	uvarint functions, then per function:
//	  uvarint start, length, index, return addresses, then per address:
//	    uvarint pc (from the previous), offset
//	uvarint slow instructions, then per instruction:
//	  uvarint op, a, b, c, imm, offset, frame, shuffles, then 16 bytes per shuffle
//
// The code comes first, at a fixed place, and only its length is known
// when it ends: CompileToFile writes the code to a file as it is made
// and what describes it after, without knowing the code's size first.
func (e *Engine) MarshalModule(m engine.Module) ([][]byte, error) {
	mod, ok := m.(*Module)
	if !ok {
		return nil, fmt.Errorf("module of tier %T, not %s", m, Name)
	}
	return [][]byte{codeHeader(len(mod.mem.b)), mod.mem.b, marshalTables(mod.funcs, mod.slow)}, nil
}

// codeHeader returns the stored form's bytes before n bytes of code.
func codeHeader(n int) []byte {
	b := make([]byte, codeAlign)
	binary.LittleEndian.PutUint64(b, uint64(n))
	return b
}

// marshalTables returns the stored form's bytes after the code.
func marshalTables(funcs []funcCode, slow []slowInstr) []byte {
	n := 16*len(funcs) + 16*len(slow) + 16
	for _, f := range funcs {
		n += 4 * len(f.pcs)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(funcs)))
	for i := range funcs {
		b = appendFuncTable(b, &funcs[i])
	}
	return appendSlowTable(b, slow)
}

// appendFuncTable appends f's entry in the table of functions.
func appendFuncTable(b []byte, f *funcCode) []byte {
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
	return b
}

// appendSlowTable appends the table of slow instructions.
func appendSlowTable(b []byte, slow []slowInstr) []byte {
	b = binary.AppendUvarint(b, uint64(len(slow)))
	for _, s := range slow {
		for _, v := range [...]uint64{uint64(s.in.Op), uint64(s.in.A), uint64(s.in.B), uint64(s.in.C), s.in.Imm, uint64(s.offset), uint64(s.frame), uint64(len(s.shuffles))} {
			b = binary.AppendUvarint(b, v)
		}
		for _, sh := range s.shuffles {
			b = append(b, sh[:]...)
		}
	}
	return b
}

// CompileToFile compiles m, which is valid, and writes its stored form
// (MarshalModule's) to f at off, a multiple of codeAlign, returning the
// form's length; f ends where the form does. The code is assembled
// straight into f's pages through a shared mapping, whose finished pages
// the process lets go as it goes (codeArena.done): a module's machine
// code, 4.7 times its WebAssembly code, is never held whole in memory,
// and it is not made executable. Each function's return addresses (the
// Go compiler has 2.5 million, 20 MB as a slice) go to an unlinked
// temporary file beside f as the function is done, and are copied after
// the code at the end, within the kernel.
func (e *Engine) CompileToFile(m *wasm.Module, f *os.File, off int64) (int64, error) {
	if off%codeAlign != 0 {
		return 0, fmt.Errorf("stored code at offset %d, not a multiple of %d", off, codeAlign)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Name()), ".tables-*")
	if err != nil {
		return 0, err
	}
	os.Remove(tmp.Name()) // it lives while open
	defer tmp.Close()
	tw := &tableWriter{w: bufio.NewWriterSize(tmp, 256<<10)}
	tw.put(binary.AppendUvarint(nil, uint64(len(m.Codes))))
	var arena *codeArena
	_, _, slow, err := generateInto(e.t, m, func(n int) (*codeArena, error) {
		var err error
		arena, err = reserveFileCode(f, off+codeAlign, n)
		if err == nil {
			arena.onDone = tw.add
		}
		return arena, err
	})
	if err != nil {
		return 0, err
	}
	tw.put(appendSlowTable(nil, slow))
	if tw.err == nil && tw.next != len(m.Codes) {
		tw.err = errors.New("the generator skipped a function")
	}
	if tw.err == nil {
		tw.err = tw.w.Flush()
	}
	if tw.err != nil {
		return 0, fmt.Errorf("writing tables: %w", tw.err)
	}
	n := int64(arena.n)
	if err := copyFile(f, off+codeAlign+n, tmp, tw.n); err != nil {
		return 0, fmt.Errorf("writing tables: %w", err)
	}
	size := codeAlign + n + tw.n
	// The arena's mapping extended f past the code's end.
	if err := f.Truncate(off + size); err != nil {
		return 0, err
	}
	if _, err := f.WriteAt(codeHeader(int(n)), off); err != nil {
		return 0, err
	}
	return size, nil
}

// tableWriter writes functions' tables as the generator places the
// functions, in the order of their indices (join).
type tableWriter struct {
	w    *bufio.Writer
	buf  []byte
	next int   // the function whose table comes next
	n    int64 // bytes written
	err  error
}

// add takes function i's tables and drops its return addresses.
func (t *tableWriter) add(i int, f *funcCode) {
	if i != t.next {
		if t.err == nil {
			t.err = fmt.Errorf("the tables of function %d came where those of %d belong", i, t.next)
		}
		return
	}
	t.buf = appendFuncTable(t.buf[:0], f)
	f.pcs = nil
	t.put(t.buf)
	t.next++
}

func (t *tableWriter) put(b []byte) {
	if t.err == nil {
		_, t.err = t.w.Write(b)
		t.n += int64(len(b))
	}
}

// copyFile copies the first n bytes of src to dst at off, within the
// kernel where it can.
func copyFile(dst *os.File, off int64, src *os.File, n int64) error {
	var from int64
	for from < n {
		k, err := unix.CopyFileRange(int(src.Fd()), &from, int(dst.Fd()), &off, int(n-from), 0)
		if err != nil || k == 0 {
			break // copied below
		}
	}
	if from == n {
		return nil
	}
	_, err := io.CopyBuffer(io.NewOffsetWriter(dst, off), io.NewSectionReader(src, from, n-from), make([]byte, 256<<10))
	return err
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
	var head [codeAlign]byte
	r.full(head[:])
	if r.err != nil {
		return nil, r.err
	}
	n64 := binary.LittleEndian.Uint64(head[:])
	if n64 > uint64(r.left) {
		return nil, fmt.Errorf("%d bytes of code, but %d bytes left", n64, r.left)
	}
	if [codeAlign - 8]byte(head[8:]) != [codeAlign - 8]byte{} {
		return nil, errors.New("padding before the code is not zero")
	}
	n := int(n64)
	var arena *codeArena
	var mem *execMem
	// Code a micro-VM runs is read into huge pages instead: each 4 KiB
	// page of a file the guest first touches costs a fault in the
	// VM's page tables, which made a Go program's first run 3x as slow.
	if src, ok := src.(codeFile); ok && n > 0 && e.t != VM {
		f, base := src.File()
		if off := base + codeAlign; off%codeAlign == 0 {
			var err error
			if mem, err = mapCodeFile(f, off, n); err != nil {
				return nil, err
			}
			// The tables are read from the file past the code,
			// which was checked whole.
			left := size - codeAlign - int64(n)
			r = reader{r: bufio.NewReader(io.NewSectionReader(f, off+int64(n), left)), left: left}
		}
	}
	if mem == nil {
		var err error
		if arena, err = reserveCode(n); err != nil {
			return nil, err
		}
		r.full(arena.buf()[:n])
	}
	mod, err := e.unmarshalTables(m, &r, n)
	if err == nil && arena != nil {
		r.end()
		err = r.err
	}
	if err != nil {
		if arena != nil {
			arena.release(0)
		}
		return nil, err
	}
	if arena != nil {
		if mem, err = arena.seal(arena.buf()[:n]); err != nil {
			return nil, err
		}
	}
	return newModule(e.t, m, mem, mod.funcs, mod.slow), nil
}

// unmarshalTables reads the stored form's tables after n bytes of code
// for m, into a Module that has no code yet.
func (e *Engine) unmarshalTables(m *wasm.Module, r *reader, n int) (*Module, error) {
	nf := r.count(4)
	if r.err == nil && nf != len(m.Codes) {
		return nil, fmt.Errorf("%d functions, but the module defines %d", nf, len(m.Codes))
	}
	funcs := make([]funcCode, nf)
	for i := range funcs {
		f := &funcs[i]
		f.start = r.u32()
		f.end = f.start + r.u32()
		f.index = r.u32()
		if r.err == nil && (f.end < f.start || f.index != m.NumImportedFuncs()+uint32(i)) {
			return nil, fmt.Errorf("function %d: bad place or index", i)
		}
		if r.err == nil && int64(f.end) > int64(n) {
			return nil, fmt.Errorf("function %d ends past the code", i)
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
	if r.err != nil {
		return nil, r.err
	}
	if r.left != 0 {
		return nil, fmt.Errorf("%d bytes after the tables", r.left)
	}
	return &Module{funcs: funcs, slow: slow}, nil
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
