package amd64

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine/interp"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	wbinary "github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// The differential test runs every module of the spec test suite on
// both tiers, calls every exported function with the same arguments on
// each, and wants the same results, the same traps, and the same memory
// and globals afterwards.
//
// Results are compared bit for bit, except NaNs: the spec lets a
// floating-point operation that returns a NaN pick any arithmetic NaN
// (any sign, any payload with the quiet bit set) when an operand is a
// NaN, and a canonical NaN of either sign otherwise. Both tiers must
// then return a NaN, and NaNs agree on the quiet bit: operations that
// produce a NaN of their own always produce a quiet one, and those that
// pass one on (neg, abs, copysign, reinterpret, loads and stores) keep
// its bits exactly, so a conforming implementation cannot make them
// differ. See https://www.w3.org/TR/wasm-core-2/#nan-propagation%E2%91%A0

// tier is one engine, seen through what the comparison needs of it.
type tier struct {
	name         string
	compile      func(*wasm.Module) ([]store.Code, error)
	instantiated func(*store.Instance) error
	call         func(context.Context, *store.Function, []uint64) error
}

// diffStackBytes bounds the stack on both tiers: deep enough for every
// spec test, and small enough that the many calls that recurse without
// end (fac(-1) and the like) exhaust it quickly.
const diffStackBytes = 1 << 20

func interpTier() tier {
	e := interp.New(interp.Config{MaxStackBytes: diffStackBytes})
	return tier{
		name: "interpreter",
		compile: func(m *wasm.Module) ([]store.Code, error) {
			mod, err := e.Compile(m)
			if err != nil {
				return nil, err
			}
			return mod.Codes(), nil
		},
		instantiated: func(*store.Instance) error { return nil },
		call:         e.Call,
	}
}

func compiledTier() tier { return engineTier("compiled", New(Config{MaxStackBytes: diffStackBytes})) }

func engineTier(name string, e *Engine) tier {
	return tier{
		name: name,
		compile: func(m *wasm.Module) ([]store.Code, error) {
			mod, err := e.Compile(m)
			if err != nil {
				return nil, err
			}
			return mod.Codes(), nil
		},
		instantiated: e.Instantiated,
		call:         e.Call,
	}
}

// diffLimits bound what a module may allocate, the same on both tiers.
var diffLimits = store.Limits{MaxMemoryPages: 1024, MaxTableElements: 1 << 16}

// spectestHost is the host module the spec tests import.
func spectestHost() *store.HostModule {
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	h := &store.HostModule{
		Memories: []store.HostMemory{{Export: "memory", Type: wasm.MemoryType{Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}}},
		Tables: []store.HostTable{{Export: "table", Type: wasm.TableType{ElemType: wasm.ValueTypeFuncref,
			Limits: wasm.Limits{Min: 10, Max: 20, HasMax: true}}}},
		Globals: []store.HostGlobal{
			{Export: "global_i32", Type: wasm.GlobalType{ValType: wasm.ValueTypeI32}, Val: 666},
			{Export: "global_i64", Type: wasm.GlobalType{ValType: wasm.ValueTypeI64}, Val: 666},
			{Export: "global_f32", Type: wasm.GlobalType{ValType: wasm.ValueTypeF32}, Val: uint64(math.Float32bits(666.6))},
			{Export: "global_f64", Type: wasm.GlobalType{ValType: wasm.ValueTypeF64}, Val: math.Float64bits(666.6)},
		},
	}
	for _, f := range []struct {
		name   string
		params []wasm.ValueType
	}{
		{"print", nil},
		{"print_i32", vts(vI32)},
		{"print_i64", vts(vI64)},
		{"print_f32", vts(vF32)},
		{"print_f64", vts(vF64)},
		{"print_i32_f32", vts(vI32, vF32)},
		{"print_f64_f64", vts(vF64, vF64)},
	} {
		h.Funcs = append(h.Funcs, store.HostFunc{Export: f.name, Type: wasm.FuncType{Params: f.params}, Fn: nop})
	}
	return h
}

// importsOnlySpectest reports whether m imports nothing but spectest's
// exports.
func importsOnlySpectest(m *wasm.Module) bool {
	for _, imp := range m.Imports {
		if imp.Module != "spectest" {
			return false
		}
	}
	return true
}

// side is a module instantiated on one tier, in a store of its own
// with the spectest host module.
type side struct {
	tier
	inst, host *store.Instance
}

// outcome is what one call did.
type outcome struct {
	results []uint64
	err     error
	took    time.Duration
}

func (o outcome) kind() api.TrapKind { return kindOf(o.err) }

func (s *side) close() {
	if s.inst != nil {
		s.inst.Close()
	}
	s.host.Close()
}

// instantiate compiles and instantiates m on tier tr with the spectest
// host module, and runs its start function. compileErr reports a module
// the tier could not compile; err an instantiation that failed.
func instantiate(tr tier, m *wasm.Module, startTimeout time.Duration) (s *side, compileErr, err error) {
	codes, cerr := tr.compile(m)
	if cerr != nil {
		return nil, cerr, nil
	}
	st := store.New()
	h, err := st.NewHostInstance("spectest", spectestHost(), diffLimits)
	if err != nil {
		return nil, nil, err
	}
	if err := st.Register("spectest", h); err != nil {
		h.Close()
		return nil, nil, err
	}
	inst, err := st.Instantiate(m, "m", codes, diffLimits)
	if err != nil {
		h.Close()
		return nil, nil, err
	}
	s = &side{tier: tr, inst: inst, host: h}
	if err := tr.instantiated(inst); err != nil {
		s.close()
		return nil, nil, fmt.Errorf("%s: %w", tr.name, err)
	}
	if m.HasStart {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		if _, err := callOn(ctx, s, inst.Funcs[m.Start], nil); err != nil {
			s.close()
			return nil, nil, fmt.Errorf("start function: %w", err)
		}
	}
	return s, nil, nil
}

// callOn calls f on s's tier with args.
func callOn(ctx context.Context, s *side, f *store.Function, args []uint64) ([]uint64, error) {
	stack := make([]uint64, max(f.ParamSlots, f.ResultSlots))
	copy(stack, args)
	if err := s.call(ctx, f, stack); err != nil {
		return nil, err
	}
	return stack[:f.ResultSlots], nil
}

// diffOptions say how a module is compared.
type diffOptions struct {
	// timeout bounds each call on the interpreter; an export that times
	// out there is not called again. The compiled tier gets
	// compiledTimeout: a call that ends in time on one tier and not on
	// the other is reported, and on a loaded machine a call that takes
	// microseconds can be held up for a tenth of a second.
	timeout time.Duration
	// vectors returns the argument lists to call an export of type ft
	// with.
	vectors func(export string, ft *wasm.FuncType) [][]uint64
	// maxReports bounds the differences reported for one module.
	maxReports int
	// compiled makes the compiled tier's side; nil means compiledTier,
	// the in-process target.
	compiled func() tier
	// stackLimitsMayDiffer drops, instead of reporting, a call that
	// exhausts the call stack on one tier only: the spec leaves where
	// recursion ends to the implementation, and the tiers are meant to
	// count alike, which TestTiersAgreeOnSpecModules checks, but the
	// fuzzer is after differences of meaning.
	stackLimitsMayDiffer bool
}

// differ collects the differences found in one module.
type differ struct {
	where   string
	reports []string
	max     int
	// skipped counts exports skipped for timing out on the interpreter;
	// calls counts the calls compared.
	skipped, calls int
}

func (d *differ) report(format string, args ...any) {
	if len(d.reports) < d.max {
		d.reports = append(d.reports, d.where+": "+fmt.Sprintf(format, args...))
	}
}

// diffModule instantiates m on both tiers and compares every exported
// function's calls. It returns false when the module cannot be used
// (imports other than spectest, instantiation fails on the interpreter);
// the differences are in d.reports.
func diffModule(d *differ, m *wasm.Module, opts diffOptions) bool {
	if !importsOnlySpectest(m) {
		return false
	}
	is, cerr, ierr := instantiate(interpTier(), m, opts.timeout)
	if cerr != nil {
		return false
	}
	if is != nil {
		defer is.close()
	}
	other := compiledTier
	if opts.compiled != nil {
		other = opts.compiled
	}
	cs, cerr, cierr := instantiate(other(), m, compiledTimeout(opts.timeout, opts.timeout))
	if cerr != nil {
		d.report("compiled tier cannot compile a module the interpreter can: %v", cerr)
		return true
	}
	if cs != nil {
		defer cs.close()
	}
	if ierr != nil || cierr != nil {
		if ierr == nil || cierr == nil || kindOf(ierr) != kindOf(cierr) {
			if kindOf(ierr) == api.TrapTimeout {
				return false
			}
			if opts.stackLimitsMayDiffer && (kindOf(ierr) == api.TrapCallStackExhausted || kindOf(cierr) == api.TrapCallStackExhausted) {
				return false
			}
			d.report("instantiation: interpreter %v; compiled %v", firstLine(ierr), firstLine(cierr))
			return true
		}
		return false
	}
	if diff := diffState(is.inst, cs.inst); diff != "" {
		d.report("after instantiation: %s", diff)
		return true
	}
	for _, x := range m.Exports {
		if x.Kind != wasm.ExternFunc {
			continue
		}
		fi, fc := is.inst.Funcs[x.Index], cs.inst.Funcs[x.Index]
		for _, args := range opts.vectors(x.Name, fi.Type) {
			io := runCall(is, fi, args, opts.timeout)
			if io.kind() == api.TrapTimeout {
				// The interpreter stopped somewhere in the call and the
				// compiled tier did not make it: their states part here,
				// and nothing after it can be compared.
				d.skipped++
				return true
			}
			co := runCall(cs, fc, args, compiledTimeout(opts.timeout, io.took))
			d.calls++
			call := fmt.Sprintf("%q%s", x.Name, formatArgs(fi.Type, args))
			if opts.stackLimitsMayDiffer && (io.kind() == api.TrapCallStackExhausted) != (co.kind() == api.TrapCallStackExhausted) {
				return true
			}
			if diff := diffOutcome(fi.Type, io, co); diff != "" {
				d.report("%s: %s", call, diff)
				if io.kind() != co.kind() {
					// The states most likely differ now too; the next
					// calls would only repeat this difference.
					return true
				}
			}
			if diff := diffState(is.inst, cs.inst); diff != "" {
				if io.kind() == api.TrapCallStackExhausted {
					// Where recursion stops is the tiers' own choice, so
					// what it left behind may differ; nothing after it
					// can be compared.
					return true
				}
				d.report("%s: state after the call: %s", call, diff)
				return true
			}
		}
	}
	return true
}

// compiledTimeout is how long the compiled tier gets for a call that
// the interpreter, given timeout, finished in took.
func compiledTimeout(timeout, took time.Duration) time.Duration {
	return max(2*time.Second, 10*timeout, 4*took)
}

// runCall calls f with args under a deadline.
func runCall(s *side, f *store.Function, args []uint64, timeout time.Duration) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	r, err := callOn(ctx, s, f, args)
	return outcome{results: r, err: err, took: time.Since(start)}
}

func firstLine(err error) string {
	if err == nil {
		return "no error"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// diffOutcome describes how two calls of a function of type ft differ,
// or returns "".
func diffOutcome(ft *wasm.FuncType, io, co outcome) string {
	if io.err != nil || co.err != nil {
		var it, ct *api.Trap
		iTrap, cTrap := errors.As(io.err, &it), errors.As(co.err, &ct)
		switch {
		case io.err == nil || co.err == nil:
		case iTrap && cTrap && it.Kind == ct.Kind:
			return ""
		case !iTrap && !cTrap && io.err.Error() == co.err.Error():
			return ""
		}
		return fmt.Sprintf("interpreter %s; compiled %s (after %v)", describe(ft, io), describe(ft, co), co.took.Round(time.Millisecond))
	}
	slot := 0
	for _, t := range ft.Results {
		n := t.Slots()
		if !sameValue(t, io.results[slot:slot+n], co.results[slot:slot+n]) {
			return fmt.Sprintf("interpreter %s; compiled %s", describe(ft, io), describe(ft, co))
		}
		slot += n
	}
	return ""
}

// describe formats an outcome: its results, or its error's first line.
func describe(ft *wasm.FuncType, o outcome) string {
	if o.err != nil {
		return firstLine(o.err)
	}
	return formatValues(ft.Results, o.results)
}

func formatArgs(ft *wasm.FuncType, args []uint64) string {
	return "(" + strings.TrimSuffix(strings.TrimPrefix(formatValues(ft.Params, args), "["), "]") + ")"
}

// formatValues formats slots as values of types ts.
func formatValues(ts []wasm.ValueType, slots []uint64) string {
	var parts []string
	i := 0
	for _, t := range ts {
		if i+t.Slots() > len(slots) {
			break
		}
		switch t {
		case wasm.ValueTypeI32:
			parts = append(parts, fmt.Sprintf("i32:%#x", uint32(slots[i])))
		case wasm.ValueTypeF32:
			parts = append(parts, fmt.Sprintf("f32:%#x(%g)", uint32(slots[i]), math.Float32frombits(uint32(slots[i]))))
		case wasm.ValueTypeI64:
			parts = append(parts, fmt.Sprintf("i64:%#x", slots[i]))
		case wasm.ValueTypeF64:
			parts = append(parts, fmt.Sprintf("f64:%#x(%g)", slots[i], math.Float64frombits(slots[i])))
		case wasm.ValueTypeV128:
			parts = append(parts, fmt.Sprintf("v128:%016x%016x", slots[i+1], slots[i]))
		case wasm.ValueTypeFuncref:
			parts = append(parts, "funcref:"+refName(slots[i]))
		default:
			parts = append(parts, fmt.Sprintf("%s:%#x", t, slots[i]))
		}
		i += t.Slots()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// refName names the function a funcref refers to by instance and index,
// which is what two stores can agree on.
func refName(v uint64) string {
	f := store.FuncFromRef(v)
	if f == nil {
		return "null"
	}
	name := "?"
	if f.Instance != nil {
		name = f.Instance.Name
	}
	return fmt.Sprintf("%s[%d]", name, f.Index)
}

func isNaN32(b uint32) bool { return b&0x7f800000 == 0x7f800000 && b&0x007fffff != 0 }
func isNaN64(b uint64) bool {
	return b&0x7ff0000000000000 == 0x7ff0000000000000 && b&0x000fffffffffffff != 0
}
func quiet32(b uint32) bool    { return b&0x00400000 != 0 }
func quiet64(b uint64) bool    { return b&0x0008000000000000 != 0 }
func sameF32(a, b uint32) bool { return a == b || isNaN32(a) && isNaN32(b) && quiet32(a) == quiet32(b) }
func sameF64(a, b uint64) bool { return a == b || isNaN64(a) && isNaN64(b) && quiet64(a) == quiet64(b) }

// sameV128 compares vectors bit for bit, or lane by lane as f32x4 or as
// f64x2 with the NaN rule: a vector's type does not say how its lanes
// were computed.
func sameV128(lo1, hi1, lo2, hi2 uint64) bool {
	if lo1 == lo2 && hi1 == hi2 {
		return true
	}
	if sameF64(lo1, lo2) && sameF64(hi1, hi2) {
		return true
	}
	for _, p := range [][2]uint64{{lo1, lo2}, {hi1, hi2}} {
		if !sameF32(uint32(p[0]), uint32(p[1])) || !sameF32(uint32(p[0]>>32), uint32(p[1]>>32)) {
			return false
		}
	}
	return true
}

// sameValue compares one value of type t held in slots.
func sameValue(t wasm.ValueType, a, b []uint64) bool {
	switch t {
	case wasm.ValueTypeI32:
		return uint32(a[0]) == uint32(b[0])
	case wasm.ValueTypeF32:
		return sameF32(uint32(a[0]), uint32(b[0]))
	case wasm.ValueTypeF64:
		return sameF64(a[0], b[0])
	case wasm.ValueTypeV128:
		return sameV128(a[0], a[1], b[0], b[1])
	case wasm.ValueTypeFuncref:
		return refName(a[0]) == refName(b[0])
	}
	return a[0] == b[0]
}

// diffState compares memory 0 and every global of two instances of one
// module, or returns "".
func diffState(a, b *store.Instance) string {
	for i := range a.Globals {
		ga, gb := a.Globals[i], b.Globals[i]
		t := ga.Type.ValType
		if !sameValue(t, []uint64{ga.Val, ga.Hi}, []uint64{gb.Val, gb.Hi}) {
			return fmt.Sprintf("global %d: interpreter %s, compiled %s", i,
				formatValues([]wasm.ValueType{t}, []uint64{ga.Val, ga.Hi}), formatValues([]wasm.ValueType{t}, []uint64{gb.Val, gb.Hi}))
		}
	}
	if len(a.Memories) == 0 {
		return ""
	}
	ma, mb := a.Memories[0].Bytes(), b.Memories[0].Bytes()
	if len(ma) != len(mb) {
		return fmt.Sprintf("memory: interpreter %d bytes, compiled %d", len(ma), len(mb))
	}
	if bytes.Equal(ma, mb) {
		return ""
	}
	for i := range ma {
		if ma[i] != mb[i] && !nanBytes(ma, mb, i) {
			end := min(len(ma), i+16)
			return fmt.Sprintf("memory at %#x: interpreter % x, compiled % x", i, ma[i:end], mb[i:end])
		}
	}
	return ""
}

// nanBytes reports whether byte i of two memories lies in an aligned
// float that is a NaN in both, with the same quiet bit (as results,
// stored NaNs may differ in payload).
func nanBytes(a, b []byte, i int) bool {
	if j := i &^ 3; j+4 <= len(a) {
		x, y := leU32(a[j:]), leU32(b[j:])
		if isNaN32(x) && isNaN32(y) && quiet32(x) == quiet32(y) {
			return true
		}
	}
	if j := i &^ 7; j+8 <= len(a) {
		x, y := uint64(leU32(a[j:]))|uint64(leU32(a[j+4:]))<<32, uint64(leU32(b[j:]))|uint64(leU32(b[j+4:]))<<32
		if isNaN64(x) && isNaN64(y) && quiet64(x) == quiet64(y) {
			return true
		}
	}
	return false
}

func leU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Argument values by type: "one" and "minus one" (as integers and as
// floats), values at the edges, and random ones.

var (
	edgesI32 = []uint64{0x80000000, 0x7fffffff, 2, 7, 31, 32, 33, 0x7f, 0x80, 0xff, 0x1000, 0x4000, 0xffff, 0xfffc,
		0x10000, 0x7ffffffe}
	edgesI64 = []uint64{1 << 63, 1<<63 - 1, 2, 63, 64, 0x80000000, 0xffffffff, 0x100000000, 0xffff, 0x10000,
		0xffffffff80000000, 0x7fffffff}
	edgesF32 = []uint64{0x7fc00000, 0xffc00000, 0x7fa00000, 0x7fc12345, 0x7f800000, 0xff800000, 0x80000000, 1,
		0x7f7fffff, 0x3f000000, 0x4f000000, 0xcf000000, 0x4f800000, 0x3fc00000}
	edgesF64 = []uint64{0x7ff8000000000000, 0xfff8000000000000, 0x7ff4000000000000, 0x7ff8000000012345,
		0x7ff0000000000000, 0xfff0000000000000, 1 << 63, 1, 0x7fefffffffffffff, math.Float64bits(0.5),
		math.Float64bits(1 << 31), math.Float64bits(-(1 << 63)), math.Float64bits(1 << 64), math.Float64bits(2.5)}
	// v128 edges as (lo, hi) pairs.
	edgesV128 = [][2]uint64{{^uint64(0), ^uint64(0)}, {0x8000000080000000, 0x8000000080000000},
		{0x7fc000007fc00000, 0xff8000007f800000}, {0x7ff8000000000000, 0x8000000000000000},
		{0x0706050403020100, 0x0f0e0d0c0b0a0908}, {0x7fff80007fff8000, 0x0001ffff00010000}}
	edgesExtern = []uint64{1, 0x1234}
)

// oneOf returns the value of type t that stands for "one" (sign 1) or
// "minus one" (sign -1).
func oneOf(t wasm.ValueType, sign int) [2]uint64 {
	switch t {
	case wasm.ValueTypeI32:
		return [2]uint64{uint64(uint32(int32(sign)))}
	case wasm.ValueTypeI64:
		return [2]uint64{uint64(int64(sign))}
	case wasm.ValueTypeF32:
		return [2]uint64{uint64(math.Float32bits(float32(sign)))}
	case wasm.ValueTypeF64:
		return [2]uint64{math.Float64bits(float64(sign))}
	case wasm.ValueTypeV128:
		if sign < 0 {
			return [2]uint64{^uint64(0), ^uint64(0)}
		}
		return [2]uint64{0x0000000100000001, 0x0000000100000001}
	case wasm.ValueTypeExternref:
		return [2]uint64{1}
	}
	return [2]uint64{} // funcref: only null can be passed in
}

func edgeOf(t wasm.ValueType, k int) [2]uint64 {
	switch t {
	case wasm.ValueTypeI32:
		return [2]uint64{edgesI32[k%len(edgesI32)]}
	case wasm.ValueTypeI64:
		return [2]uint64{edgesI64[k%len(edgesI64)]}
	case wasm.ValueTypeF32:
		return [2]uint64{edgesF32[k%len(edgesF32)]}
	case wasm.ValueTypeF64:
		return [2]uint64{edgesF64[k%len(edgesF64)]}
	case wasm.ValueTypeV128:
		return edgesV128[k%len(edgesV128)]
	case wasm.ValueTypeExternref:
		return [2]uint64{edgesExtern[k%len(edgesExtern)]}
	}
	return [2]uint64{}
}

func randomOf(t wasm.ValueType, r *rand.Rand) [2]uint64 {
	small := r.IntN(3) == 0 // small numbers make loops end and addresses fit
	switch t {
	case wasm.ValueTypeI32:
		if small {
			return [2]uint64{uint64(r.IntN(100))}
		}
		return [2]uint64{uint64(r.Uint32())}
	case wasm.ValueTypeI64:
		if small {
			return [2]uint64{uint64(r.IntN(100))}
		}
		return [2]uint64{r.Uint64()}
	case wasm.ValueTypeF32:
		if small {
			return [2]uint64{uint64(math.Float32bits(float32(r.NormFloat64() * 100)))}
		}
		return [2]uint64{uint64(r.Uint32())}
	case wasm.ValueTypeF64:
		if small {
			return [2]uint64{math.Float64bits(r.NormFloat64() * 100)}
		}
		return [2]uint64{r.Uint64()}
	case wasm.ValueTypeV128:
		return [2]uint64{r.Uint64(), r.Uint64()}
	case wasm.ValueTypeExternref:
		return [2]uint64{r.Uint64N(1000)}
	}
	return [2]uint64{}
}

// vectorOf lays out one value per param as slots, taking param i's
// value from pick(i, type).
func vectorOf(ft *wasm.FuncType, pick func(i int, t wasm.ValueType) [2]uint64) []uint64 {
	var out []uint64
	for i, t := range ft.Params {
		v := pick(i, t)
		out = append(out, v[:t.Slots()]...)
	}
	return out
}

// specVectors returns the argument lists an export is called with: all
// zeros, all ones, all minus ones, edge values (param i of list k takes
// edge k+i of its type), then random ones from a seed of the export's
// name, without duplicates.
func specVectors(name string, ft *wasm.FuncType) [][]uint64 {
	if len(ft.Params) == 0 {
		return [][]uint64{nil}
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	r := rand.New(rand.NewPCG(h.Sum64(), 1))
	var out [][]uint64
	seen := map[string]bool{}
	add := func(v []uint64) {
		if k := fmt.Sprint(v); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	add(vectorOf(ft, func(int, wasm.ValueType) [2]uint64 { return [2]uint64{} }))
	add(vectorOf(ft, func(_ int, t wasm.ValueType) [2]uint64 { return oneOf(t, 1) }))
	add(vectorOf(ft, func(_ int, t wasm.ValueType) [2]uint64 { return oneOf(t, -1) }))
	for k := range 16 {
		add(vectorOf(ft, func(i int, t wasm.ValueType) [2]uint64 { return edgeOf(t, k+i) }))
	}
	for range 4 {
		add(vectorOf(ft, func(_ int, t wasm.ValueType) [2]uint64 { return randomOf(t, r) }))
	}
	return out
}

// specModule is a spec test module that decodes and validates.
type specModule struct {
	where string
	bin   []byte
	m     *wasm.Module
}

// loadSpecModules returns the spec test suite's modules that decode and
// validate and import nothing but spectest, once each (the scripts
// repeat some).
func loadSpecModules(t testing.TB) []specModule {
	t.Helper()
	var out []specModule
	seen := map[[32]byte]bool{}
	for _, sm := range testshared.SpecModules(t) {
		if sm.Type != "module" {
			continue
		}
		bin, err := os.ReadFile(sm.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(bin)
		if seen[sum] {
			continue
		}
		seen[sum] = true
		m, ok := decodeValid(bin)
		if !ok || !importsOnlySpectest(m) {
			continue
		}
		out = append(out, specModule{where: sm.Where(), bin: bin, m: m})
	}
	if len(out) == 0 {
		t.Fatal("no usable spec modules")
	}
	return out
}

var (
	specModulesOnce sync.Once
	specModulesList []specModule
)

// cachedSpecModules is loadSpecModules, done once per process.
func cachedSpecModules(t testing.TB) []specModule {
	specModulesOnce.Do(func() { specModulesList = loadSpecModules(t) })
	if len(specModulesList) == 0 {
		t.Fatal("no usable spec modules")
	}
	return specModulesList
}

// decodeValid decodes and validates bin. A panic in either is a bug of
// theirs and is left to fail the test.
func decodeValid(bin []byte) (*wasm.Module, bool) {
	m, err := wbinary.Decode(bin)
	if err != nil {
		return nil, false
	}
	if err := validate.Module(m, nil); err != nil {
		return nil, false
	}
	return m, true
}

// TestTiersAgreeOnSpecModules is the differential test over the spec
// test suite's modules.
func TestTiersAgreeOnSpecModules(t *testing.T) {
	diffSpecModules(t, nil)
}

// TestTiersAgreeOnSpecModules_pieces is the differential test with
// every spec module's functions spread over more workers than there
// are CPUs, however few: the modules then reach every kind of
// reference a piece makes out of its function (join.go).
func TestTiersAgreeOnSpecModules_pieces(t *testing.T) {
	defer func(n int) { joinWorkers = n }(joinWorkers)
	joinWorkers = 4
	diffSpecModules(t, nil)
}

// TestVMAgreesOnSpecModules is the differential test with the compiled
// tier's code running in micro-VMs.
func TestVMAgreesOnSpecModules(t *testing.T) {
	e := vmEngine(t, diffStackBytes)
	diffSpecModules(t, func() tier { return engineTier("micro-vm", e) })
}

func diffSpecModules(t *testing.T, compiled func() tier) {
	mods := cachedSpecModules(t)
	opts := diffOptions{timeout: time.Second, vectors: specVectors, maxReports: 5, compiled: compiled}
	if testing.Short() {
		opts.timeout = 200 * time.Millisecond
	}
	var used, calls, skipped, differing int
	start := time.Now()
	for i, sm := range mods {
		// Under -short, code in VMs is compared on a sample: where KVM is
		// emulated, every call costs milliseconds.
		if compiled != nil && testing.Short() && i%8 != 0 {
			continue
		}
		d := &differ{where: sm.where, max: opts.maxReports}
		if !diffModule(d, sm.m, opts) {
			continue
		}
		used++
		calls += d.calls
		skipped += d.skipped
		if len(d.reports) > 0 {
			differing++
		}
		for _, r := range d.reports {
			t.Error(r)
		}
	}
	t.Logf("%d of %d modules compared in %v: %d calls, %d exports skipped for timing out on the interpreter, %d modules differ",
		used, len(mods), time.Since(start).Round(time.Millisecond), calls, skipped, differing)
}
