package wasmvisor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/engine"
)

// Isolation is how a Runtime separates the code it runs from the host.
type Isolation uint8

const (
	// IsolationDefault is what the runtime recommends: IsolationProcess
	// (see RATIONALE.md for the measurements behind the choice).
	IsolationDefault Isolation = iota
	// IsolationProcess runs code in this process, confined by the
	// checks the code makes and the runtime's virtual kernel.
	IsolationProcess
	// IsolationVM runs each call from Go in a KVM micro-VM without a
	// guest operating system: compiled code in ring 3, its host calls
	// as hypercalls, its memory in a window of the guest's address
	// space. It needs /dev/kvm (see `wasmvisor check`) and the compiled
	// tier; a Runtime asking for it where it is not available fails to
	// compile modules.
	IsolationVM
	// IsolationAuto is IsolationVM where KVM works and IsolationProcess
	// elsewhere.
	IsolationAuto
)

var isolationNames = [...]string{IsolationDefault: "default", IsolationProcess: "process", IsolationVM: "vm", IsolationAuto: "auto"}

// String returns the name ParseIsolation accepts.
func (i Isolation) String() string { return enumName(isolationNames[:], i, "Isolation") }

// ParseIsolation returns the isolation named s: "default" (or ""),
// "process", "vm" or "auto".
func ParseIsolation(s string) (Isolation, error) {
	return parseEnum[Isolation](isolationNames[:], s, "isolation", "process, vm or auto")
}

// Set parses s into i, so that an *Isolation is a flag.Value.
func (i *Isolation) Set(s string) error {
	parsed, err := ParseIsolation(s)
	if err == nil {
		*i = parsed
	}
	return err
}

// vmEngine makes the compiled tier's engine for the micro-VM target, or
// says why the host cannot run it. It is nil where this build has none
// (set by the file that provides it, as compiledTier is).
var vmEngine func(maxStackBytes int) (engine.Engine, error)

// vmAvailable caches whether the micro-VM works here, for IsolationAuto.
var vmAvailable = sync.OnceValue(func() error {
	if vmEngine == nil {
		return fmt.Errorf("this build has no micro-VM")
	}
	_, err := vmEngine(0)
	return err
})

// Available returns nil if the host can run code with isolation i, or
// why it cannot.
func (i Isolation) Available() error {
	if i == IsolationVM {
		if err := vmAvailable(); err != nil {
			return fmt.Errorf("isolation vm is not available on this host: %w", err)
		}
	}
	return nil
}

// resolve returns the isolation i stands for here: IsolationProcess or
// IsolationVM.
func (i Isolation) resolve() Isolation {
	switch i {
	case IsolationVM:
		return IsolationVM
	case IsolationAuto:
		if vmAvailable() == nil {
			return IsolationVM
		}
	}
	return IsolationProcess
}

// VMStats counts what calls in micro-VMs cost: the exits their code made
// to the host, by cause, and the time spent in the VM and in the host's
// handlers. Calls whose context carries one (WithVMStats) add to it; it
// is safe for concurrent use. It is what `wasmvisor run --stats` prints.
type VMStats struct {
	s engine.ExitStats
}

// VMCounts is a snapshot of VMStats.
type VMCounts struct {
	// Calls counts the calls from Go that ran in a VM.
	Calls int64
	// Exits counts the guest's exits to the host, every call's final
	// return included.
	Exits int64
	// ByCause counts exits by what they served: a host function by
	// module and name ("wasi_snapshot_preview1.fd_write"), "return",
	// "trap", or "step OP" for an instruction run on the host.
	ByCause map[string]int64
	// Run is the time calls spent in VMs, and Host the part of it spent
	// in the host serving exits; Run-Host is the guest's code and the
	// exits' round trips.
	Run, Host time.Duration
}

// WithVMStats returns a context whose calls (and instantiations, which
// run start functions) count their micro-VM exits in s.
func WithVMStats(ctx context.Context, s *VMStats) context.Context {
	return engine.WithExitStats(ctx, &s.s)
}

// Counts returns the counts so far.
func (s *VMStats) Counts() VMCounts {
	c := s.s.Counts()
	return VMCounts{Calls: c.Calls, Exits: c.Exits, ByCause: c.ByCause, Run: c.Run, Host: c.Host}
}

// VMPool is what the process's micro-VM pools hold: VMs are kept warm
// between calls and shared by every Runtime of the process.
type VMPool struct {
	// Live counts the VMs that exist: running a call, ready in a pool,
	// or given back and waiting to be reset or torn down.
	Live int64
	// Ready counts the reset VMs waiting for a call, and Returned those
	// given back and not yet reset or torn down.
	Ready, Returned int
	// Created counts the VMs ever made, and Reused the calls that ran
	// in a VM used before.
	Created, Reused int64
	// Matched counts the calls whose VM had kept memory slots for the
	// call's memory from an earlier instance at its address, so that
	// none were made: what makes a pooled VM start fast.
	Matched int64
}

// vmPoolStats sums the process's VM pools; nil where this build has no
// micro-VM.
var vmPoolStats func() VMPool

// MicroVMPool returns what the process's micro-VM pools hold now (all
// zero where no call ran in a VM).
func MicroVMPool() VMPool {
	if vmPoolStats == nil {
		return VMPool{}
	}
	return vmPoolStats()
}
