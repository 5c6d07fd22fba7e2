package wasmvisor

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// TestPublicConstants checks that the public constants have the values
// of the internal ones they are cast to and from.
func TestPublicConstants(t *testing.T) {
	tests := []struct {
		name     string
		pub, got uint64
	}{
		{"ExternFunc", uint64(ExternFunc), uint64(wasm.ExternFunc)},
		{"ExternTable", uint64(ExternTable), uint64(wasm.ExternTable)},
		{"ExternMemory", uint64(ExternMemory), uint64(wasm.ExternMemory)},
		{"ExternGlobal", uint64(ExternGlobal), uint64(wasm.ExternGlobal)},
		{"FeatureSIMD", uint64(FeatureSIMD), uint64(validate.SIMD)},
		{"FeatureBulkMemory", uint64(FeatureBulkMemory), uint64(validate.BulkMemory)},
		{"FeatureReferenceTypes", uint64(FeatureReferenceTypes), uint64(validate.ReferenceTypes)},
		{"FeatureMultiValue", uint64(FeatureMultiValue), uint64(validate.MultiValue)},
		{"FeatureSignExtension", uint64(FeatureSignExtension), uint64(validate.SignExtension)},
		{"FeatureSaturatingConversions", uint64(FeatureSaturatingConversions), uint64(validate.SaturatingConversions)},
		{"FeatureMutableGlobals", uint64(FeatureMutableGlobals), uint64(validate.MutableGlobals)},
		{"AllFeatures", uint64(AllFeatures), uint64(validate.AllFeatures)},
	}
	for _, tt := range tests {
		if tt.pub != tt.got {
			t.Errorf("%s = %#x, the internal value is %#x", tt.name, tt.pub, tt.got)
		}
	}
}

// TestPublicError checks that each internal error becomes its public
// type with the same message, bare or wrapped.
func TestPublicError(t *testing.T) {
	loc := validate.Location{Where: `func[3] "f"`, Func: 3, Offset: 0x1f4, Op: 0x6a, HasOp: true}
	tests := []struct {
		name     string
		internal error
		match    func(error) bool
	}{
		{"format", &wasm.FormatError{Offset: 8, Msg: "unexpected end", Err: io.ErrUnexpectedEOF}, func(err error) bool {
			fe, ok := errors.AsType[*FormatError](err)
			return ok && fe.Offset == 8 && errors.Is(err, io.ErrUnexpectedEOF)
		}},
		{"validation", &validate.Error{Location: loc, Rule: "type mismatch"}, func(err error) bool {
			ve, ok := errors.AsType[*ValidationError](err)
			return ok && ve.Func == 3 && ve.Instruction == "i32.add"
		}},
		{"policy", &validate.PolicyError{Location: validate.Location{Where: "memory[0]", Func: -1}, Rule: "too big",
			Value: 4, Limit: 1, Flag: "-W max-memory-size=65536"}, func(err error) bool {
			pe, ok := errors.AsType[*PolicyError](err)
			return ok && pe.Value == 4 && pe.Limit == 1 && pe.Func == -1
		}},
		{"link", &store.LinkError{Module: "env", Name: "f", Kind: wasm.ExternGlobal, Unknown: true, Detail: "no module"},
			func(err error) bool {
				le, ok := errors.AsType[*LinkError](err)
				return ok && le.Kind == ExternGlobal && le.Unknown
			}},
		{"other", io.EOF, func(err error) bool { return errors.Is(err, io.EOF) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{tt.internal, fmt.Errorf("context: %w", tt.internal)} {
				pub := publicError(err)
				if pub.Error() != err.Error() {
					t.Errorf("message %q, want %q", pub.Error(), err.Error())
				}
				if !tt.match(pub) {
					t.Errorf("%T %v: not matched as its public type", pub, pub)
				}
			}
		})
	}
	if publicError(nil) != nil {
		t.Error("nil became an error")
	}
}
