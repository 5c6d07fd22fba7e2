package zstd

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// compress runs the zstd command-line tool on data with args.
func compress(t testing.TB, data []byte, args ...string) []byte {
	t.Helper()
	disktest.Need(t, "zstd")
	cmd := exec.Command("zstd", append([]string{"-c", "-q"}, args...)...)
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("zstd %v: %v: %s", args, err, errb.String())
	}
	return out.Bytes()
}

// testInputs are data that make a compressor use every block, literal and
// sequence encoding: random (raw blocks and literals), zeros (RLE),
// repetitive text (long matches, repeat offsets) and a mix.
func testInputs() map[string][]byte {
	text := []byte(strings.Repeat("the quick brown fox jumps over the lazy dog; ", 5000))
	mixed := disktest.RandomDisk(9, 256<<10)
	words := make([]byte, 0, 300<<10)
	for i := 0; len(words) < 300<<10; i++ {
		words = fmt.Appendf(words, "%d:%x ", i%977, i*i%65521)
	}
	return map[string][]byte{
		"empty":  {},
		"byte":   {42},
		"random": disktest.RandomDisk(1, 200<<10),
		"noise":  noise(150 << 10),
		"zeros":  make([]byte, 300<<10),
		"text":   text,
		"words":  words,
		"mixed":  mixed,
	}
}

func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func TestDecompress_MatchesZstdTool(t *testing.T) {
	levels := [][]string{{"--fast=5"}, {"-3", "--no-check"}, {"-19"}, {"--ultra", "-22"}, {"-5", "--long=20"}}
	for name, data := range testInputs() {
		for _, lv := range levels {
			t.Run(name+strings.Join(lv, ""), func(t *testing.T) {
				src := compress(t, data, lv...)
				dst := make([]byte, len(data))
				n, err := Decompress(dst, src)
				if err != nil {
					t.Fatal(err)
				}
				if n != len(data) || !bytes.Equal(dst, data) {
					t.Fatalf("decoded %d bytes, want %d (equal: %v)", n, len(data), bytes.Equal(dst[:n], data[:n]))
				}
			})
		}
	}
}

func TestDecompress_Frames(t *testing.T) {
	a := []byte(strings.Repeat("frame one ", 100))
	b := []byte(strings.Repeat("frame two ", 100))
	za, zb := compress(t, a), compress(t, b)
	skippable := []byte{0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'}
	corrupt := bytes.Clone(za)
	corrupt[len(corrupt)-1] ^= 0xff // the checksum
	tests := []struct {
		name    string
		src     []byte
		dstLen  int
		want    []byte
		wantErr bool
	}{
		{"two frames", append(bytes.Clone(za), zb...), len(a) + len(b), append(bytes.Clone(a), b...), false},
		{"skippable frame", append(bytes.Clone(skippable), za...), len(a), a, false},
		{"output full stops", za, 10, a[:10], false},
		{"bad checksum", corrupt, len(a), nil, true},
		{"bad magic", []byte{1, 2, 3, 4, 5}, 10, nil, true},
		{"truncated", za[:len(za)/2], len(a), nil, true},
		{"trailing bytes", append(bytes.Clone(za), 1, 2), len(a) + 10, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]byte, tc.dstLen)
			n, err := Decompress(dst, tc.src)
			if tc.wantErr {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("err = %v, want ErrFormat", err)
				}
				return
			}
			if err != nil || !bytes.Equal(dst[:n], tc.want) {
				t.Fatalf("got %d bytes, %v", n, err)
			}
		})
	}
}

func TestXXH64(t *testing.T) {
	// Reference values from the xxHash specification's test vectors.
	tests := []struct {
		in   string
		want uint64
	}{
		{"", 0xef46db3751d8e999},
		{"a", 0xd24ec4f1a98c6e5b},
		{"abc", 0x44bc2cf5ad770999},
		{"Nobody inspects the spammish repetition", 0xfbcea83c8a378bf1},
	}
	for _, tc := range tests {
		if got := xxh64([]byte(tc.in)); got != tc.want {
			t.Errorf("xxh64(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

const seedDir = "testdata/seeds"

// TestSeeds checks the fuzz seeds decode; with -update-seeds it makes
// them with the zstd tool.
func TestSeeds(t *testing.T) {
	if *disktest.UpdateSeeds {
		for name, data := range testInputs() {
			if len(data) > 8<<10 {
				data = data[:8<<10] // seeds of a few KiB
			}
			for _, lv := range []string{"-1", "-19"} {
				disktest.WriteSeed(t, filepath.Join(seedDir, name+lv+".zst.gz"), compress(t, data, lv))
			}
		}
	}
	for name, src := range disktest.Seeds(t, seedDir) {
		if _, err := Decompress(make([]byte, 64<<10), src); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecompress decodes arbitrary input into a fixed buffer: it may fail,
// but never panic, hang or write past the buffer.
func FuzzDecompress(f *testing.F) {
	for _, src := range disktest.Seeds(f, seedDir) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dst := make([]byte, 64<<10)
		n, _ := Decompress(dst[:32<<10], src)
		if n > 32<<10 {
			t.Fatalf("wrote %d bytes into a 32 KiB buffer", n)
		}
		for _, c := range dst[32<<10:] {
			if c != 0 {
				t.Fatal("wrote past the buffer")
			}
		}
	})
}
