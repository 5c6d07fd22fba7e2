package amd64

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// perfMap is the file that names generated code for Linux perf, open
// while the environment variable WASMVISOR_PERFMAP is set: perf reads
// /tmp/perf-PID.map to name addresses outside any mapped file, so a
// profile of a program on the compiled tier shows its functions (by
// their names in the module's name section, else wasm[INDEX]) instead
// of bare addresses.
var perfMap struct {
	once sync.Once
	mu   sync.Mutex
	f    *os.File
}

// writePerfMap adds mod's functions to the perf map, if there is one.
func writePerfMap(mod *Module, m *wasm.Module) {
	perfMap.once.Do(func() {
		if os.Getenv("WASMVISOR_PERFMAP") == "" {
			return
		}
		// Not through a link someone else left at the name in /tmp.
		f, err := os.OpenFile(fmt.Sprintf("/tmp/perf-%d.map", os.Getpid()), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "wasmvisor: WASMVISOR_PERFMAP: %v\n", err)
			return
		}
		perfMap.f = f
	})
	if perfMap.f == nil {
		return
	}
	perfMap.mu.Lock()
	defer perfMap.mu.Unlock()
	w := bufio.NewWriter(perfMap.f)
	for _, fc := range mod.funcs {
		fmt.Fprintf(w, "%x %x %s\n", mod.mem.addr(int(fc.start)), fc.end-fc.start, perfMapName(m, fc.index))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "wasmvisor: WASMVISOR_PERFMAP: %v\n", err)
	}
}

// perfMapName is function i's name in the perf map: its name in the
// module's name section, which the module chose, with control
// characters replaced so that it stays one line, or wasm[i].
func perfMapName(m *wasm.Module, i uint32) string {
	name := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, m.FuncName(i))
	if name == "" {
		return fmt.Sprintf("wasm[%d]", i)
	}
	return name
}
