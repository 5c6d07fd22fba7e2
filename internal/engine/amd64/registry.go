package amd64

import (
	"sort"
	"sync"
	"weak"
)

// The registry maps machine-code addresses back to modules, for
// backtraces and slow-instruction exits. It holds modules weakly: a
// module no instance uses any more is collected and its code unmapped.
var registry struct {
	mu   sync.RWMutex
	mods []registered // sorted by start
}

type registered struct {
	start, end uintptr
	mod        weak.Pointer[Module]
}

func register(mod *Module) {
	r := registered{start: mod.mem.addr(0), end: mod.mem.addr(len(mod.mem.b)), mod: weak.Make(mod)}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	// Drop entries whose module is gone; their ranges may be reused.
	live := registry.mods[:0]
	for _, e := range registry.mods {
		if e.mod.Value() != nil {
			live = append(live, e)
		}
	}
	i := sort.Search(len(live), func(i int) bool { return live[i].start >= r.start })
	live = append(live, registered{})
	copy(live[i+1:], live[i:])
	live[i] = r
	registry.mods = live
}

// lookupPC returns the module and function whose code holds pc.
func lookupPC(pc uintptr) (*Module, *funcCode) {
	registry.mu.RLock()
	mods := registry.mods
	i := sort.Search(len(mods), func(i int) bool { return mods[i].end > pc })
	var mod *Module
	if i < len(mods) && pc >= mods[i].start {
		mod = mods[i].mod.Value()
	}
	registry.mu.RUnlock()
	if mod == nil {
		return nil, nil
	}
	off := uint32(pc - mod.mem.addr(0))
	j := sort.Search(len(mod.byAddr), func(j int) bool { return mod.funcs[mod.byAddr[j]].end > off })
	if j < len(mod.byAddr) && off >= mod.funcs[mod.byAddr[j]].start {
		return mod, &mod.funcs[mod.byAddr[j]]
	}
	return mod, nil
}
