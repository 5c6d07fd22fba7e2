package aot

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testPrecompiled() *Precompiled {
	return &Precompiled{BuildID: "build", CodeKey: "compiled/1/x", Wasm: []byte("\x00asm\x01\x00\x00\x00"), Code: bytes.Repeat([]byte{0xcc}, 300)}
}

func TestPrecompiled_RoundTrip(t *testing.T) {
	p := testPrecompiled()
	b := p.Marshal()
	if !IsPrecompiled(b) || IsPrecompiled(p.Wasm) {
		t.Fatal("IsPrecompiled does not tell the file from a module")
	}
	got, err := ParsePrecompiled(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.BuildID != p.BuildID || got.CodeKey != p.CodeKey || !bytes.Equal(got.Wasm, p.Wasm) || !bytes.Equal(got.Code, p.Code) {
		t.Fatalf("ParsePrecompiled = %+v, want %+v", got, p)
	}
}

// TestPrecompiled_Damage checks that every truncation and every flipped
// bit of a file is an error.
func TestPrecompiled_Damage(t *testing.T) {
	b := testPrecompiled().Marshal()
	for n := range len(b) {
		if _, err := ParsePrecompiled(b[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	for i := range len(b) * 8 {
		d := bytes.Clone(b)
		d[i/8] ^= 1 << (i % 8)
		if _, err := ParsePrecompiled(d); err == nil {
			t.Fatalf("bit %d flipped: no error", i)
		}
	}
}

func TestPrecompiled_Version(t *testing.T) {
	b := testPrecompiled().Marshal()
	binary.LittleEndian.PutUint32(b[len(precompiledMagic):], precompiledVersion+1)
	_, err := ParsePrecompiled(b)
	if err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("ParsePrecompiled = %v, want a version error", err)
	}
}

func FuzzParsePrecompiled(f *testing.F) {
	f.Add(testPrecompiled().Marshal())
	f.Add([]byte(precompiledMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePrecompiled(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.Marshal(), b) {
			t.Fatal("a file that parses does not marshal back to itself")
		}
	})
}

// TestCreatePrecompiled checks that a file whose code the caller wrote
// at CodeOffset is the file Marshal returns, that Commit refuses a code
// length the file does not have, and that neither a refused nor an
// aborted file is left behind.
func TestCreatePrecompiled(t *testing.T) {
	p := testPrecompiled()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.cwasm")
	write := func() *PrecompiledFile {
		t.Helper()
		out, err := CreatePrecompiled(path, p.BuildID, p.CodeKey, p.Wasm)
		if err != nil {
			t.Fatal(err)
		}
		if out.CodeOffset()%precompiledAlign != 0 {
			t.Fatalf("code at %d, not on a page boundary", out.CodeOffset())
		}
		if _, err := out.File().WriteAt(p.Code, out.CodeOffset()); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := write().Commit(int64(len(p.Code)), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, p.Marshal()) {
		t.Fatal("the file differs from Marshal's")
	}
	if err := write().Commit(int64(len(p.Code))-1, 0o600); err == nil {
		t.Error("Commit of a wrong code length: no error")
	}
	write().Abort()
	if des, _ := os.ReadDir(dir); len(des) != 1 {
		t.Errorf("%d files in the directory, want 1", len(des))
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, got) {
		t.Error("a failed or aborted file replaced the committed one")
	}
}
