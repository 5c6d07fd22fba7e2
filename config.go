package wasmvisor

import (
	"io"

	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// Policy is the set of runtime constraints a module is validated against
// before it may run: limits on sizes and counts, enabled features and
// allowed imports. The zero Policy limits nothing.
type Policy = validate.Policy

// DefaultPolicy returns the limits the CLI applies to untrusted code.
func DefaultPolicy() *Policy { return validate.DefaultPolicy() }

// RuntimeConfig configures a Runtime. The zero value is valid: the spec's
// rules only, and default execution limits.
type RuntimeConfig struct {
	// Policy is checked while compiling; nil means the spec only. Its
	// memory and table limits also cap how far memories and tables may
	// grow at run time.
	Policy *Policy
	// MaxStackBytes bounds the stack of each call into WebAssembly (value
	// slots of 8 bytes, plus 32 bytes of bookkeeping per nested call);
	// past it a call traps with "call stack exhausted". Zero means 8 MiB.
	// It is what `-W max-wasm-stack` sets.
	MaxStackBytes int
}

// ModuleConfig configures one instantiation.
type ModuleConfig struct {
	// Name is the name other modules import this one by. Empty means an
	// anonymous instance that nothing can import from.
	Name string
	// StartFunctions are exported functions called, in order and without
	// arguments, after instantiation (and after the module's own start
	// function). A name the module does not export is skipped. WASI
	// commands use []string{"_start"}.
	StartFunctions []string

	// Args, Env ("KEY=value"), Stdin, Stdout and Stderr are the program's
	// environment. The engine does not use them; host modules such as
	// WASI read them through ModuleConfigOf.
	Args   []string
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}
