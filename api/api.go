package api

import (
	"context"

	"github.com/wasmvisor/wasmvisor/internal/sealed"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// ValueType is a WebAssembly value type, encoded as in the binary format.
// Every value crosses the API as uint64 (see the Encode and Decode
// functions); a v128 takes two uint64s, the low half first.
// See https://www.w3.org/TR/wasm-core-2/#value-types%E2%91%A0
type ValueType = byte

// The value types of WebAssembly 2.0.
const (
	ValueTypeI32       ValueType = 0x7f
	ValueTypeI64       ValueType = 0x7e
	ValueTypeF32       ValueType = 0x7d
	ValueTypeF64       ValueType = 0x7c
	ValueTypeV128      ValueType = 0x7b
	ValueTypeFuncref   ValueType = 0x70
	ValueTypeExternref ValueType = 0x6f
)

// ValueTypeName returns the text-format name of t, such as "i32".
func ValueTypeName(t ValueType) string { return wasm.ValueType(t).String() }

// Module is an instantiated module: a WebAssembly module or a host module.
//
// Only package wasmvisor implements Module, Function, Memory and Global
// (an implementation elsewhere cannot be written), so that methods can
// be added to them; a test double can embed the interface.
//
// A Module is not safe for concurrent calls: WebAssembly 2.0 has no
// threads, so an instance runs one call at a time.
type Module interface {
	sealed.Interface

	// Name is the name the module was instantiated under; other modules
	// import from it by this name. It may be empty.
	Name() string

	// Memory returns the module's memory (index 0, defined or imported),
	// or nil if it has none.
	Memory() Memory

	// ExportedFunction returns the function exported as name, or nil.
	ExportedFunction(name string) Function
	// ExportedMemory returns the memory exported as name, or nil.
	ExportedMemory(name string) Memory
	// ExportedGlobal returns the global exported as name, or nil. A
	// mutable global also implements MutableGlobal.
	ExportedGlobal(name string) Global
	// ExportedFunctionDefinitions describes every exported function,
	// keyed by export name.
	ExportedFunctionDefinitions() map[string]FunctionDefinition

	// Close releases the module: its name becomes free for another
	// instantiation and its memory is released once no other module
	// imports it. Calling its functions afterwards fails.
	Close(ctx context.Context) error
}

// GoModuleFunc is the one calling convention for host functions, shared
// by every execution tier. mod is the module whose code made the call (for
// its memory); when Go calls a host function directly, through
// Function.Call, it is the host module itself. stack holds the parameters on entry and receives the
// results, in the uint64 encoding of this package; its length is the
// larger of the parameter and result counts (v128 counting two). It is
// valid until the function returns.
//
// Returning an error stops the calling WebAssembly code: an *ExitError
// ends the program with its exit code, any other error surfaces from the
// outermost Call (a *Trap gets the guest's backtrace added).
//
// A host function may call back into WebAssembly. It must pass the ctx it
// received, or one derived from it: ctx carries the calling execution's
// stack budget and nesting depth, which keep alternating host and guest
// recursion bounded.
type GoModuleFunc func(ctx context.Context, mod Module, stack []uint64) error

// Function is a function of an instantiated module, callable from Go.
type Function interface {
	sealed.Interface

	// Definition describes the function's signature and names.
	Definition() FunctionDefinition

	// Call invokes the function with params (one uint64 per parameter,
	// two for v128) and returns its results the same way. A trap is
	// returned as *Trap; a host function's exit as *ExitError. ctx
	// cancellation or deadline interrupts a running call with a trap.
	Call(ctx context.Context, params ...uint64) ([]uint64, error)

	// CallWithStack is Call without allocation: stack holds the params
	// and receives the results, and must be at least as long as either.
	CallWithStack(ctx context.Context, stack []uint64) error
}

// FunctionDefinition describes a function.
type FunctionDefinition struct {
	// ModuleName is the name of the module that defines the function.
	ModuleName string
	// Index is the function's index in its module's function index space.
	Index uint32
	// Name is the function's name from the name section, or from the
	// host module builder; it may be empty.
	Name        string
	ParamTypes  []ValueType
	ResultTypes []ValueType
}

// Memory is a linear memory. Offsets are byte offsets; every accessor
// checks bounds and reports false instead of panicking.
//
// The memory never moves, but slices from Bytes and Read cover only the
// size at the time of the call: after Grow (by the host or the guest),
// fetch them again to see the new pages.
type Memory interface {
	sealed.Interface

	// Size is the current size in bytes.
	Size() uint64
	// Pages is the current size in 64 KiB pages.
	Pages() uint32
	// Grow adds delta pages and returns the previous size in pages; ok is
	// false, and the memory unchanged, if the maximum would be exceeded.
	Grow(delta uint32) (previous uint32, ok bool)

	// Bytes returns the whole memory. It aliases the memory: writes are
	// visible to the guest.
	Bytes() []byte
	// Read returns n bytes at offset, aliasing the memory.
	Read(offset, n uint32) ([]byte, bool)
	// Write copies b to offset.
	Write(offset uint32, b []byte) bool

	ReadUint8(offset uint32) (uint8, bool)
	ReadUint16Le(offset uint32) (uint16, bool)
	ReadUint32Le(offset uint32) (uint32, bool)
	ReadUint64Le(offset uint32) (uint64, bool)
	WriteUint8(offset uint32, v uint8) bool
	WriteUint16Le(offset uint32, v uint16) bool
	WriteUint32Le(offset uint32, v uint32) bool
	WriteUint64Le(offset uint32, v uint64) bool
}

// Global is a global variable.
type Global interface {
	sealed.Interface

	// Type is the global's value type.
	Type() ValueType
	// Get returns the value in the uint64 encoding (the low half of a
	// v128; see GetV128).
	Get() uint64
	// GetV128 returns both halves of a v128 global.
	GetV128() (lo, hi uint64)
}

// MutableGlobal is a global declared mutable.
type MutableGlobal interface {
	Global
	// Set stores v (encoded as Get returns it).
	Set(v uint64)
	// SetV128 stores a v128 value.
	SetV128(lo, hi uint64)
}
