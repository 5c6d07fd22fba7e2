package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	m := &wasm.Module{
		Types: []wasm.FuncType{{}, {Params: []wasm.ValueType{wasm.ValueTypeI32}, Results: []wasm.ValueType{wasm.ValueTypeI32}}},
		Imports: []wasm.Import{
			{Module: "wasi_snapshot_preview1", Name: "proc_exit", Kind: wasm.ExternFunc, Func: 1},
			{Module: "env", Name: "memory", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: wasm.Limits{Min: 2}}},
		},
		Funcs:   []uint32{0, 0},
		Tables:  []wasm.TableType{{ElemType: wasm.ValueTypeFuncref, Limits: wasm.Limits{Min: 1, Max: 4, HasMax: true}}},
		Globals: []wasm.Global{{Type: wasm.GlobalType{ValType: wasm.ValueTypeI32, Mutable: true}, Init: wasm.ConstExpr{Code: []byte{0x41, 0x80, 0x80, 0xc0, 0x00, 0x0b}}}},
		Exports: []wasm.Export{
			{Name: "_start", Kind: wasm.ExternFunc, Index: 1},
			{Name: "odd name", Kind: wasm.ExternGlobal},
		},
		Start:    2,
		HasStart: true,
		Codes:    []wasm.Code{{Body: []byte{0x0b}}, {Body: []byte{0x01, 0x01, 0x0b}}},
		Datas:    []wasm.DataSegment{{Mode: wasm.SegmentPassive, Init: []byte("abc")}},
		Customs:  []wasm.CustomSection{{Name: "producers", Data: make([]byte, 10)}},
		Names:    &wasm.NameSection{ModuleName: "demo", FuncNames: map[uint32]string{1: "start", 2: "init"}},
	}
	m.IndexImports()
	good := filepath.Join(dir, "good.wasm")
	bad := filepath.Join(dir, "bad.wasm")
	if err := os.WriteFile(good, binary.Encode(m), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("\x00asm\x01\x00\x00\x00\x0e\x00"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantOut    []string
		wantErr    []string
	}{
		{
			name:       "a module",
			args:       []string{good},
			wantStatus: 0,
			wantOut: []string{
				good + `: `, `, module "demo"`,
				"sections (", "   1  type ", "  10  code ", "   0  custom name ",
				"imports (2):",
				"  func    wasi_snapshot_preview1.proc_exit: (i32) -> (i32)",
				"  memory  env.memory: 2.. pages",
				"exports (2):",
				"  func    _start -> func 1 start",
				`  global  "odd name" -> global 0`,
				"  table 0: funcref 1..4",
				"  memory 0: 2.. pages (imported)",
				"  global 0: mut i32 = i32.const 1048576",
				"functions: 1 imported, 2 defined, 4 bytes of code",
				"start: func 2 init",
				"data segments: 1, 3 bytes",
				"custom sections (2):", "  producers", "  name ",
			},
		},
		{
			name:       "a malformed module among good ones",
			args:       []string{good, bad, good},
			wantStatus: 1,
			wantOut:    []string{"functions: 1 imported"},
			wantErr:    []string{"wasmvisor inspect: " + bad + ": malformed section id 14 (at offset 0x8)"},
		},
		{
			name:       "a missing file",
			args:       []string{filepath.Join(dir, "missing.wasm")},
			wantStatus: 1,
			wantErr:    []string{"missing.wasm", "no such file"},
		},
		{
			name:       "no file",
			args:       nil,
			wantStatus: 2,
			wantErr:    []string{"usage: wasmvisor inspect FILE..."},
		},
		{
			name:       "help",
			args:       []string{"-h"},
			wantStatus: 0,
			wantErr:    []string{"usage: wasmvisor inspect FILE..."},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := inspectMain(tc.args, &stdout, &stderr); got != tc.wantStatus {
				t.Errorf("status %d, want %d; stderr:\n%s", got, tc.wantStatus, stderr.String())
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout.String())
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if len(tc.wantErr) == 0 && stderr.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", stderr.String())
			}
		})
	}
}

// TestInspect_Registered checks the command is reachable through Main.
func TestInspect_Registered(t *testing.T) {
	if _, ok := commands["inspect"]; !ok {
		t.Fatal("inspect is not registered")
	}
}
