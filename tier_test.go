package wasmvisor

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestParseTier(t *testing.T) {
	tests := []struct {
		in      string
		want    Tier
		wantErr bool
	}{
		{"", TierDefault, false},
		{"default", TierDefault, false},
		{"interp", TierInterp, false},
		{"compiled", TierCompiled, false},
		{"Compiled", 0, true},
		{"jit", 0, true},
		{" interp", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTier(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseTier(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil {
				return
			}
			// String gives back a name ParseTier takes.
			if back, err := ParseTier(got.String()); err != nil || back != got {
				t.Errorf("ParseTier(%q) = %v, %v; want %v", got.String(), back, err, got)
			}
		})
	}
	if s := Tier(9).String(); s != "Tier(9)" {
		t.Errorf("Tier(9).String() = %q", s)
	}
}

func TestTier_flag(t *testing.T) {
	var tier Tier
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Var(&tier, "tier", "")
	if err := fs.Parse([]string{"--tier=compiled"}); err != nil || tier != TierCompiled {
		t.Fatalf("--tier=compiled: %v, %v", tier, err)
	}
	fs.SetOutput(new(strings.Builder))
	if err := fs.Parse([]string{"--tier=fast"}); err == nil {
		t.Fatal("--tier=fast accepted")
	}
}

// fakeCompiled stands in for the compiled tier: it names itself and its
// code "compiled", records instantiations, and runs nothing.
type fakeCompiled struct {
	instantiated []*store.Instance
	failWith     error
}

type fakeCode struct{}

func (fakeCode) Engine() string { return "compiled" }

type fakeModule []store.Code

func (m fakeModule) Codes() []store.Code { return m }

func (e *fakeCompiled) Name() string { return "compiled" }

func (e *fakeCompiled) Compile(m *wasm.Module) (engine.Module, error) {
	codes := make(fakeModule, len(m.Funcs))
	for i := range codes {
		codes[i] = fakeCode{}
	}
	return codes, nil
}

func (e *fakeCompiled) Instantiated(inst *store.Instance) error {
	e.instantiated = append(e.instantiated, inst)
	inst.EngineState = e
	return e.failWith
}

func (e *fakeCompiled) Call(context.Context, *store.Function, []uint64) error {
	return errors.New("the fake compiled tier runs nothing")
}

// withCompiledTier makes e the compiled tier for the rest of the test;
// nil stands for a build without one.
func withCompiledTier(t *testing.T, e engine.Engine) {
	saved := compiledTier
	compiledTier = nil
	if e != nil {
		compiledTier = func(int) (engine.Engine, error) { return e, nil }
	}
	t.Cleanup(func() { compiledTier = saved })
}

func TestRuntime_tiers(t *testing.T) {
	ctx := context.Background()
	m := counter()
	m.HasStart = false // the fake tier cannot run it
	bin := encode(m)
	fake := &fakeCompiled{}
	withCompiledTier(t, fake)

	interpRT := NewRuntime(ctx, RuntimeConfig{Tier: TierInterp})
	defer interpRT.Close(ctx)
	compiledRT := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
	defer compiledRT.Close(ctx)
	if interpRT.Tier() != TierInterp || compiledRT.Tier() != TierCompiled {
		t.Fatalf("tiers %v and %v", interpRT.Tier(), compiledRT.Tier())
	}
	defaultRT := NewRuntime(ctx, RuntimeConfig{})
	defer defaultRT.Close(ctx)
	if got := defaultRT.Tier(); got != DefaultTier() {
		t.Errorf("the default runtime's tier is %v, DefaultTier %v", got, DefaultTier())
	}

	interpMod, err := interpRT.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	compiledMod, err := compiledRT.CompileModule(ctx, bin)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		r    *Runtime
		c    *CompiledModule
		want string // error; "" for success
	}{
		{"interp module in interp runtime", interpRT, interpMod, ""},
		{"compiled module in compiled runtime", compiledRT, compiledMod, ""},
		{"interp module in compiled runtime", compiledRT, interpMod,
			`module compiled for tier "interp" cannot be instantiated in a runtime using tier "compiled"`},
		{"compiled module in interp runtime", interpRT, compiledMod,
			`module compiled for tier "compiled" cannot be instantiated in a runtime using tier "interp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.instantiated = nil
			mod, err := tt.r.InstantiateModule(ctx, tt.c, ModuleConfig{})
			if tt.want != "" {
				if err == nil || err.Error() != tt.want {
					t.Fatalf("got error %v, want %q", err, tt.want)
				}
				if len(fake.instantiated) != 0 {
					t.Error("the refused module was instantiated")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(ctx)
			inst := mod.(*moduleInstance).inst
			if tt.r == compiledRT {
				if len(fake.instantiated) != 1 || fake.instantiated[0] != inst || inst.EngineState != fake {
					t.Errorf("Instantiated saw %v, want the new instance", fake.instantiated)
				}
			} else if len(fake.instantiated) != 0 || inst.EngineState != nil {
				t.Error("the interp runtime called the compiled tier")
			}
		})
	}

	t.Run("Instantiated fails", func(t *testing.T) {
		fake.failWith = errors.New("no state block")
		defer func() { fake.failWith = nil }()
		_, err := compiledRT.InstantiateModule(ctx, compiledMod, ModuleConfig{Name: "failed"})
		if err == nil || !strings.Contains(err.Error(), "no state block") {
			t.Fatalf("got %v", err)
		}
		if compiledRT.Module("failed") != nil {
			t.Error("the failed instance is registered")
		}
	})
}

func TestRuntime_tierUnavailable(t *testing.T) {
	ctx := context.Background()
	withCompiledTier(t, nil)
	if DefaultTier() != TierInterp {
		t.Errorf("DefaultTier() = %v without a compiled tier", DefaultTier())
	}
	if err := TierCompiled.Available(); err == nil {
		t.Error("TierCompiled is available without a compiled tier")
	}
	for _, tier := range []Tier{TierDefault, TierInterp} {
		if err := tier.Available(); err != nil {
			t.Errorf("%v: %v", tier, err)
		}
	}

	r := NewRuntime(ctx, RuntimeConfig{Tier: TierCompiled})
	defer r.Close(ctx)
	if r.Tier() != TierCompiled {
		t.Errorf("Tier() = %v", r.Tier())
	}
	_, err := r.CompileModule(ctx, encode(counter()))
	if err == nil || !strings.Contains(err.Error(), "tier compiled is not available on this host") {
		t.Fatalf("CompileModule: %v", err)
	}

	// The default falls back to the interpreter.
	d := NewRuntime(ctx, RuntimeConfig{})
	defer d.Close(ctx)
	if d.Tier() != TierInterp {
		t.Errorf("default runtime's tier is %v", d.Tier())
	}
	if _, err := d.Instantiate(ctx, encode(counter())); err != nil {
		t.Fatal(err)
	}
}
