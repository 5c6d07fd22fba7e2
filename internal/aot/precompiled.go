package aot

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
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
const precompiledVersion = 1

// IsPrecompiled reports whether b starts as a precompiled file does.
func IsPrecompiled(b []byte) bool { return bytes.HasPrefix(b, []byte(precompiledMagic)) }

// Marshal returns p as a precompiled file:
//
//	"\0asc", uint32 version (little-endian),
//	uvarint-length-prefixed build ID, code key, module, code,
//	SHA-256 of everything before it.
func (p *Precompiled) Marshal() []byte {
	return MarshalPrecompiled(p.BuildID, p.CodeKey, p.Wasm, p.Code)
}

// MarshalPrecompiled is Marshal of a Precompiled whose code is the parts
// of code one after the other, in one allocation of the file's size: the
// code of a large module is copied once.
func MarshalPrecompiled(buildID, codeKey string, wasm []byte, code ...[]byte) []byte {
	codeLen := 0
	for _, c := range code {
		codeLen += len(c)
	}
	n := len(precompiledMagic) + 4 + len(buildID) + len(codeKey) + len(wasm) + codeLen + 4*binary.MaxVarintLen64 + sha256.Size
	b := make([]byte, 0, n)
	b = append(b, precompiledMagic...)
	b = binary.LittleEndian.AppendUint32(b, precompiledVersion)
	for _, f := range [][]byte{[]byte(buildID), []byte(codeKey), wasm} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = binary.AppendUvarint(b, uint64(codeLen))
	for _, c := range code {
		b = append(b, c...)
	}
	sum := sha256.Sum256(b)
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
	if want := sha256.Sum256(body); !bytes.Equal(sum, want[:]) {
		return nil, errors.New("precompiled module: checksum mismatch: the file is truncated or damaged")
	}
	rest := body[len(precompiledMagic)+4:]
	var fields [4][]byte
	for i := range fields {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(len(rest)-k) {
			return nil, errors.New("precompiled module: malformed")
		}
		fields[i], rest = rest[k:k+int(n)], rest[k+int(n):]
	}
	if len(rest) != 0 {
		return nil, errors.New("precompiled module: malformed")
	}
	return &Precompiled{BuildID: string(fields[0]), CodeKey: string(fields[1]), Wasm: fields[2], Code: fields[3]}, nil
}
