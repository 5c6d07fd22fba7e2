package memfs

import (
	"fmt"
	"runtime"
	"testing"
)

// TestEmptiedDirectoriesGiveMemoryBack fills directory after directory
// with entries and empties each: Go's maps keep the memory of deleted
// entries, so without giving it back the host's memory would grow with
// every round while the charged bytes stay near zero.
func TestEmptiedDirectoriesGiveMemoryBack(t *testing.T) {
	if testing.Short() {
		t.Skip("fills directories with 400,000 entries")
	}
	f := New(Options{MaxBytes: 64 << 20})
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const perDir = 50_000
	var first uint64
	for round := range 8 {
		dir := fmt.Sprintf("d%d", round)
		if err := f.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perDir {
			if err := f.Symlink("x", fmt.Sprintf("%s/%d", dir, i)); err != nil {
				t.Fatalf("round %d, entry %d: %v", round, i, err)
			}
		}
		for i := range perDir {
			if err := f.Unlink(fmt.Sprintf("%s/%d", dir, i)); err != nil {
				t.Fatal(err)
			}
		}
		if round == 0 {
			first = heap()
		}
	}
	last := heap()
	runtime.KeepAlive(f)
	if last > first+first/2 {
		t.Errorf("the heap grew from %d KiB after the first emptied directory to %d KiB after 8", first>>10, last>>10)
	}
}
