package aot

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestPieceDigests checks that the digests of content read from a file
// and of the same bytes in memory are each piece's SHA-256, in order,
// for sizes around the pieces' boundaries.
func TestPieceDigests(t *testing.T) {
	for _, n := range []int{0, 1, sumPiece - 1, sumPiece, sumPiece + 1, 3*sumPiece + 5} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		var want []byte
		for at := 0; at < n; at += sumPiece {
			s := sha256.Sum256(b[at:min(n, at+sumPiece)])
			want = append(want, s[:]...)
		}
		if got := pieceDigestsOf(b); !bytes.Equal(got, want) {
			t.Errorf("%d bytes in memory: digests differ", n)
		}
		got, err := pieceDigests(bytes.NewReader(append([]byte("head"), b...)), 4, int64(n))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes read at 4: digests differ (%v)", n, err)
		}
		if got, err := pieceDigests(eofAtEnd{bytes.NewReader(b)}, 0, int64(n)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%d bytes, io.EOF with the last bytes: digests differ (%v)", n, err)
		}
		if _, err := pieceDigests(bytes.NewReader(b), 0, int64(n)+1); err == nil {
			t.Errorf("%d bytes read as %d: no error", n, n+1)
		}
	}
}

// TestChecksums_LargeDamage checks that a file of several pieces, as
// the checksums split them, fails its check when any piece is damaged
// or two pieces trade places, as a precompiled file and as a cache
// entry stored in parts that cross the pieces' boundaries.
func TestChecksums_LargeDamage(t *testing.T) {
	code := make([]byte, 3*sumPiece+100)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range code {
		code[i] = byte(r.Uint32())
	}
	p := testPrecompiled()
	p.Code = code
	b := p.Marshal()
	if _, err := ParsePrecompiled(b); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{10, sumPiece + 3, 2*sumPiece - 1, len(b) - sha256.Size - 1} {
		d := bytes.Clone(b)
		d[at] ^= 0x40
		if _, err := ParsePrecompiled(d); err == nil {
			t.Errorf("precompiled file damaged at %d: no error", at)
		}
	}
	swapped := bytes.Clone(b)
	copy(swapped[sumPiece:2*sumPiece], b[2*sumPiece:3*sumPiece])
	copy(swapped[2*sumPiece:3*sumPiece], b[sumPiece:2*sumPiece])
	if _, err := ParsePrecompiled(swapped); err == nil {
		t.Error("precompiled file with two pieces swapped: no error")
	}

	c, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{code[:5], code[5 : sumPiece+7], code[sumPiece+7:]}
	if err := c.Put("k", parts...); err != nil {
		t.Fatal(err)
	}
	if got, ok := get(c, "k"); !ok || !bytes.Equal(got, code) {
		t.Fatalf("entry stored in parts: hit %v, same %v", ok, bytes.Equal(got, code))
	}
	path := c.path("k")
	for _, at := range []int64{0, sumPiece, 2*sumPiece + 9, int64(len(code)) - 1} {
		if err := c.Put("k", parts...); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte{code[at] ^ 1}, at)
		f.Close()
		if _, ok := get(c, "k"); ok {
			t.Errorf("entry damaged at %d: hit", at)
		}
	}
	if matches, _ := filepath.Glob(path); len(matches) != 0 {
		t.Errorf("damaged entry left in place")
	}
}

// eofAtEnd reports io.EOF with a read that reaches the end, as
// io.ReaderAt allows.
type eofAtEnd struct{ r *bytes.Reader }

func (e eofAtEnd) ReadAt(b []byte, off int64) (int, error) {
	n, err := e.r.ReadAt(b, off)
	if err == nil && off+int64(n) == e.r.Size() {
		err = io.EOF
	}
	return n, err
}
