package disktest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// Need skips t when one of the tools is not installed. In CI (where
// testshared.EnvVar is set, as .ci/run does) a missing tool fails t
// instead, so that the tests cannot silently stop running.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := lookPath(tool); err != nil {
			msg := fmt.Sprintf("%s not installed (Debian: apt-get install e2fsprogs qemu-utils)", tool)
			if os.Getenv(testshared.EnvVar) != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

// lookPath finds tool on PATH or in the sbin directories, where Debian
// installs e2fsprogs and which a non-root PATH often lacks.
func lookPath(tool string) (string, error) {
	if p, err := exec.LookPath(tool); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(dir, tool)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", tool)
}

// Run runs a tool and fails t with its output if it fails.
func Run(t testing.TB, tool string, args ...string) []byte {
	t.Helper()
	Need(t, tool)
	p, _ := lookPath(tool)
	cmd := exec.Command(p, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", tool, args, err, out)
	}
	return out
}

// Convert converts the image src to dst with qemu-img convert -O format
// and the extra arguments (such as "-c" or "-o", "subformat=...").
func Convert(t testing.TB, src, dst, format string, extra ...string) {
	t.Helper()
	args := append([]string{"convert", "-O", format}, extra...)
	Run(t, "qemu-img", append(args, src, dst)...)
}

// RandomDisk returns size bytes of disk contents with a mix of random
// data, runs of zeros (which qemu-img leaves unallocated) and
// compressible text, so that every kind of cluster or grain appears.
func RandomDisk(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, size)
	for off := 0; off < size; {
		n := min(size-off, 512*(1+r.IntN(300)))
		switch r.IntN(3) {
		case 0: // random data
			for i := off; i < off+n; i++ {
				b[i] = byte(r.Uint32())
			}
		case 1: // zeros: already there
		case 2: // text
			line := fmt.Sprintf("line %d of a compressible run\n", off)
			for i := off; i < off+n; i++ {
				b[i] = line[(i-off)%len(line)]
			}
		}
		off += n
	}
	return b
}

// SparseDisk returns size bytes of zeros with a few small runs of random
// and of compressible data: a disk whose images are small, for fuzz seeds.
func SparseDisk(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, size)
	for i := 0; i < 6; i++ {
		off := r.IntN(size - 4096)
		n := 64 + r.IntN(1024)
		for j := off; j < off+n; j++ {
			if i%2 == 0 {
				b[j] = byte(r.Uint32())
			} else {
				b[j] = "compressible "[j%13]
			}
		}
	}
	return b
}

// WriteFile writes b to a new file in dir and returns its path.
func WriteFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// CheckReaderAt compares r, which claims to read want, with want (see
// CompareReaderAt) and fails t at the first difference.
func CheckReaderAt(t testing.TB, r io.ReaderAt, want []byte) {
	t.Helper()
	if err := CompareReaderAt(r, want); err != nil {
		t.Fatal(err)
	}
}

// CompareReaderAt compares r with want: the whole contents in odd-sized
// chunks, reads across and at the end, and a deterministic set of random
// reads. It may run in several goroutines at once.
func CompareReaderAt(r io.ReaderAt, want []byte) error {
	got := make([]byte, len(want))
	for off := 0; off < len(want); {
		n := min(len(want)-off, 777_777)
		if k, err := r.ReadAt(got[off:off+n], int64(off)); k != n || (err != nil && err != io.EOF) {
			return fmt.Errorf("ReadAt(%d bytes at %d) = %d, %v", n, off, k, err)
		}
		off += n
	}
	if i := firstDiff(got, want); i >= 0 {
		return fmt.Errorf("contents differ first at byte %#x: got %#x, want %#x", i, got[i], want[i])
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		off := rng.IntN(len(want))
		n := min(1+rng.IntN(200_000), len(want)-off)
		buf := make([]byte, n)
		if k, err := r.ReadAt(buf, int64(off)); k != n || (err != nil && err != io.EOF) {
			return fmt.Errorf("ReadAt(%d bytes at %d) = %d, %v", n, off, k, err)
		}
		if !bytes.Equal(buf, want[off:off+n]) {
			return fmt.Errorf("ReadAt(%d bytes at %d) differs at byte %#x", n, off, off+firstDiff(buf, want[off:off+n]))
		}
	}
	buf := make([]byte, 100)
	k, err := r.ReadAt(buf, int64(len(want)-10))
	if k != 10 || err != io.EOF || !bytes.Equal(buf[:10], want[len(want)-10:]) {
		return fmt.Errorf("read across the end = %d, %v; want 10, io.EOF", k, err)
	}
	if k, err := r.ReadAt(buf, int64(len(want))); k != 0 || err != io.EOF {
		return fmt.Errorf("read at the end = %d, %v; want 0, io.EOF", k, err)
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
