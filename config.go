package wasmvisor

import (
	"io"
	"net"
)

// RuntimeConfig configures a Runtime. The zero value is valid: the spec's
// rules only, and default execution limits.
type RuntimeConfig struct {
	// Policy is checked while compiling; nil means the spec only. Its
	// memory and table limits also cap how far memories and tables may
	// grow at run time. NewRuntime takes a copy: changing the Policy
	// afterwards changes nothing.
	Policy *Policy
	// MaxStackBytes bounds the stack of each call into WebAssembly (value
	// slots of 8 bytes, plus 32 bytes of bookkeeping per nested call);
	// past it a call traps with "call stack exhausted". Zero means 8 MiB.
	// It is what `-W max-wasm-stack` sets.
	MaxStackBytes int
	// Tier is how code runs: TierDefault (the zero value) picks the best
	// tier the host offers. A tier the host lacks makes CompileModule
	// fail. It is what `--tier` sets.
	Tier Tier
	// Isolation is how code is separated from the host: in this process
	// or in a micro-VM per call. It is what `--isolation` sets. The
	// micro-VM runs compiled code only: with IsolationVM, TierDefault
	// means TierCompiled and TierInterp is refused.
	Isolation Isolation
	// CompilationCache, if not nil, keeps the machine code CompileModule
	// makes, and serves it to later compiles of the same module (in any
	// Runtime and process sharing the cache) instead of compiling again.
	// The interpreter's tier does not use it: it prepares code faster
	// than it could be read back.
	CompilationCache *CompilationCache
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

	// Dirs are the host directories the program may reach, in the order
	// it finds them pre-opened (after Listeners and DiskImage). Like
	// Args, only host modules such as WASI (package wasip1) read them.
	Dirs []DirMount
	// DiskImage, if not nil, is the program's "/", pre-opened after
	// Listeners; Dirs with absolute guest paths are mounted over it. The
	// caller owns it, and closes it after the modules that use it.
	DiskImage *DiskImage
	// Listeners are listening sockets the program finds open when it
	// starts, before Dirs: WASI gives them descriptors 3, 4, … Each must
	// have a host descriptor (*net.TCPListener and *net.UnixListener
	// do); the program works on a duplicate, so the caller still owns
	// and closes them.
	Listeners []net.Listener
	// Random is the source of the program's random bytes; nil means
	// crypto/rand. Tests set it to get reproducible runs.
	Random io.Reader
}

// DirMount maps a host directory into a program's file system, as
// `wasmvisor run --dir HOST::GUEST` does. The program cannot leave the
// directory, through ".." or symbolic links.
type DirMount struct {
	// Host is the directory on the host.
	Host string
	// Guest is where the program sees it: an absolute path such as "/"
	// or "/data" (mounts to absolute paths share one tree, so "/data"
	// appears inside "/"), or a relative one such as ".", which is a
	// tree of its own. Empty means the same as Host.
	Guest string
	// ReadOnly refuses every change to the directory's contents.
	ReadOnly bool
}
