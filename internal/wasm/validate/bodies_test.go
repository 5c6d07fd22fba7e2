package validate

import (
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

// checkBodies validates m as a translator that decodes each body for
// itself does: declarations first, then every body through a
// BodyChecker fed by a reader of its own, bodies from last to first (a
// translator on several goroutines takes them in any order).
func checkBodies(m *wasm.Module, p *Policy) error {
	b, err := CheckDeclarations(m, p)
	if err != nil {
		return err
	}
	c := b.Checker()
	var r wasm.Reader
	var in wasm.Instr
	for i := len(m.Codes) - 1; i >= 0; i-- {
		code := &m.Codes[i]
		r.Reset(code.Body, code.BodyOffset)
		if err := c.Begin(i, &r); err != nil {
			return err
		}
		// To the body's last byte: the checker refuses an instruction
		// after the function's end.
		for !r.EOF() {
			if err := r.Next(&in); err != nil {
				return err
			}
			if err := c.Instr(&in); err != nil {
				return err
			}
		}
		if err := c.End(); err != nil {
			return err
		}
	}
	return nil
}

// TestBodyChecker_SpecSuite checks that checking bodies one instruction
// at a time finds every module of the spec suite valid or invalid as
// Module does, and that the declarations' error is Module's.
func TestBodyChecker_SpecSuite(t *testing.T) {
	valid, invalid := 0, 0
	for _, s := range testshared.SpecModules(t) {
		if s.ModuleType == "text" {
			continue
		}
		data, err := os.ReadFile(s.Path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := binary.Decode(data)
		if err != nil {
			continue
		}
		want := Module(m, nil)
		got := checkBodies(m, nil)
		if (got == nil) != (want == nil) {
			t.Errorf("%s: Module: %v; checked body by body: %v", s.Where(), want, got)
		}
		if _, err := CheckDeclarations(m, nil); err != nil && err.Error() != want.Error() {
			t.Errorf("%s: CheckDeclarations: %v, Module: %v", s.Where(), err, want)
		}
		if want == nil {
			valid++
		} else {
			invalid++
		}
	}
	t.Logf("%d valid and %d invalid modules agree", valid, invalid)
}

// TestBodyChecker_Errors checks what a checker reports where its caller
// strays: a body of no function, trailing instructions, a missing end.
func TestBodyChecker_Errors(t *testing.T) {
	m, err := binary.Decode([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x05\x01\x03\x00\x01\x0b"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := CheckDeclarations(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Checker()
	var r wasm.Reader
	var in wasm.Instr
	if err := c.Begin(1, &r); err == nil {
		t.Error("Begin of function 1 of 1: no error")
	}
	code := &m.Codes[0]
	r.Reset(code.Body, code.BodyOffset)
	if err := c.Begin(0, &r); err != nil {
		t.Fatal(err)
	}
	if err := c.End(); err == nil {
		t.Error("End before the body's end: no error")
	}
	for range 2 { // nop, end
		if err := r.Next(&in); err != nil {
			t.Fatal(err)
		}
		if err := c.Instr(&in); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.End(); err != nil {
		t.Errorf("End: %v", err)
	}
	if err := c.Instr(&in); err == nil {
		t.Error("an instruction after the end: no error")
	}
}
