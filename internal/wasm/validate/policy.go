package validate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// Limit is an upper bound that may be unset. The zero Limit means "no
// limit", so that the zero Policy limits nothing; Max(0) allows nothing.
type Limit struct {
	n   uint64
	set bool
}

// Max returns the limit n.
func Max(n uint64) Limit { return Limit{n: n, set: true} }

// Value returns the limit and whether there is one.
func (l Limit) Value() (n uint64, ok bool) { return l.n, l.set }

// Allows reports whether v is within the limit.
func (l Limit) Allows(v uint64) bool { return !l.set || v <= l.n }

// Features is a set of WebAssembly 2.0 features that were proposals on top
// of 1.0 and that a Policy may switch off.
type Features uint32

const (
	SIMD                  Features = 1 << iota // 128-bit vector type and instructions
	BulkMemory                                 // memory.copy/fill/init, passive segments, data count
	ReferenceTypes                             // funcref/externref values, table.*, multiple tables
	MultiValue                                 // several results, block types with parameters
	SignExtension                              // i32.extend8_s and friends
	SaturatingConversions                      // *.trunc_sat_*
	MutableGlobals                             // importing and exporting mutable globals

	// AllFeatures is every feature of WebAssembly 2.0.
	AllFeatures = SIMD | BulkMemory | ReferenceTypes | MultiValue | SignExtension |
		SaturatingConversions | MutableGlobals
)

// featureKeys are the names of the features, in bit order, which the
// CLI's -W flags and PolicyError use. Where wasmtime has a flag for a
// feature, the name is wasmtime's; the others are the names wabt's
// tools use.
var featureKeys = [...]string{"simd", "bulk-memory", "reference-types", "multi-value",
	"sign-extension", "saturating-float-to-int", "mutable-globals"}

// String lists the features by their flag names, joined by "|".
func (f Features) String() string {
	var names []string
	for i, k := range featureKeys {
		if f&(1<<i) != 0 {
			names = append(names, k)
		}
	}
	if rest := f &^ AllFeatures; rest != 0 {
		names = append(names, fmt.Sprintf("0x%x", uint32(rest)))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// key is the -W flag name of a single feature.
func (f Features) key() string {
	for i, k := range featureKeys {
		if f == 1<<i {
			return k
		}
	}
	return f.String()
}

// Policy is the set of runtime constraints a module must meet on top of
// the spec, checked during validation so that nothing is instantiated from
// a module the runtime would refuse to run. The zero Policy (and a nil
// *Policy) adds no constraint: every 2.0 feature on, no limits, every
// import allowed.
//
// Each field has a `-W` flag of the CLI (internal/launch parses them);
// PolicyError names it.
type Policy struct {
	// MaxMemoryPages bounds the minimum size of every memory, in 64 KiB
	// pages (-W max-memory-size, in bytes). A memory whose maximum is
	// larger, or that has none, is accepted: MemoryMaxPages caps its growth
	// at run time.
	MaxMemoryPages Limit
	// MaxTableElements bounds the minimum size of every table, with the
	// same rule for maxima (-W max-table-elements).
	MaxTableElements Limit
	// Counts of index spaces, imports included (-W max-functions,
	// max-globals, max-tables, max-memories), and of imports (max-imports).
	MaxFunctions Limit
	MaxGlobals   Limit
	MaxTables    Limit
	MaxMemories  Limit
	MaxImports   Limit
	// MaxLocals bounds the locals of one function, parameters included,
	// which is what a frame holds (-W max-locals).
	MaxLocals Limit
	// MaxFunctionSize bounds the bytes of one function body (-W max-function-size).
	MaxFunctionSize Limit
	// MaxModuleSize bounds the size of the binary (-W max-module-size).
	MaxModuleSize Limit
	// MaxDataSegmentSize bounds the bytes of one data segment
	// (-W max-data-segment-size).
	MaxDataSegmentSize Limit
	// MaxElemSegmentSize bounds the elements of one element segment
	// (-W max-elem-segment-size).
	MaxElemSegmentSize Limit

	// Disabled are the features the module may not use (-W simd=n, ...).
	Disabled Features

	// AllowImports and DenyImports are patterns "MODULE.NAME" matched
	// against each import, where "*" matches any run of characters and the
	// pattern is split at its last dot (so "GOT.mem.*" is module "GOT.mem");
	// a pattern without a dot matches every name of its modules. An import
	// matching a deny pattern is refused; when AllowImports is not empty,
	// an import matching none of its patterns is refused too. So
	// DenyImports = ["*"] refuses every import, and AllowImports =
	// ["wasi_snapshot_preview1.*"] refuses all but WASI's.
	AllowImports []string
	DenyImports  []string
}

// Fingerprint returns a string that differs between policies that could
// validate a module differently, for keys of what validation vouches
// for (a compilation cache's entries).
func (p *Policy) Fingerprint() string {
	if p == nil {
		p = &Policy{}
	}
	return fmt.Sprintf("%+v", *p)
}

// DefaultPolicy returns the limits wasmvisor applies to untrusted code by
// default: the implementation limits of the WebAssembly JS API
// (https://webassembly.github.io/spec/js-api/#limits), which every browser
// enforces, so no module that runs on the web is refused. All 2.0 features
// are on and every import is allowed (an unresolvable one fails at link
// time anyway).
func DefaultPolicy() *Policy {
	return &Policy{
		MaxMemoryPages:     Max(wasm.MemoryMaxPages),
		MaxTableElements:   Max(10_000_000),
		MaxFunctions:       Max(1_000_000),
		MaxGlobals:         Max(1_000_000),
		MaxTables:          Max(100_000),
		MaxMemories:        Max(1),
		MaxImports:         Max(100_000),
		MaxLocals:          Max(50_000),
		MaxFunctionSize:    Max(7_654_321),
		MaxModuleSize:      Max(1 << 30),
		MaxDataSegmentSize: Max(1 << 30),
		MaxElemSegmentSize: Max(10_000_000),
	}
}

// Enabled reports whether every feature in f is allowed. A nil Policy
// allows all.
func (p *Policy) Enabled(f Features) bool { return p == nil || p.Disabled&f == 0 }

// MemoryMaxPages returns how many pages a memory of type mt may grow to
// under p: its declared maximum (65536 pages without one), capped by
// MaxMemoryPages but never below the minimum that validation admitted.
func (p *Policy) MemoryMaxPages(mt wasm.MemoryType) uint32 {
	max := uint64(wasm.MemoryMaxPages)
	if mt.HasMax {
		max = uint64(mt.Max)
	}
	if p != nil {
		if n, ok := p.MaxMemoryPages.Value(); ok && n < max {
			max = max64(n, uint64(mt.Min))
		}
	}
	return uint32(max)
}

// TableMaxElements returns how many elements a table of type tt may grow
// to under p: its declared maximum (2^32-1 without one), capped by
// MaxTableElements but never below its minimum.
func (p *Policy) TableMaxElements(tt wasm.TableType) uint32 {
	max := uint64(1<<32 - 1)
	if tt.HasMax {
		max = uint64(tt.Max)
	}
	if p != nil {
		if n, ok := p.MaxTableElements.Value(); ok && n < max {
			max = max64(n, uint64(tt.Min))
		}
	}
	return uint32(max)
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// CheckModuleSize checks a binary's size against MaxModuleSize. Module
// checks it too; callers that read a binary call it first, so that an
// oversized file is refused before it is read and decoded.
func (p *Policy) CheckModuleSize(n uint64) error {
	if p == nil {
		return nil
	}
	return p.limit(Location{Where: "module", Func: -1}, p.MaxModuleSize, n, "size", "byte", "max-module-size")
}

// limit returns a PolicyError when v breaks l: "<what> <v units> exceeds
// limit of <l units> (-W key=<setting>)". key is the name of the CLI's
// -W setting for l, which takes bytes where the limit counts pages.
func (p *Policy) limit(loc Location, l Limit, v uint64, what, unit, key string) error {
	if l.Allows(v) {
		return nil
	}
	n, _ := l.Value()
	setting := n
	if unit == "page" {
		setting *= wasm.MemoryPageSize
	}
	return &PolicyError{
		Location: loc,
		Rule:     fmt.Sprintf("%s %s exceeds limit of %s", what, quantity(v, unit), quantity(n, unit)),
		Value:    v,
		Limit:    n,
		Flag:     "-W " + key + "=" + strconv.FormatUint(setting, 10),
	}
}

func quantity(n uint64, unit string) string {
	if unit == "" {
		return strconv.FormatUint(n, 10)
	}
	return plural(n, unit)
}

// featureError refuses the use of a disabled feature; what names the use
// ("v128 value type", "memory.copy", ...).
func (p *Policy) featureError(loc Location, f Features, what string) error {
	return &PolicyError{
		Location: loc,
		Rule:     fmt.Sprintf("%s needs feature %s, which is disabled by policy", what, f.key()),
		Flag:     "-W " + f.key() + "=n",
	}
}

// checkImport applies AllowImports and DenyImports to one import.
func (p *Policy) checkImport(imp *wasm.Import) error {
	if p == nil || (len(p.AllowImports) == 0 && len(p.DenyImports) == 0) {
		return nil
	}
	loc := Location{Where: fmt.Sprintf("import %q.%q", imp.Module, imp.Name), Func: -1, Offset: imp.Offset}
	for _, pat := range p.DenyImports {
		if matchImport(pat, imp.Module, imp.Name) {
			return &PolicyError{Location: loc, Rule: "denied by policy", Flag: "-W deny-import=" + pat}
		}
	}
	if len(p.AllowImports) == 0 {
		return nil
	}
	for _, pat := range p.AllowImports {
		if matchImport(pat, imp.Module, imp.Name) {
			return nil
		}
	}
	return &PolicyError{Location: loc, Rule: "not allowed by policy", Flag: "-W allow-import=" + strings.Join(p.AllowImports, ",")}
}

// matchImport matches an import against a "MODULE.NAME" pattern, split at
// its last dot; without a dot, the pattern matches the module only.
func matchImport(pattern, module, name string) bool {
	i := strings.LastIndexByte(pattern, '.')
	if i < 0 {
		return glob(pattern, module)
	}
	return glob(pattern[:i], module) && glob(pattern[i+1:], name)
}

// glob reports whether s matches pattern, in which "*" matches any run of
// bytes and every other byte matches itself. It backtracks only to the
// last star, so it runs in O(len(pattern)*len(s)) at worst.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	star, next := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			star, next = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case star >= 0:
			px = star + 1
			next++
			sx = next
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
