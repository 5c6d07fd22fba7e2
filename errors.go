package wasmvisor

import (
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// The errors of compiling and linking a module. Each is returned as a
// pointer, possibly wrapped: match them with errors.As. Traps and
// program exits are *api.Trap and *api.ExitError, shared with host
// functions.
//
// The decoder, the validator and the linker have error types of their
// own, which stay internal so that they can change; the API translates
// them into these at its edge, with the same messages.

// FormatError is a malformed binary: what was wrong and at which byte.
// Msg uses the spec test suite's wording ("unexpected end", "magic
// header not detected", ...).
// See https://www.w3.org/TR/wasm-core-2/#binary-format%E2%91%A2
type FormatError struct {
	Offset uint64
	Msg    string
	// Err is the underlying cause, if any.
	Err error
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s (at offset 0x%x)", e.Msg, e.Offset) }

// Unwrap returns Err.
func (e *FormatError) Unwrap() error { return e.Err }

// Location says where in a module a rule was broken.
type Location struct {
	// Where names the entity: `func[3] "name"`, `global[1]`, `elem[0]`,
	// `export[2] "f"`, `import[0] "env"."f"`, `memory[0]`, `start`,
	// `module`.
	Where string
	// Func is the index of the function whose body holds the error, or
	// -1.
	Func int64
	// Offset is the byte offset in the binary of the offending
	// instruction or entry, or 0 when unknown.
	Offset uint64
	// Instruction is the offending instruction ("i32.add"), or "".
	Instruction string
}

// String formats the location as error messages start:
// `func[3] "name" at offset 0x1f4 (i32.add)`.
func (l Location) String() string { return validate.FormatLocation(l.Where, l.Offset, l.Instruction) }

func locationOf(l validate.Location) Location {
	pub := Location{Where: l.Where, Func: l.Func, Offset: l.Offset}
	if l.HasOp {
		pub.Instruction = l.Op.String()
	}
	return pub
}

// ValidationError is a module that breaks a WebAssembly 2.0 validation
// rule, for example
//
//	func[3] "name" at offset 0x1f4 (i32.add): type mismatch: expected i32, got f64
//
// Rule starts with the spec test suite's wording of the rule.
// See https://www.w3.org/TR/wasm-core-2/#validation%E2%91%A1
type ValidationError struct {
	Location
	Rule string
}

func (e *ValidationError) Error() string { return e.Location.String() + ": " + e.Rule }

// PolicyError is a module that is valid WebAssembly but breaks the
// runtime's Policy, for example
//
//	memory[0]: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)
type PolicyError struct {
	Location
	Rule string
	// Value and Limit are the offending quantity and the limit it
	// broke; both are zero for rules that are not limits (features,
	// imports).
	Value, Limit uint64
	// Flag is the `wasmvisor run -W` setting that made the rule, so
	// that a user of the CLI knows what to change.
	Flag string
}

func (e *PolicyError) Error() string {
	return e.Location.String() + ": " + e.Rule + " (" + e.Flag + ")"
}

// ExternKind says what an import or export refers to.
type ExternKind uint8

// The kinds of imports and exports. Their values are the binary
// format's (TestPublicConstants checks).
// See https://www.w3.org/TR/wasm-core-2/#import-section%E2%91%A0
const (
	ExternFunc   ExternKind = 0x00
	ExternTable  ExternKind = 0x01
	ExternMemory ExternKind = 0x02
	ExternGlobal ExternKind = 0x03
)

// String returns the text format's keyword: "func", "table", "memory"
// or "global".
func (k ExternKind) String() string { return wasm.ExternKind(k).String() }

// LinkError is an import that instantiation cannot satisfy: no module
// of that name, no such export, or one of another type.
type LinkError struct {
	Module, Name string
	Kind         ExternKind
	// Unknown is true when the module or its export does not exist
	// (the spec's "unknown import"), false when the types differ
	// ("incompatible import type").
	Unknown bool
	// Detail says what is missing or how the types differ.
	Detail string
}

func (e *LinkError) Error() string {
	return store.FormatLinkError(e.Module, e.Name, e.Kind.String(), e.Unknown, e.Detail)
}

// publicError returns err with the internal error it is or wraps
// replaced by the public type above. A wrapped one keeps err's message
// and chain, with the public error found first.
func publicError(err error) error {
	if err == nil {
		return nil
	}
	var pub, found error
	if e, ok := errors.AsType[*wasm.FormatError](err); ok {
		pub, found = &FormatError{Offset: e.Offset, Msg: e.Msg, Err: e.Err}, e
	} else if e, ok := errors.AsType[*validate.Error](err); ok {
		pub, found = &ValidationError{Location: locationOf(e.Location), Rule: e.Rule}, e
	} else if e, ok := errors.AsType[*validate.PolicyError](err); ok {
		pub, found = &PolicyError{Location: locationOf(e.Location), Rule: e.Rule,
			Value: e.Value, Limit: e.Limit, Flag: e.Flag}, e
	} else if e, ok := errors.AsType[*store.LinkError](err); ok {
		pub, found = &LinkError{Module: e.Module, Name: e.Name, Kind: ExternKind(e.Kind),
			Unknown: e.Unknown, Detail: e.Detail}, e
	} else {
		return err
	}
	if found == err {
		return pub
	}
	return &translated{err: err, pub: pub}
}

// translated is an error whose chain held an internal error: it reads
// as before, and errors.As finds the public one.
type translated struct{ err, pub error }

func (t *translated) Error() string   { return t.err.Error() }
func (t *translated) Unwrap() []error { return []error{t.pub, t.err} }
