package validate

import "github.com/wasmvisor/wasmvisor/internal/wasm"

// Bodies are the function bodies of a module whose declarations are
// valid, for a translator that decodes each body for itself to check as
// it goes: it hands every instruction it decodes to a BodyChecker, so
// that a body is decoded once for both, on whichever goroutine
// translates it.
type Bodies struct {
	m        *wasm.Module
	p        *Policy
	declared []uint64 // functions the declarations reference (ref.func may name them)
}

// CheckDeclarations validates m against p as Module does but for the
// function bodies, and returns them to be checked. Its error is the one
// Module returns for m.
func CheckDeclarations(m *wasm.Module, p *Policy) (*Bodies, error) {
	if p == nil {
		p = &Policy{}
	}
	v, err := validateModule(m, p, false)
	if err != nil {
		return nil, err
	}
	return &Bodies{m: m, p: p, declared: v.declared}, nil
}

// Checker returns a checker of the bodies, for one goroutine at a time.
func (b *Bodies) Checker() *BodyChecker {
	return &BodyChecker{v: newValidator(b.m, b.p, b.declared)}
}

// BodyChecker checks function bodies instruction by instruction, as its
// caller decodes them. An error means that the module is invalid, but it
// need not be the error to report: Module's names the first invalid body
// in the module's order (or a malformation before it), where a checker
// sees bodies in the order it is given them.
type BodyChecker struct{ v *validator }

// Begin starts the body of the module's defined function i (the
// function index space counts imports first), whose instructions r
// reads from the start of the body: the caller's reader, whose offsets
// locate errors.
func (c *BodyChecker) Begin(i int, r *wasm.Reader) error {
	v, m := c.v, c.v.m
	if i < 0 || i >= len(m.Codes) || i >= len(m.Funcs) {
		return &Error{Location: Location{Where: "module", Func: -1}, Rule: "no function body to check"}
	}
	v.r = r
	return v.begin(m.NumImportedFuncs()+uint32(i), &m.Types[m.Funcs[i]], &m.Codes[i])
}

// Instr checks the body's next instruction, which the reader given to
// Begin just read into in.
func (c *BodyChecker) Instr(in *wasm.Instr) error {
	c.v.in = in
	if len(c.v.ctrls) == 0 {
		return errTrailing(c.v.r)
	}
	return c.v.instr()
}

// End checks that the body ended where its function's block did, with
// nothing after it.
func (c *BodyChecker) End() error { return c.v.end() }
