package main

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// FuzzDifferential runs modules (seeded with the spec suite's) on
// wasmvisor and on wazero's interpreter, and checks that every exported
// function, called with the same arguments, returns the same results or
// traps on both. Modules with imports are skipped. Where the engines may
// legitimately differ (NaN payloads, stack limits, time limits) the
// comparison is skipped too.
func FuzzDifferential(f *testing.F) {
	files, _ := filepath.Glob(testshared.Path(f, "testdata", "spec", "json", "*.wasm"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data, uint64(1), uint64(0x8000_0000))
		}
	}
	f.Fuzz(func(t *testing.T, bin []byte, x, y uint64) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		vr := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
		defer vr.Close(ctx)
		c, err := vr.CompileModule(ctx, bin)
		if err != nil || len(c.Imports()) > 0 {
			return
		}
		wr := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCloseOnContextDone(true))
		defer wr.Close(ctx)
		wmod, werr := wr.Instantiate(ctx, bin)
		vmod, verr := vr.InstantiateModule(ctx, c, wasmvisor.ModuleConfig{})
		if werr != nil || verr != nil {
			// wazero applies active segments leniently (it does not trap
			// on an out-of-bounds element segment, as the spec requires),
			// so instantiation outcomes are not compared.
			return
		}
		for name, def := range vmod.ExportedFunctionDefinitions() {
			args := make([]uint64, 0, len(def.ParamTypes))
			for i, p := range def.ParamTypes {
				if p == api.ValueTypeV128 || p == api.ValueTypeFuncref || p == api.ValueTypeExternref {
					args = nil
					break
				}
				v := x
				if i%2 == 1 {
					v = y
				}
				if p == api.ValueTypeI32 || p == api.ValueTypeF32 {
					v = uint64(uint32(v))
				}
				args = append(args, v)
			}
			if args == nil && len(def.ParamTypes) > 0 {
				continue
			}
			skip := false
			for _, r := range def.ResultTypes {
				skip = skip || r == api.ValueTypeV128 || r == api.ValueTypeFuncref || r == api.ValueTypeExternref
			}
			if skip {
				continue
			}
			cctx, ccancel := context.WithTimeout(ctx, 200*time.Millisecond)
			vres, verr := vmod.ExportedFunction(name).Call(cctx, args...)
			wres, werr := wmod.ExportedFunction(name).Call(cctx, args...)
			ccancel()
			if limitError(verr) || limitError(werr) || cctx.Err() != nil {
				return // the engines' limits differ; later calls see different state
			}
			if (verr == nil) != (werr == nil) {
				t.Fatalf("%s%v: wasmvisor %v %v, wazero %v %v", name, args, vres, verr, wres, werr)
			}
			for i := range vres {
				if !sameValue(def.ResultTypes[i], vres[i], wres[i]) {
					t.Fatalf("%s%v: result %d: wasmvisor %#x, wazero %#x", name, args, i, vres[i], wres[i])
				}
			}
		}
	})
}

// limitError reports an error where the engines' limits, not semantics,
// decide: stack exhaustion, time limits, resource limits.
func limitError(err error) bool {
	if err == nil {
		return false
	}
	var trap *api.Trap
	if errors.As(err, &trap) {
		return trap.Kind == api.TrapCallStackExhausted || trap.Kind == api.TrapTimeout || trap.Kind == api.TrapInterrupted
	}
	s := err.Error()
	return strings.Contains(s, "stack") || strings.Contains(s, "deadline") || strings.Contains(s, "canceled") ||
		strings.Contains(s, "closed") || strings.Contains(s, "limit") || strings.Contains(s, "memory")
}

// sameValue compares results, treating any two NaNs as equal: the spec
// lets NaN payloads differ between engines.
func sameValue(t api.ValueType, a, b uint64) bool {
	switch t {
	case api.ValueTypeF32:
		fa, fb := math.Float32frombits(uint32(a)), math.Float32frombits(uint32(b))
		return uint32(a) == uint32(b) || fa != fa && fb != fb
	case api.ValueTypeF64:
		fa, fb := math.Float64frombits(a), math.Float64frombits(b)
		return a == b || fa != fa && fb != fb
	case api.ValueTypeI32:
		return uint32(a) == uint32(b)
	}
	return a == b
}
