package amd64

import (
	"sync"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
	"github.com/wasmvisor/wasmvisor/internal/vm"
)

// vmMonitors are the tests' monitors, one per stack limit, kept for the
// whole test binary as a process keeps its own.
var vmMonitors struct {
	sync.Mutex
	m map[int]*vm.Monitor
}

// vmEngine returns an engine of the VM target with a stack limit of
// maxStackBytes, skipping t where KVM is missing.
func vmEngine(t testing.TB, maxStackBytes int) *Engine {
	t.Helper()
	kvmtest.Require(t)
	vmMonitors.Lock()
	defer vmMonitors.Unlock()
	mon := vmMonitors.m[maxStackBytes]
	if mon == nil {
		var err error
		mon, err = vm.NewMonitor(VMConfig(maxStackBytes))
		if err != nil {
			kvmtest.Skip(t, err)
			return nil
		}
		if vmMonitors.m == nil {
			vmMonitors.m = map[int]*vm.Monitor{}
		}
		vmMonitors.m[maxStackBytes] = mon
	}
	return New(Config{MaxStackBytes: maxStackBytes, Target: VM, Monitor: mon})
}

// forTargets runs test for each target: in-process, and in micro-VMs
// where KVM works. newEngine makes an engine of the target.
func forTargets(t *testing.T, test func(t *testing.T, newEngine func(Config) *Engine)) {
	t.Run("in-process", func(t *testing.T) { test(t, New) })
	t.Run("micro-vm", func(t *testing.T) {
		test(t, func(cfg Config) *Engine { return vmEngine(t, cfg.MaxStackBytes) })
	})
}
