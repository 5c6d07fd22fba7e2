package wasmvisor

import (
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// Limit is an upper bound that may be unset. The zero Limit means "no
// limit", so that the zero Policy limits nothing; LimitOf(0) allows
// nothing.
type Limit struct {
	n   uint64
	set bool
}

// LimitOf returns the limit n.
func LimitOf(n uint64) Limit { return Limit{n: n, set: true} }

// Value returns the limit and whether there is one.
func (l Limit) Value() (n uint64, ok bool) { return l.n, l.set }

// Allows reports whether v is within the limit.
func (l Limit) Allows(v uint64) bool { return !l.set || v <= l.n }

// Features is a set of WebAssembly 2.0 features that were proposals on
// top of 1.0 and that a Policy may switch off.
type Features uint32

// The features a Policy can disable. Their values are the validator's
// (TestPublicConstants checks), so a set converts with a cast.
const (
	// FeatureSIMD is the 128-bit vector type and its instructions.
	FeatureSIMD Features = 1 << iota
	// FeatureBulkMemory is memory.copy/fill/init, passive segments and
	// the data count section.
	FeatureBulkMemory
	// FeatureReferenceTypes is funcref/externref values, table.*
	// instructions and several tables.
	FeatureReferenceTypes
	// FeatureMultiValue is several results, and block types with
	// parameters.
	FeatureMultiValue
	// FeatureSignExtension is i32.extend8_s and its kin.
	FeatureSignExtension
	// FeatureSaturatingConversions is the *.trunc_sat_* instructions.
	FeatureSaturatingConversions
	// FeatureMutableGlobals is importing and exporting mutable globals.
	FeatureMutableGlobals

	// AllFeatures is every feature of WebAssembly 2.0.
	AllFeatures = FeatureSIMD | FeatureBulkMemory | FeatureReferenceTypes | FeatureMultiValue |
		FeatureSignExtension | FeatureSaturatingConversions | FeatureMutableGlobals
)

// String lists the features by the names `-W` gives them ("simd",
// "bulk-memory", ...), joined by "|".
func (f Features) String() string { return validate.Features(f).String() }

// Policy is the set of runtime constraints a module must meet on top of
// the spec, checked while compiling so that nothing is instantiated from
// a module the runtime would refuse to run. The zero Policy (and a nil
// *Policy) adds no constraint: every 2.0 feature on, no limits, every
// import allowed. A module that breaks it fails to compile with a
// *PolicyError naming the broken limit.
type Policy struct {
	// MaxMemoryPages bounds the minimum size of every memory, in 64 KiB
	// pages. A memory whose maximum is larger, or that has none, is
	// accepted, and cannot grow past the limit at run time.
	MaxMemoryPages Limit
	// MaxTableElements bounds the minimum size of every table, with the
	// same rule for maxima.
	MaxTableElements Limit
	// Counts of index spaces, imports included, and of imports.
	MaxFunctions Limit
	MaxGlobals   Limit
	MaxTables    Limit
	MaxMemories  Limit
	MaxImports   Limit
	// MaxLocals bounds the locals of one function, parameters included.
	MaxLocals Limit
	// MaxFunctionSize bounds the bytes of one function body.
	MaxFunctionSize Limit
	// MaxModuleSize bounds the size of the binary.
	MaxModuleSize Limit
	// MaxDataSegmentSize bounds the bytes of one data segment.
	MaxDataSegmentSize Limit
	// MaxElemSegmentSize bounds the elements of one element segment.
	MaxElemSegmentSize Limit

	// Disabled are the features the module may not use.
	Disabled Features

	// AllowImports and DenyImports are patterns "MODULE.NAME" matched
	// against each import, where "*" matches any run of characters and
	// the pattern is split at its last dot (so "GOT.mem.*" is module
	// "GOT.mem"); a pattern without a dot matches every name of its
	// modules. An import matching a deny pattern is refused; when
	// AllowImports is not empty, an import matching none of its
	// patterns is refused too. So DenyImports = ["*"] refuses every
	// import, and AllowImports = ["wasi_snapshot_preview1.*"] refuses
	// all but WASI's.
	AllowImports []string
	DenyImports  []string
}

// DefaultPolicy returns the limits wasmvisor applies to untrusted code
// by default (and `wasmvisor run` before -W changes them): the
// implementation limits of the WebAssembly JS API
// (https://webassembly.github.io/spec/js-api/#limits), which every
// browser enforces, so no module that runs on the web is refused. All
// 2.0 features are on and every import is allowed.
func DefaultPolicy() *Policy { return policyOf(validate.DefaultPolicy()) }

// CheckModuleSize returns a *PolicyError if a binary of n bytes breaks
// MaxModuleSize. CompileModule checks it too; a caller that reads a
// binary from a file or a socket checks first, so that an oversized one
// is refused before it is read.
func (p *Policy) CheckModuleSize(n uint64) error {
	return publicError(p.validation().CheckModuleSize(n))
}

// limitPair is one limit of a Policy and the same limit of the
// validator's policy.
type limitPair struct {
	pub *Limit
	in  *validate.Limit
}

// limitFields pairs each limit of p with the same limit of v: the one
// list of limits that the conversions both ways share.
func limitFields(p *Policy, v *validate.Policy) []limitPair {
	return []limitPair{
		{&p.MaxMemoryPages, &v.MaxMemoryPages},
		{&p.MaxTableElements, &v.MaxTableElements},
		{&p.MaxFunctions, &v.MaxFunctions},
		{&p.MaxGlobals, &v.MaxGlobals},
		{&p.MaxTables, &v.MaxTables},
		{&p.MaxMemories, &v.MaxMemories},
		{&p.MaxImports, &v.MaxImports},
		{&p.MaxLocals, &v.MaxLocals},
		{&p.MaxFunctionSize, &v.MaxFunctionSize},
		{&p.MaxModuleSize, &v.MaxModuleSize},
		{&p.MaxDataSegmentSize, &v.MaxDataSegmentSize},
		{&p.MaxElemSegmentSize, &v.MaxElemSegmentSize},
	}
}

// validation returns the policy the validator checks; nil for nil. The
// runtime converts once, so the caller may change p afterwards.
func (p *Policy) validation() *validate.Policy {
	if p == nil {
		return nil
	}
	v := &validate.Policy{
		Disabled:     validate.Features(p.Disabled),
		AllowImports: append([]string(nil), p.AllowImports...),
		DenyImports:  append([]string(nil), p.DenyImports...),
	}
	for _, f := range limitFields(p, v) {
		if n, ok := f.pub.Value(); ok {
			*f.in = validate.Max(n)
		}
	}
	return v
}

// policyOf is the inverse of validation.
func policyOf(v *validate.Policy) *Policy {
	p := &Policy{
		Disabled:     Features(v.Disabled),
		AllowImports: v.AllowImports,
		DenyImports:  v.DenyImports,
	}
	for _, f := range limitFields(p, v) {
		if n, ok := f.in.Value(); ok {
			*f.pub = LimitOf(n)
		}
	}
	return p
}
