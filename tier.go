package wasmvisor

import (
	"context"
	"fmt"
	"runtime"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Tier selects how a Runtime executes WebAssembly: by interpreting it or
// by compiling it to machine code. Every module of a Runtime runs on its
// tier, and a CompiledModule can only be instantiated in a Runtime of the
// tier that compiled it.
type Tier uint8

const (
	// TierDefault is the best tier the host offers: TierCompiled on
	// amd64 where this build provides it, TierInterp otherwise.
	// DefaultTier says which.
	TierDefault Tier = iota
	// TierInterp interprets a register form of the code. It starts
	// fastest and runs everywhere.
	TierInterp
	// TierCompiled compiles the code to x86-64 machine code. A Runtime
	// asking for it where it is not available fails to compile modules.
	TierCompiled
)

var tierNames = [...]string{TierDefault: "default", TierInterp: "interp", TierCompiled: "compiled"}

// String returns the name ParseTier accepts: "default", "interp" or
// "compiled".
func (t Tier) String() string { return enumName(tierNames[:], t, "Tier") }

// ParseTier returns the tier named s: "default" (or ""), "interp" or
// "compiled".
func ParseTier(s string) (Tier, error) {
	return parseEnum[Tier](tierNames[:], s, "tier", "default, interp or compiled")
}

// Set parses s into t, so that a *Tier is a flag.Value.
func (t *Tier) Set(s string) error {
	parsed, err := ParseTier(s)
	if err == nil {
		*t = parsed
	}
	return err
}

// enumName names v, one of a small enumeration whose names are names.
func enumName[T ~uint8](names []string, v T, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, uint8(v))
}

// parseEnum returns the value of the enumeration whose name is s; ""
// is the zero value, the default. what names the enumeration and want
// its names, for the error.
func parseEnum[T ~uint8](names []string, s, what, want string) (T, error) {
	if s == "" {
		return 0, nil
	}
	for v, name := range names {
		if s == name {
			return T(v), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q: want %s", what, s, want)
}

// compiledTier makes the compiled tier's engine for a stack limit (in
// bytes; zero means the default), or says why the host cannot run it. It
// is nil where this build has no compiled tier; the file that provides
// the tier, built only where it runs, sets it in an init function:
//
//	func init() {
//		compiledTier = func(maxStackBytes int) (engine.Engine, error) {
//			return amd64.New(amd64.Config{MaxStackBytes: maxStackBytes}), nil
//		}
//	}
var compiledTier func(maxStackBytes int) (engine.Engine, error)

// DefaultTier returns the tier TierDefault stands for on this host.
func DefaultTier() Tier {
	if runtime.GOARCH == "amd64" && compiledTier != nil {
		if _, err := compiledTier(0); err == nil {
			return TierCompiled
		}
	}
	return TierInterp
}

// Available returns nil if the host can run code on tier t (TierDefault
// always can), or why it cannot.
func (t Tier) Available() error {
	if t == TierDefault {
		return nil
	}
	_, err := newEngine(RuntimeConfig{Tier: t})
	return err
}

// newEngine returns the engine of cfg's tier, or why it is not available.
func newEngine(cfg RuntimeConfig) (engine.Engine, error) {
	tier := cfg.Tier
	if cfg.Isolation.resolve() == IsolationVM {
		if tier != TierDefault && tier != TierCompiled {
			return nil, fmt.Errorf("isolation vm runs compiled code only, not tier %s", tier)
		}
		if err := IsolationVM.Available(); err != nil {
			return nil, err
		}
		return vmEngine(cfg.MaxStackBytes)
	}
	if tier == TierDefault {
		tier = DefaultTier()
	}
	switch tier {
	case TierInterp:
		return interp.New(interp.Config{MaxStackBytes: cfg.MaxStackBytes}), nil
	case TierCompiled:
		if compiledTier == nil {
			return nil, fmt.Errorf("tier %s is not available on this host: this build has no compiled tier for %s/%s", tier, runtime.GOOS, runtime.GOARCH)
		}
		e, err := compiledTier(cfg.MaxStackBytes)
		if err != nil {
			return nil, fmt.Errorf("tier %s is not available on this host: %w", tier, err)
		}
		return e, nil
	}
	return nil, fmt.Errorf("unknown tier %s", tier)
}

// tierOf returns the Tier an engine implements.
func tierOf(e engine.Engine) Tier {
	t, err := ParseTier(e.Name())
	if err != nil {
		return TierDefault
	}
	return t
}

// unavailable stands for the engine of a tier the host lacks: the
// Runtime works, but compiling or calling anything returns why.
type unavailable struct {
	tier Tier
	err  error
}

func (u unavailable) Name() string { return u.tier.String() }

func (u unavailable) Compile(*wasm.Module) (engine.Module, error) { return nil, u.err }

func (u unavailable) Instantiated(*store.Instance) error { return u.err }

func (u unavailable) Call(ctx context.Context, f *store.Function, stack []uint64) error {
	return u.err
}
