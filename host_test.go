package wasmvisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// stateLog is a host state that records its life in a shared log.
type stateLog struct {
	name string
	log  *[]string
}

func (s *stateLog) Close() error {
	*s.log = append(*s.log, "close "+s.name)
	return nil
}

// importer imports env.f (which it calls from its start function when
// withStart) and exports "call", which calls env.f too, and "trap".
func importer(withStart bool) []byte {
	m := &wasm.Module{
		Types:   []wasm.FuncType{{}},
		Imports: []wasm.Import{{Module: "env", Name: "f", Kind: wasm.ExternFunc}},
		Funcs:   []uint32{0, 0},
		Exports: []wasm.Export{{Name: "call", Kind: wasm.ExternFunc, Index: 1}, {Name: "trap", Kind: wasm.ExternFunc, Index: 2}},
		Codes:   []wasm.Code{{Body: []byte{0x10, 0x00, 0x0b}}, {Body: []byte{0x00, 0x0b}}},
	}
	if withStart {
		m.Start, m.HasStart = 1, true
	}
	return encode(m)
}

func TestHostModuleBuilder_WithInstanceState(t *testing.T) {
	type key struct{}
	tests := []struct {
		name      string
		withStart bool
		newErr    error
		start     []string
		wantErr   string
		wantLog   []string
	}{
		{name: "created before start, closed with the module", withStart: true,
			wantLog: []string{"new m", "call m has m", "call m has m", "close m"}},
		{name: "creation fails", newErr: errors.New("no room"), wantErr: `module "env": no room`,
			wantLog: []string{"new m"}},
		{name: "start function traps", start: []string{"trap"}, wantErr: "unreachable",
			wantLog: []string{"new m", "close m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			r := NewRuntime(ctx, RuntimeConfig{})
			defer r.Close(ctx)
			var log []string
			_, err := r.NewHostModuleBuilder("env").
				WithInstanceState(key{}, func(ctx context.Context, mod api.Module) (io.Closer, error) {
					cfg, _ := ModuleConfigOf(mod)
					log = append(log, "new "+cfg.Name)
					if tt.newErr != nil {
						return nil, tt.newErr
					}
					return &stateLog{cfg.Name, &log}, nil
				}).
				NewFunctionBuilder().
				WithGoModuleFunction(func(ctx context.Context, mod api.Module, stack []uint64) error {
					st, _ := InstanceState(mod, key{}).(*stateLog)
					log = append(log, fmt.Sprintf("call %s has %s", mod.Name(), st.name))
					return nil
				}, nil, nil).
				Export("f").
				Instantiate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			c, err := r.CompileModule(ctx, importer(tt.withStart))
			if err != nil {
				t.Fatal(err)
			}
			mod, err := r.InstantiateModule(ctx, c, ModuleConfig{Name: "m", StartFunctions: tt.start})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want %q", err, tt.wantErr)
				}
				if r.Module("m") != nil {
					t.Fatal("the failed module is registered")
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := mod.ExportedFunction("call").Call(ctx); err != nil {
					t.Fatal(err)
				}
				mod.Close(ctx)
				mod.Close(ctx) // closes the state once
			}
			if strings.Join(log, "; ") != strings.Join(tt.wantLog, "; ") {
				t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(tt.wantLog, "\n"))
			}
		})
	}
}

func TestInstanceState_otherModules(t *testing.T) {
	ctx := context.Background()
	r := NewRuntime(ctx, RuntimeConfig{})
	defer r.Close(ctx)
	host, err := r.NewHostModuleBuilder("env").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := InstanceState(host, "k"); st != nil {
		t.Fatalf("host module has state %v", st)
	}
	if st := InstanceState(nil, "k"); st != nil {
		t.Fatalf("nil module has state %v", st)
	}
}
