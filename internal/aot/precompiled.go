package aot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Precompiled is the content of a precompiled file: a module's binary
// with the machine code a build of wasmvisor made for it.
type Precompiled struct {
	// BuildID and CodeKey are those of the build and engine that made
	// Code; only the same may load it.
	BuildID string
	CodeKey string
	// Wasm is the module's binary, decoded and validated again when the
	// file is loaded (the code is not: it is trusted).
	Wasm []byte
	// Code is the engine's stored form of the module's code.
	Code []byte
}

// precompiledMagic starts a precompiled file. A WebAssembly binary
// starts "\0asm"; this differs in its fourth byte so that tools
// reading the first bytes tell the two apart.
const precompiledMagic = "\x00asc"

// precompiledVersion is the version of the file's framing.
const precompiledVersion = 3

// precompiledAlign is where in the file the code starts: on a page
// boundary, so that it can be written through a mapping of the file as
// it is generated, and mapped from the file.
const precompiledAlign = 4096

// IsPrecompiled reports whether b starts as a precompiled file does.
func IsPrecompiled(b []byte) bool { return bytes.HasPrefix(b, []byte(precompiledMagic)) }

// Marshal returns p as a precompiled file:
//
//	"\0asc", uint32 version (little-endian),
//	uvarint-length-prefixed build ID, code key, module,
//	uint64 code length (little-endian), zeros up to a multiple of
//	4096 bytes from the file's start, code,
//	SHA-256 of the SHA-256 of each 4 MiB piece of everything before
//	it (the last piece may be shorter), computed on every CPU.
//
// The code's length is a fixed-size field, and the code starts at a
// place known before it is made, so that a writer can put the code in
// the file as it is generated and fill the length in after it
// (CreatePrecompiled).
func (p *Precompiled) Marshal() []byte {
	return MarshalPrecompiled(p.BuildID, p.CodeKey, p.Wasm, p.Code)
}

// precompiledHead returns a precompiled file's bytes before the code
// length, and where the code starts.
func precompiledHead(buildID, codeKey string, wasm []byte, extra int) ([]byte, int) {
	n := len(precompiledMagic) + 4 + len(buildID) + len(codeKey) + 3*binary.MaxVarintLen64
	b := make([]byte, 0, n+extra)
	b = append(b, precompiledMagic...)
	b = binary.LittleEndian.AppendUint32(b, precompiledVersion)
	for _, f := range [][]byte{[]byte(buildID), []byte(codeKey)} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.AppendUvarint(b, uint64(len(wasm)))
	return b, codeStart(len(b) + len(wasm))
}

// codeStart returns where the code starts in a file whose code length
// field is at lenAt.
func codeStart(lenAt int) int {
	return (lenAt + 8 + precompiledAlign - 1) / precompiledAlign * precompiledAlign
}

// MarshalPrecompiled is Marshal of a Precompiled whose code is the parts
// of code one after the other, in one allocation of the file's size: the
// code of a large module is copied once.
func MarshalPrecompiled(buildID, codeKey string, wasm []byte, code ...[]byte) []byte {
	codeLen := 0
	for _, c := range code {
		codeLen += len(c)
	}
	b, codeAt := precompiledHead(buildID, codeKey, wasm, len(wasm)+precompiledAlign+codeLen+sha256.Size)
	b = append(b, wasm...)
	b = binary.LittleEndian.AppendUint64(b, uint64(codeLen))
	b = append(b, make([]byte, codeAt-len(b))...)
	for _, c := range code {
		b = append(b, c...)
	}
	sum := sha256.Sum256(pieceDigestsOf(b))
	return append(b, sum[:]...)
}

// ParsePrecompiled reads a precompiled file. A file that is truncated or
// damaged, or of another version of the framing, is an error; the
// fields' values are the caller's to check.
func ParsePrecompiled(b []byte) (*Precompiled, error) {
	if !IsPrecompiled(b) {
		return nil, errors.New("not a precompiled module")
	}
	if len(b) < len(precompiledMagic)+4+sha256.Size {
		return nil, errors.New("precompiled module: truncated")
	}
	if v := binary.LittleEndian.Uint32(b[len(precompiledMagic):]); v != precompiledVersion {
		return nil, fmt.Errorf("precompiled module: file format version %d, this build reads %d: compile it again", v, precompiledVersion)
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if want := sha256.Sum256(pieceDigestsOf(body)); !bytes.Equal(sum, want[:]) {
		return nil, errors.New("precompiled module: checksum mismatch: the file is truncated or damaged")
	}
	malformed := errors.New("precompiled module: malformed")
	at := len(precompiledMagic) + 4
	var fields [3][]byte
	for i := range fields {
		n, k := binary.Uvarint(body[at:])
		if k <= 0 || n > uint64(len(body)-at-k) {
			return nil, malformed
		}
		fields[i] = body[at+k : at+k+int(n)]
		at += k + int(n)
	}
	codeAt := codeStart(at)
	if codeAt > len(body) {
		return nil, malformed
	}
	n := binary.LittleEndian.Uint64(body[at:])
	if n != uint64(len(body)-codeAt) || !allZero(body[at+8:codeAt]) {
		return nil, malformed
	}
	return &Precompiled{BuildID: string(fields[0]), CodeKey: string(fields[1]), Wasm: fields[2], Code: body[codeAt:]}, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// PrecompiledFile is a precompiled file being written, whose code is put
// in its file by the caller (CreatePrecompiled).
type PrecompiledFile struct {
	f      *os.File
	path   string
	lenAt  int64 // where the code length goes
	codeAt int64
}

// CreatePrecompiled starts a precompiled file that will replace path: a
// temporary file beside it holding the framing and wasm, into which the
// caller writes the code at CodeOffset (a multiple of 4096) before
// Commit. The code never passes through this package, so that it can
// be written to the file as it is generated and never be held whole.
func CreatePrecompiled(path, buildID, codeKey string, wasm []byte) (*PrecompiledFile, error) {
	head, codeAt := precompiledHead(buildID, codeKey, wasm, 0)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	p := &PrecompiledFile{f: f, path: path, lenAt: int64(len(head) + len(wasm)), codeAt: int64(codeAt)}
	if _, err := f.Write(head); err == nil {
		_, err = f.Write(wasm)
	}
	if err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}

// File returns the file the code goes in.
func (p *PrecompiledFile) File() *os.File { return p.f }

// CodeOffset returns where in File the code starts.
func (p *PrecompiledFile) CodeOffset() int64 { return p.codeAt }

// Commit finishes the file, whose code is the n bytes at CodeOffset
// (the file must end there), and renames it into place: path then holds
// the old file or the whole new one. The checksum is computed by reading
// the file back through small buffers, on every CPU, since the code
// may be patched after it is first written. Not synced: a file a crash
// damaged fails its checksum when loaded. On error the temporary file
// is removed.
func (p *PrecompiledFile) Commit(n int64, perm os.FileMode) error {
	err := p.finish(n, perm)
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.f.Name(), p.path)
	}
	if err != nil {
		os.Remove(p.f.Name())
	}
	return err
}

func (p *PrecompiledFile) finish(n int64, perm os.FileMode) error {
	fi, err := p.f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() != p.codeAt+n {
		return fmt.Errorf("precompiled module: %d bytes of code written, %d expected", fi.Size()-p.codeAt, n)
	}
	var length [8]byte
	binary.LittleEndian.PutUint64(length[:], uint64(n))
	if _, err := p.f.WriteAt(length[:], p.lenAt); err != nil {
		return err
	}
	// The zeros before the code are a hole the code's offset left.
	digests, err := pieceDigests(p.f, 0, p.codeAt+n)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(digests)
	if _, err := p.f.WriteAt(sum[:], p.codeAt+n); err != nil {
		return err
	}
	return p.f.Chmod(perm)
}

// Abort removes the unfinished file.
func (p *PrecompiledFile) Abort() {
	p.f.Close()
	os.Remove(p.f.Name())
}
