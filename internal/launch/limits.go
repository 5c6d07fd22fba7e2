package launch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wasmvisor/wasmvisor"
)

// pageSize is the size of a WebAssembly memory page, which -W
// max-memory-size counts in bytes and Policy.MaxMemoryPages in pages.
const pageSize = 65536

// Limits are what the `-W key=value` flags set: the Policy modules are
// compiled under, and the limits of a run that only the runtime can
// enforce, kept beside it so that `run`, `compile` and `validate` parse
// the same flags (and a daemon may take the same settings). *Limits is
// a flag.Value, so a command registers it with flags.Var(l, "W", ...).
//
// Key names are wasmtime's (`wasmtime run -W`) where wasmtime has the
// setting; ValidKeys lists them all. The validator names the same keys
// in its PolicyErrors (TestLimits_keysMatchPolicyErrors keeps the two
// in step).
type Limits struct {
	Policy wasmvisor.Policy
	// MaxWasmStack bounds the stack, in bytes, that a call into the module
	// may use before it traps with "call stack exhausted" (-W
	// max-wasm-stack); 0 leaves the engine's default.
	MaxWasmStack uint64
	// Timeout bounds the wall-clock time of a run (-W timeout); 0 is none.
	Timeout time.Duration
	// MaxInstances bounds how many instances a run may create (-W max-instances).
	MaxInstances wasmvisor.Limit
}

// NewLimits returns limits holding DefaultPolicy and no run-time limits.
func NewLimits() *Limits { return &Limits{Policy: *wasmvisor.DefaultPolicy()} }

// optKey is one -W key: how to set it from a value, and how to show its
// current setting (for PolicyError and String; "" when unset).
type optKey struct {
	name  string
	help  string
	bare  bool // may be given without "=value" (boolean switches)
	set   func(o *Limits, v string) error
	show  func(o *Limits) string
	multi bool // repeatable: each use adds to a list
}

var optKeys []optKey

func init() {
	limitKey := func(name, help string, f func(*wasmvisor.Policy) *wasmvisor.Limit, parse func(string) (uint64, error), scale uint64) optKey {
		return optKey{
			name: name, help: help,
			set: func(o *Limits, v string) error {
				if v == "unlimited" {
					*f(&o.Policy) = wasmvisor.Limit{}
					return nil
				}
				n, err := parse(v)
				if err != nil {
					return err
				}
				*f(&o.Policy) = wasmvisor.LimitOf(n / scale)
				return nil
			},
			show: func(o *Limits) string {
				if n, ok := f(&o.Policy).Value(); ok {
					return strconv.FormatUint(n*scale, 10)
				}
				return ""
			},
		}
	}
	optKeys = []optKey{
		limitKey("max-memory-size", "largest initial linear memory, in bytes (a larger maximum is capped)",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxMemoryPages }, parseSize, pageSize),
		limitKey("max-table-elements", "largest initial table, in elements (a larger maximum is capped)",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxTableElements }, parseCount, 1),
		limitKey("max-tables", "most tables, imported ones included",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxTables }, parseCount, 1),
		limitKey("max-memories", "most memories, imported ones included",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxMemories }, parseCount, 1),
		limitKey("max-functions", "most functions, imported ones included",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxFunctions }, parseCount, 1),
		limitKey("max-globals", "most globals, imported ones included",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxGlobals }, parseCount, 1),
		limitKey("max-imports", "most imports",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxImports }, parseCount, 1),
		limitKey("max-locals", "most locals in one function, parameters included",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxLocals }, parseCount, 1),
		limitKey("max-function-size", "largest function body, in bytes",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxFunctionSize }, parseSize, 1),
		limitKey("max-module-size", "largest module binary, in bytes",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxModuleSize }, parseSize, 1),
		limitKey("max-data-segment-size", "largest data segment, in bytes",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxDataSegmentSize }, parseSize, 1),
		limitKey("max-elem-segment-size", "largest element segment, in elements",
			func(p *wasmvisor.Policy) *wasmvisor.Limit { return &p.MaxElemSegmentSize }, parseCount, 1),
		{
			name: "allow-import", multi: true,
			help: "allow only imports matching MODULE.NAME (\"*\" is a wildcard; repeatable)",
			set: func(o *Limits, v string) error {
				o.Policy.AllowImports = append(o.Policy.AllowImports, v)
				return nil
			},
			show: func(o *Limits) string { return strings.Join(o.Policy.AllowImports, ",") },
		},
		{
			name: "deny-import", multi: true,
			help: "refuse imports matching MODULE.NAME (\"*\" is a wildcard; repeatable; deny-import=* refuses all)",
			set: func(o *Limits, v string) error {
				o.Policy.DenyImports = append(o.Policy.DenyImports, v)
				return nil
			},
			show: func(o *Limits) string { return strings.Join(o.Policy.DenyImports, ",") },
		},
		{
			name: "max-wasm-stack", help: "stack a call may use, in bytes (run time)",
			set: func(o *Limits, v string) (err error) {
				o.MaxWasmStack, err = parseSize(v)
				return err
			},
			show: func(o *Limits) string {
				if o.MaxWasmStack == 0 {
					return ""
				}
				return strconv.FormatUint(o.MaxWasmStack, 10)
			},
		},
		{
			name: "timeout", help: "longest run, e.g. 10s or 500ms (run time)",
			set: func(o *Limits, v string) (err error) {
				o.Timeout, err = parseDuration(v)
				return err
			},
			show: func(o *Limits) string {
				if o.Timeout == 0 {
					return ""
				}
				return o.Timeout.String()
			},
		},
		{
			name: "max-instances", help: "most instances a run may create (run time)",
			set: func(o *Limits, v string) error {
				if v == "unlimited" {
					o.MaxInstances = wasmvisor.Limit{}
					return nil
				}
				n, err := parseCount(v)
				if err != nil {
					return err
				}
				o.MaxInstances = wasmvisor.LimitOf(n)
				return nil
			},
			show: func(o *Limits) string {
				if n, ok := o.MaxInstances.Value(); ok {
					return strconv.FormatUint(n, 10)
				}
				return ""
			},
		},
	}
	for f := wasmvisor.Features(1); f&wasmvisor.AllFeatures != 0; f <<= 1 {
		k := f.String()
		optKeys = append(optKeys, optKey{
			name: k, bare: true,
			help: "enable (y) or disable (n) the " + k + " feature",
			set: func(o *Limits, v string) error {
				on, err := parseBool(v)
				if err != nil {
					return err
				}
				if on {
					o.Policy.Disabled &^= f
				} else {
					o.Policy.Disabled |= f
				}
				return nil
			},
			show: func(o *Limits) string {
				if o.Policy.Disabled&f != 0 {
					return "n"
				}
				return "y"
			},
		})
	}
}

// ValidKeys returns the names of all -W keys.
func ValidKeys() []string {
	names := make([]string, len(optKeys))
	for i, k := range optKeys {
		names[i] = k.name
	}
	return names
}

// KeysHelp returns one line per -W key with what it sets, for usage texts.
func KeysHelp() string {
	var b strings.Builder
	for _, k := range optKeys {
		fmt.Fprintf(&b, "  %-24s %s\n", k.name, k.help)
	}
	return b.String()
}

// Set applies one -W argument: "key=value", several of them separated by
// commas, or a bare boolean key ("simd" means "simd=y"). Unknown keys and
// bad values are errors that list the valid keys.
func (o *Limits) Set(arg string) error {
	for _, kv := range strings.Split(arg, ",") {
		if err := o.set1(kv); err != nil {
			return fmt.Errorf("-W %s: %w; valid keys: %s", kv, err, strings.Join(ValidKeys(), ", "))
		}
	}
	return nil
}

func (o *Limits) set1(kv string) error {
	name, value, hasValue := strings.Cut(kv, "=")
	name = strings.TrimSpace(name)
	for i := range optKeys {
		k := &optKeys[i]
		if k.name != name {
			continue
		}
		if !hasValue {
			if !k.bare {
				return errors.New("missing value")
			}
			value = "y"
		}
		if value == "" {
			return errors.New("empty value")
		}
		return k.set(o, value)
	}
	return fmt.Errorf("unknown key %q", name)
}

// String returns the settings in -W syntax, for flag.Value.
func (o *Limits) String() string {
	if o == nil {
		return ""
	}
	var parts []string
	for _, k := range optKeys {
		if v := k.show(o); v != "" {
			parts = append(parts, k.name+"="+v)
		}
	}
	return strings.Join(parts, ",")
}

var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{
	{"kib", 10}, {"mib", 20}, {"gib", 30}, {"tib", 40},
	{"k", 10}, {"m", 20}, {"g", 30}, {"t", 40},
}

// ParseSize parses a byte count as -W sizes are written: a decimal
// number with an optional binary suffix, such as 64MiB.
func ParseSize(s string) (uint64, error) { return parseSize(s) }

// parseSize parses a byte count: a decimal number with an optional binary
// suffix (K or KiB, M or MiB, G or GiB, T or TiB, any case).
func parseSize(s string) (uint64, error) {
	lower := strings.ToLower(strings.TrimSpace(s))
	var shift uint
	for _, sf := range sizeSuffixes {
		if strings.HasSuffix(lower, sf.suffix) {
			lower, shift = strings.TrimSpace(lower[:len(lower)-len(sf.suffix)]), sf.shift
			break
		}
	}
	n, err := strconv.ParseUint(lower, 10, 64)
	if err != nil || n > math.MaxUint64>>shift {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, optionally with a suffix KiB, MiB, GiB or TiB", s)
	}
	return n << shift, nil
}

func parseCount(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid count %q: want a non-negative integer or \"unlimited\"", s)
	}
	return n, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "true", "on", "1":
		return true, nil
	case "n", "no", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid switch %q: want y or n", s)
}

// parseDuration accepts Go durations ("10s", "1m30s", "500ms") and plain
// numbers of seconds.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 10s, 1m30s or 500ms", s)
	}
	return d, nil
}
