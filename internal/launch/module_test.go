package launch

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/wasmvisor/wasmvisor"
)

// TestReadModule checks what ReadModule reads from files and streams:
// whole modules within the limit, and a stream that is no module refused
// after its first bytes, not after the limit's worth of them.
func TestReadModule(t *testing.T) {
	dir := t.TempDir()
	module := filepath.Join(dir, "m.wasm")
	bin := append(append([]byte(nil), wasmHeader...), make([]byte, 100)...)
	if err := os.WriteFile(module, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	p := wasmvisor.DefaultPolicy()

	if got, err := ReadModule(module, p); err != nil || len(got) != len(bin) {
		t.Errorf("regular file: %d bytes, %v", len(got), err)
	}
	small := wasmvisor.DefaultPolicy()
	small.MaxModuleSize = wasmvisor.LimitOf(50)
	if _, err := ReadModule(module, small); err == nil {
		t.Error("a file over the size limit was read")
	}

	// A pipe holding the module: no size up front.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.Write(bin); w.Close() }()
	pipe := filepath.Join("/proc/self/fd", strconv.Itoa(int(r.Fd())))
	if got, err := ReadModule(pipe, p); err != nil || len(got) != len(bin) {
		t.Errorf("pipe: %d bytes, %v", len(got), err)
	}
	r.Close()

	// An endless stream of zeros: refused at once.
	got, err := ReadModule("/dev/zero", p)
	if err != nil || len(got) != len(wasmHeader) {
		t.Errorf("/dev/zero: read %d bytes (%v), want only its first %d", len(got), err, len(wasmHeader))
	}
}
