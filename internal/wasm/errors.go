package wasm

import "fmt"

// FormatError is a malformed binary: what was wrong and at which byte
// offset of the module. Msg uses the spec test suite's wording where the
// spec has one ("unexpected end", "integer too large", ...).
type FormatError struct {
	Offset uint64
	Msg    string
	Err    error // underlying cause, if any (for errors.Is)
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s (at offset 0x%x)", e.Msg, e.Offset)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Errorf returns a *FormatError at offset.
func Errorf(offset uint64, format string, args ...any) *FormatError {
	return &FormatError{Offset: offset, Msg: fmt.Sprintf(format, args...)}
}
