package wasmvisor

import (
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/amd64"
	"github.com/wasmvisor/wasmvisor/internal/vm"
)

// On x86-64 the compiled tier is built in.
func init() {
	compiledTier = func(maxStackBytes int) (engine.Engine, error) {
		return amd64.New(amd64.Config{MaxStackBytes: maxStackBytes}), nil
	}
}

// monitors are the process's VM monitors, one per machine-stack size
// (VMs of a monitor all have the same), made on first use and kept: a
// monitor keeps warm VMs for the next call, which is what makes a call
// in a VM start fast.
var monitors struct {
	sync.Mutex
	m map[uint64]*vm.Monitor
}

func init() {
	vmPoolStats = func() VMPool {
		monitors.Lock()
		defer monitors.Unlock()
		var p VMPool
		for _, mon := range monitors.m {
			st := mon.Stats()
			p.Live += st.Live
			p.Ready += st.Ready
			p.Returned += st.Returned
			p.Created += st.Created
			p.Reused += st.Reused
			p.Matched += st.Matched
		}
		return p
	}
	vmEngine = func(maxStackBytes int) (engine.Engine, error) {
		cfg, err := amd64.VMConfig(maxStackBytes)
		if err != nil {
			return nil, err
		}
		monitors.Lock()
		defer monitors.Unlock()
		mon := monitors.m[cfg.StackSize]
		if mon == nil {
			var err error
			if mon, err = vm.NewMonitor(cfg); err != nil {
				return nil, err
			}
			if monitors.m == nil {
				monitors.m = map[uint64]*vm.Monitor{}
			}
			monitors.m[cfg.StackSize] = mon
		}
		return amd64.New(amd64.Config{MaxStackBytes: maxStackBytes, Target: amd64.VM, Monitor: mon}), nil
	}
}
