package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func lim(min uint32, max ...uint32) wasm.Limits {
	if len(max) > 0 {
		return wasm.Limits{Min: min, Max: max[0], HasMax: true}
	}
	return wasm.Limits{Min: min}
}

func TestLimitsMatch(t *testing.T) {
	tests := []struct {
		actual, want wasm.Limits
		ok           bool
	}{
		{lim(1), lim(1), true},
		{lim(2), lim(1), true},
		{lim(1), lim(2), false},
		{lim(1, 2), lim(1), true},
		{lim(1), lim(1, 2), false},
		{lim(1, 2), lim(1, 2), true},
		{lim(1, 2), lim(1, 3), true},
		{lim(1, 3), lim(1, 2), false},
	}
	for _, tt := range tests {
		if got := limitsMatch(tt.actual, tt.want); got != tt.ok {
			t.Errorf("limitsMatch(%v, %v) = %v", tt.actual, tt.want, got)
		}
	}
}

// exporter registers a host module "m" with one export of each kind.
func exporter(t *testing.T, s *Store) {
	t.Helper()
	h := &HostModule{
		Funcs:    []HostFunc{{Export: "f", Type: wasm.FuncType{Params: []wasm.ValueType{wasm.ValueTypeI32}}, Fn: func(context.Context, api.Module, []uint64) error { return nil }}},
		Memories: []HostMemory{{Export: "mem", Type: wasm.MemoryType{Limits: lim(1, 2)}}},
		Tables:   []HostTable{{Export: "tab", Type: wasm.TableType{ElemType: wasm.ValueTypeFuncref, Limits: lim(10, 20)}}},
		Globals:  []HostGlobal{{Export: "g", Type: wasm.GlobalType{ValType: wasm.ValueTypeI32}, Val: 42}},
	}
	inst, err := s.NewHostInstance("m", h, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("m", inst); err != nil {
		t.Fatal(err)
	}
}

func TestStore_Instantiate_imports(t *testing.T) {
	fnType := func(params ...wasm.ValueType) []wasm.FuncType { return []wasm.FuncType{{Params: params}} }
	tests := []struct {
		name  string
		types []wasm.FuncType
		imp   wasm.Import
		want  string // "" for success
	}{
		{"func", fnType(wasm.ValueTypeI32), wasm.Import{Module: "m", Name: "f", Kind: wasm.ExternFunc}, ""},
		{"func type", fnType(wasm.ValueTypeI64), wasm.Import{Module: "m", Name: "f", Kind: wasm.ExternFunc}, "incompatible import type"},
		{"no module", fnType(), wasm.Import{Module: "x", Name: "f", Kind: wasm.ExternFunc}, "unknown import"},
		{"no export", fnType(), wasm.Import{Module: "m", Name: "nope", Kind: wasm.ExternFunc}, "unknown import"},
		{"kind", fnType(), wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternFunc}, "incompatible import type"},
		{"memory", nil, wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: lim(0)}}, ""},
		{"memory max", nil, wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: lim(1, 1)}}, "incompatible import type"},
		{"memory min", nil, wasm.Import{Module: "m", Name: "mem", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: lim(2)}}, "incompatible import type"},
		{"table", nil, wasm.Import{Module: "m", Name: "tab", Kind: wasm.ExternTable, Table: wasm.TableType{ElemType: wasm.ValueTypeFuncref, Limits: lim(5, 30)}}, ""},
		{"table elem", nil, wasm.Import{Module: "m", Name: "tab", Kind: wasm.ExternTable, Table: wasm.TableType{ElemType: wasm.ValueTypeExternref, Limits: lim(5)}}, "incompatible import type"},
		{"global", nil, wasm.Import{Module: "m", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: wasm.ValueTypeI32}}, ""},
		{"global mutability", nil, wasm.Import{Module: "m", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: wasm.ValueTypeI32, Mutable: true}}, "incompatible import type"},
		{"global type", nil, wasm.Import{Module: "m", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: wasm.ValueTypeF32}}, "incompatible import type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New()
			exporter(t, s)
			m := &wasm.Module{Types: tt.types, Imports: []wasm.Import{tt.imp}}
			m.IndexImports()
			inst, err := s.Instantiate(m, "", nil, Limits{})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				inst.Close()
				return
			}
			var le *LinkError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.imp.Name) {
				t.Fatalf("got %v, want a link error with %q", err, tt.want)
			}
		})
	}
}

func TestStore_Instantiate_segments(t *testing.T) {
	i32const := func(v byte) wasm.ConstExpr { return wasm.ConstExpr{Code: []byte{0x41, v, 0x0b}} }
	tests := []struct {
		name string
		m    wasm.Module
		kind api.TrapKind
	}{
		{"data fits", wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(1)}},
			Datas: []wasm.DataSegment{{Offset: i32const(0), Init: []byte("hi")}}}, 0},
		{"data past the end", wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(0)}},
			Datas: []wasm.DataSegment{{Offset: i32const(0), Init: []byte("hi")}}}, api.TrapOutOfBoundsMemory},
		{"empty data at the end", wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(0)}},
			Datas: []wasm.DataSegment{{Offset: i32const(0)}}}, 0},
		{"elements past the end", wasm.Module{Tables: []wasm.TableType{{ElemType: wasm.ValueTypeFuncref, Limits: lim(1)}},
			Elems: []wasm.ElemSegment{{Offset: i32const(1), Type: wasm.ValueTypeFuncref, Exprs: []wasm.ConstExpr{{Code: []byte{0xd0, 0x70, 0x0b}}}}}},
			api.TrapOutOfBoundsTable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := New().Instantiate(&tt.m, "", nil, Limits{})
			if tt.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(tt.m.Datas) > 0 && len(tt.m.Datas[0].Init) > 0 && string(inst.Memory().Bytes()[:2]) != "hi" {
					t.Error("data segment not applied")
				}
				inst.Close()
				return
			}
			var trap *api.Trap
			if !errors.As(err, &trap) || trap.Kind != tt.kind {
				t.Fatalf("got %v, want trap %v", err, tt.kind)
			}
		})
	}
}

func TestStore_Instantiate_limits(t *testing.T) {
	m := &wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(4)}}}
	if _, err := New().Instantiate(m, "", nil, Limits{MaxMemoryPages: 2}); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("memory over the limit: got %v", err)
	}
	m = &wasm.Module{Memories: []wasm.MemoryType{{Limits: lim(1)}}}
	inst, err := New().Instantiate(m, "", nil, Limits{MaxMemoryPages: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	mem := inst.Memory()
	if _, ok := mem.Grow(1); !ok {
		t.Fatal("grow within the limit failed")
	}
	if _, ok := mem.Grow(1); ok {
		t.Fatal("grow past the limit succeeded")
	}
}

func TestTable_Grow(t *testing.T) {
	tab, ok := NewTable(wasm.TableType{ElemType: wasm.ValueTypeExternref, Limits: lim(1)}, Limits{MaxTableElements: 4})
	if !ok {
		t.Fatal("NewTable failed")
	}
	tests := []struct {
		delta uint32
		prev  uint32
		ok    bool
	}{
		{2, 1, true},
		{2, 3, false},
		{1, 3, true},
		{0, 4, true},
		{0xffffffff, 4, false},
	}
	for _, tt := range tests {
		prev, ok := tab.Grow(tt.delta, 7)
		if prev != tt.prev || ok != tt.ok {
			t.Errorf("Grow(%d) = %d, %v; want %d, %v", tt.delta, prev, ok, tt.prev, tt.ok)
		}
	}
	if v, _ := tab.Get(3); v != 7 {
		t.Errorf("grown element is %d, want 7", v)
	}
}

func TestTable_bulk(t *testing.T) {
	newTab := func() *Table {
		tab, _ := NewTable(wasm.TableType{ElemType: wasm.ValueTypeExternref, Limits: lim(4)}, Limits{})
		return tab
	}
	tests := []struct {
		name string
		do   func(*Table) bool
		ok   bool
		want []uint64
	}{
		{"fill", func(t *Table) bool { return t.Fill(1, 2, 9) }, true, []uint64{0, 9, 9, 0}},
		{"fill to the end", func(t *Table) bool { return t.Fill(4, 0, 9) }, true, []uint64{0, 0, 0, 0}},
		{"fill past the end", func(t *Table) bool { return t.Fill(3, 2, 9) }, false, []uint64{0, 0, 0, 0}},
		{"init", func(t *Table) bool { return t.Init(1, []uint64{5, 6, 7}, 1, 2) }, true, []uint64{0, 6, 7, 0}},
		{"init past the segment", func(t *Table) bool { return t.Init(0, []uint64{5}, 1, 1) }, false, []uint64{0, 0, 0, 0}},
		{"copy overlapping", func(t *Table) bool {
			t.Init(0, []uint64{1, 2, 3, 4}, 0, 4)
			return CopyTable(t, 1, t, 0, 3)
		}, true, []uint64{1, 1, 2, 3}},
		{"copy past the end", func(t *Table) bool { return CopyTable(t, 2, t, 0, 3) }, false, []uint64{0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTab()
			if ok := tt.do(tab); ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			for i, w := range tt.want {
				if v, _ := tab.Get(uint32(i)); v != w {
					t.Errorf("element %d = %d, want %d", i, v, w)
				}
			}
		})
	}
}

func TestStore_Register(t *testing.T) {
	s := New()
	inst, err := s.NewHostInstance("a", &HostModule{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register("a", inst); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("alias", inst); err != nil {
		t.Fatal(err)
	}
	if err := s.Register("a", inst); err == nil {
		t.Error("a name was registered twice")
	}
	inst.Close()
	if s.NameTaken("a") || s.NameTaken("alias") {
		t.Error("Close left a name registered")
	}
}

// TestStore_Instantiate_tableBudget checks that an instance's tables
// together stay within the table limit: many tables each within it
// would otherwise add up to any amount of host memory.
func TestStore_Instantiate_tableBudget(t *testing.T) {
	funcref := func(min uint32) wasm.TableType {
		return wasm.TableType{ElemType: wasm.ValueTypeFuncref, Limits: lim(min)}
	}
	many := &wasm.Module{}
	for range 200 {
		many.Tables = append(many.Tables, funcref(100))
	}
	if _, err := New().Instantiate(many, "", nil, Limits{MaxTableElements: 10_000}); err == nil || !strings.Contains(err.Error(), "all of a module's tables") {
		t.Fatalf("200 tables of 100 elements under a limit of 10,000: got %v", err)
	}

	two := &wasm.Module{Tables: []wasm.TableType{funcref(10), funcref(10)}}
	inst, err := New().Instantiate(two, "", nil, Limits{MaxTableElements: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if _, ok := inst.Tables[0].Grow(70, 0); !ok {
		t.Fatal("grow within the limit failed")
	}
	if _, ok := inst.Tables[1].Grow(11, 0); ok {
		t.Fatal("grow past what the tables may hold together succeeded")
	}
	if _, ok := inst.Tables[1].Grow(10, 0); !ok {
		t.Fatal("grow to exactly the limit failed")
	}
}

// TestTable_ChangedSince: a copy of a funcref table synced at some
// change learns which elements the changes since touched, as long as
// the table remembers them.
func TestTable_ChangedSince(t *testing.T) {
	tab, ok := NewTable(wasm.TableType{ElemType: wasm.ValueTypeFuncref, Limits: lim(10)}, Limits{})
	if !ok {
		t.Fatal("NewTable failed")
	}
	tab.Set(3, 0)                         // change 1: [3, 4)
	tab.Fill(5, 2, 0)                     // change 2: [5, 7)
	tab.Grow(4, 0)                        // change 3: [10, 14)
	CopyTable(tab, 0, tab, 8, 2)          // change 4: [0, 2)
	tab.Init(12, []uint64{0, 0, 0}, 1, 2) // change 5: [12, 14)
	tests := []struct {
		since  uint64
		lo, hi uint32
		ok     bool
	}{
		{5, 0, 0, true},
		{4, 12, 14, true},
		{3, 0, 14, true},
		{2, 0, 14, true},
		{1, 0, 14, true},
		{0, 0, 14, true},
		{6, 0, 0, false}, // from the future
	}
	for _, tt := range tests {
		lo, hi, ok := tab.ChangedSince(tt.since)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("ChangedSince(%d) = [%d, %d), %v; want [%d, %d), %v", tt.since, lo, hi, ok, tt.lo, tt.hi, tt.ok)
		}
	}
	for range tableLogSize {
		tab.Set(9, 0)
	}
	if lo, hi, ok := tab.ChangedSince(5); !ok || lo != 9 || hi != 10 {
		t.Errorf("after %d sets: [%d, %d), %v; want [9, 10), true", tableLogSize, lo, hi, ok)
	}
	if _, _, ok := tab.ChangedSince(4); ok {
		t.Errorf("%d changes back, older than the table remembers: ok", tableLogSize+1)
	}
}
