package binary

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestDecode_Sections(t *testing.T) {
	i32, i64, f32, f64 := wasm.ValueTypeI32, wasm.ValueTypeI64, wasm.ValueTypeF32, wasm.ValueTypeF64
	v128, funcref, externref := wasm.ValueTypeV128, wasm.ValueTypeFuncref, wasm.ValueTypeExternref
	c := func(code string) wasm.ConstExpr { return wasm.ConstExpr{Code: []byte(code)} }
	tests := []struct {
		name string
		data []byte
		want *wasm.Module
	}{
		{
			name: "empty module",
			data: bin(),
			want: &wasm.Module{},
		},
		{
			name: "types",
			data: bin(sec(wasm.SectionType, vec(typeVoid, "\x60\x02\x7f\x7e\x01\x7b", "\x60\x00\x04\x7d\x7c\x70\x6f"))),
			want: &wasm.Module{Types: []wasm.FuncType{
				{},
				{Params: []wasm.ValueType{i32, i64}, Results: []wasm.ValueType{v128}},
				{Results: []wasm.ValueType{f32, f64, funcref, externref}},
			}},
		},
		{
			name: "imports of every kind",
			data: bin(
				sec(wasm.SectionType, vec(typeVoid)),
				sec(wasm.SectionImport, vec(
					str("env")+str("f")+"\x00\x00",
					str("env")+str("t")+"\x01\x70\x01\x01\x02",
					str("env")+str("m")+"\x02\x00\x01",
					str("env")+str("g")+"\x03\x7f\x01",
					str("πß")+str("")+"\x00\x00",
				)),
			),
			want: &wasm.Module{
				Types: []wasm.FuncType{{}},
				Imports: []wasm.Import{
					{Module: "env", Name: "f", Kind: wasm.ExternFunc},
					{Module: "env", Name: "t", Kind: wasm.ExternTable, Table: wasm.TableType{ElemType: funcref, Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}},
					{Module: "env", Name: "m", Kind: wasm.ExternMemory, Memory: wasm.MemoryType{Limits: wasm.Limits{Min: 1}}},
					{Module: "env", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: i32, Mutable: true}},
					{Module: "πß", Name: "", Kind: wasm.ExternFunc},
				},
				ImportedFuncs:    []uint32{0, 0},
				ImportedTables:   []wasm.TableType{{ElemType: funcref, Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}},
				ImportedMemories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1}}},
				ImportedGlobals:  []wasm.GlobalType{{ValType: i32, Mutable: true}},
			},
		},
		{
			name: "functions, tables, memories, globals",
			data: bin(
				sec(wasm.SectionType, vec(typeVoid, typeVoid)),
				sec(wasm.SectionFunction, vec("\x01", "\x00")),
				sec(wasm.SectionTable, vec("\x6f\x00\x05", "\x70\x01\x00\xff\xff\xff\xff\x0f")),
				sec(wasm.SectionMemory, vec("\x01\x01\x80\x80\x04")),
				sec(wasm.SectionGlobal, vec("\x7f\x00"+i32Const0, "\x7e\x01\x42\x7f\x0b", "\x70\x00\xd2\x00\x0b")),
				sec(wasm.SectionCode, vec("\x02\x00\x0b", "\x02\x00\x0b")),
			),
			want: &wasm.Module{
				Types: []wasm.FuncType{{}, {}},
				Funcs: []uint32{1, 0},
				Tables: []wasm.TableType{
					{ElemType: externref, Limits: wasm.Limits{Min: 5}},
					{ElemType: funcref, Limits: wasm.Limits{Min: 0, Max: 0xffffffff, HasMax: true}},
				},
				Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 65536, HasMax: true}}},
				Globals: []wasm.Global{
					{Type: wasm.GlobalType{ValType: i32}, Init: c(i32Const0)},
					{Type: wasm.GlobalType{ValType: i64, Mutable: true}, Init: c("\x42\x7f\x0b")},
					{Type: wasm.GlobalType{ValType: funcref}, Init: c("\xd2\x00\x0b")},
				},
				Codes: []wasm.Code{{Body: []byte{0x0b}}, {Body: []byte{0x0b}}},
			},
		},
		{
			name: "exports and start",
			data: bin(
				sec(wasm.SectionType, vec(typeVoid)),
				sec(wasm.SectionFunction, vec("\x00")),
				sec(wasm.SectionExport, vec(str("run")+"\x00\x00", str("mem")+"\x02\x00", str("tab")+"\x01\x03", str("g")+"\x03\x07")),
				sec(wasm.SectionStart, "\x00"),
				sec(wasm.SectionCode, vec("\x02\x00\x0b")),
			),
			want: &wasm.Module{
				Types: []wasm.FuncType{{}},
				Funcs: []uint32{0},
				Exports: []wasm.Export{
					{Name: "run", Kind: wasm.ExternFunc, Index: 0},
					{Name: "mem", Kind: wasm.ExternMemory, Index: 0},
					{Name: "tab", Kind: wasm.ExternTable, Index: 3},
					{Name: "g", Kind: wasm.ExternGlobal, Index: 7},
				},
				HasStart: true,
				Codes:    []wasm.Code{{Body: []byte{0x0b}}},
			},
		},
		{
			name: "element segments in formats 0 to 7",
			data: bin(sec(wasm.SectionElement, vec(
				"\x00"+i32Const0+vec("\x01", "\x02"),
				"\x01\x00"+vec("\x03"),
				"\x02\x01"+i32Const0+"\x00"+vec("\x04"),
				"\x03\x00"+vec("\x05"),
				"\x04"+i32Const0+vec("\xd2\x06\x0b", "\xd0\x70\x0b"),
				"\x05\x6f"+vec("\xd0\x6f\x0b"),
				"\x06\x02"+"\x41\x07\x0b"+"\x70"+vec(),
				"\x07\x70"+vec("\xd2\x08\x0b"),
			))),
			want: &wasm.Module{Elems: []wasm.ElemSegment{
				{Mode: wasm.SegmentActive, Offset: c(i32Const0), Type: funcref, FuncIndices: []uint32{1, 2}},
				{Mode: wasm.SegmentPassive, Type: funcref, FuncIndices: []uint32{3}},
				{Mode: wasm.SegmentActive, Table: 1, Offset: c(i32Const0), Type: funcref, FuncIndices: []uint32{4}},
				{Mode: wasm.SegmentDeclarative, Type: funcref, FuncIndices: []uint32{5}},
				{Mode: wasm.SegmentActive, Offset: c(i32Const0), Type: funcref, Exprs: []wasm.ConstExpr{c("\xd2\x06\x0b"), c("\xd0\x70\x0b")}},
				{Mode: wasm.SegmentPassive, Type: externref, Exprs: []wasm.ConstExpr{c("\xd0\x6f\x0b")}},
				{Mode: wasm.SegmentActive, Table: 2, Offset: c("\x41\x07\x0b"), Type: funcref},
				{Mode: wasm.SegmentDeclarative, Type: funcref, Exprs: []wasm.ConstExpr{c("\xd2\x08\x0b")}},
			}},
		},
		{
			name: "data count, code with locals, data in formats 0 to 2",
			data: bin(
				sec(wasm.SectionType, vec(typeVoid)),
				sec(wasm.SectionFunction, vec("\x00", "\x00")),
				sec(wasm.SectionDataCount, "\x03"),
				sec(wasm.SectionCode, vec(
					"\x0a"+vec("\x02\x7f", "\x00\x7e", "\x80\x01\x7b")+"\x01\x0b",
					"\x02\x00\x0b",
				)),
				sec(wasm.SectionData, vec(
					"\x00"+i32Const0+str("hi"),
					"\x01"+str(""),
					"\x02\x01"+"\x41\x08\x0b"+str("\x00\xff"),
				)),
			),
			want: &wasm.Module{
				Types:        []wasm.FuncType{{}},
				Funcs:        []uint32{0, 0},
				DataCount:    3,
				HasDataCount: true,
				Codes: []wasm.Code{
					{Locals: []wasm.LocalGroup{{Count: 2, Type: i32}, {Count: 0, Type: i64}, {Count: 128, Type: v128}}, NumLocals: 130, Body: []byte{0x01, 0x0b}},
					{Body: []byte{0x0b}},
				},
				Datas: []wasm.DataSegment{
					{Mode: wasm.SegmentActive, Offset: c(i32Const0), Init: []byte("hi")},
					{Mode: wasm.SegmentPassive},
					{Mode: wasm.SegmentActive, Memory: 1, Offset: c("\x41\x08\x0b"), Init: []byte{0x00, 0xff}},
				},
			},
		},
		{
			name: "a constant expression with nested blocks ends at the outermost end",
			data: bin(sec(wasm.SectionGlobal, vec("\x7f\x00"+"\x02\x40\x04\x40\x05\x0b\x0b"+i32Const0))),
			want: &wasm.Module{Globals: []wasm.Global{
				{Type: wasm.GlobalType{ValType: i32}, Init: c("\x02\x40\x04\x40\x05\x0b\x0b\x41\x00\x0b")},
			}},
		},
		{
			name: "custom sections before, between and after the others",
			data: bin(
				sec(wasm.SectionCustom, str("first"), "\x01\x02"),
				sec(wasm.SectionType, vec()),
				sec(wasm.SectionCustom, str("")),
				sec(wasm.SectionData, vec()),
				sec(wasm.SectionCustom, str("last"), "payload"),
			),
			want: &wasm.Module{Customs: []wasm.CustomSection{
				{Name: "first", Data: []byte{1, 2}},
				{Name: ""},
				{Name: "last", Data: []byte("payload")},
			}},
		},
		{
			name: "name section",
			data: bin(sec(wasm.SectionCustom, str("name"),
				sec(0, str("mod")),
				sec(1, vec("\x00"+str("main"), "\x05"+str("helper"))),
				sec(2, vec("\x00"+vec("\x00"+str("x"), "\x02"+str("y")), "\x05"+vec())),
				sec(7, "ignored extended-name-section subsection"),
			)),
			want: &wasm.Module{
				Customs: []wasm.CustomSection{{Name: "name", Data: []byte(
					sec(0, str("mod")) +
						sec(1, vec("\x00"+str("main"), "\x05"+str("helper"))) +
						sec(2, vec("\x00"+vec("\x00"+str("x"), "\x02"+str("y")), "\x05"+vec())) +
						sec(7, "ignored extended-name-section subsection"))}},
				Names: &wasm.NameSection{
					ModuleName: "mod",
					FuncNames:  map[uint32]string{0: "main", 5: "helper"},
					LocalNames: map[uint32]map[uint32]string{0: {0: "x", 2: "y"}, 5: {}},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Size != uint64(len(tc.data)) {
				t.Errorf("Size = %d, want %d", got.Size, len(tc.data))
			}
			if g, w := normalize(got), normalize(tc.want); !reflect.DeepEqual(g, w) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", g, w)
			}
		})
	}
}

// TestDecode_Positions checks that every recorded offset points at what
// it describes in the binary.
func TestDecode_Positions(t *testing.T) {
	data := bin(
		sec(wasm.SectionType, vec(typeVoid)),
		sec(wasm.SectionImport, vec(str("env")+str("f")+"\x00\x00")),
		sec(wasm.SectionFunction, vec("\x00")),
		sec(wasm.SectionGlobal, vec("\x7f\x00"+"\x41\x80\x01\x0b")),
		sec(wasm.SectionCustom, str("between"), "xyz"),
		sec(wasm.SectionElement, vec("\x04"+i32Const0+vec("\xd2\x00\x0b"))),
		// The code section's size is in a padded LEB128, as some tools write it.
		"\x0a\x86\x80\x80\x80\x00"+vec("\x04\x01\x01\x7f\x0b"),
		sec(wasm.SectionData, vec("\x00\x41\x02\x0b"+str("hi"))),
	)
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	at := func(off uint64, n int) string { return string(data[off : off+uint64(n)]) }

	wantIDs := []wasm.SectionID{1, 2, 3, 6, 0, 9, 10, 11}
	if len(m.Sections) != len(wantIDs) {
		t.Fatalf("got %d sections, want %d", len(m.Sections), len(wantIDs))
	}
	end := uint64(8)
	for i, s := range m.Sections {
		if s.ID != wantIDs[i] {
			t.Errorf("section %d: id %d, want %d", i, s.ID, wantIDs[i])
		}
		if s.Offset != end || data[s.Offset] != byte(s.ID) {
			t.Errorf("section %d: offset 0x%x, want 0x%x", i, s.Offset, end)
		}
		// The payload ends the section: the next one starts after it.
		_, n, _ := leb128.DecodeUint32(data[s.Offset+1:])
		end = s.Offset + 1 + uint64(n) + uint64(s.Size)
	}
	if end != uint64(len(data)) {
		t.Errorf("sections end at 0x%x, the module at 0x%x", end, len(data))
	}
	if s := m.Sections[4]; s.Name != "between" {
		t.Errorf("custom section info name %q, want %q", s.Name, "between")
	}
	if s := m.Sections[6]; s.Size != 6 {
		t.Errorf("code section size %d, want 6", s.Size)
	}
	if got := at(m.Imports[0].Offset, 4); got != str("env") {
		t.Errorf("import offset points at %q", got)
	}
	if got := at(m.Globals[0].Init.Offset, 4); got != "\x41\x80\x01\x0b" {
		t.Errorf("global init offset points at %q", got)
	}
	if got := at(m.Elems[0].Offset.Offset, 3); got != i32Const0 {
		t.Errorf("element offset expression offset points at %q", got)
	}
	if got := at(m.Elems[0].Exprs[0].Offset, 3); got != "\xd2\x00\x0b" {
		t.Errorf("element expression offset points at %q", got)
	}
	if got := at(m.Codes[0].BodyOffset, 1); got != "\x0b" {
		t.Errorf("body offset points at %q", got)
	}
	if got := at(m.Datas[0].Offset.Offset, 3); got != "\x41\x02\x0b" {
		t.Errorf("data offset expression offset points at %q", got)
	}
	if got := at(m.Customs[0].Offset, 3); got != "xyz" {
		t.Errorf("custom section offset points at %q", got)
	}
}

func TestDecode_Errors(t *testing.T) {
	typeSec := sec(wasm.SectionType, vec(typeVoid))
	funcSec := sec(wasm.SectionFunction, vec("\x00"))
	tests := []struct {
		name string
		data []byte
		want string // contained in the error message
		at   int    // the error's offset, or -1 to not check it
	}{
		// Header.
		{"empty", nil, "unexpected end", 0},
		{"short magic", []byte("\x00as"), "unexpected end", 3},
		{"wrong magic", []byte("asm\x00\x01\x00\x00\x00"), "magic header not detected", 0},
		{"wrong magic, short", []byte("\x01\x02\x03\x04"), "magic header not detected", 0},
		{"short version", []byte("\x00asm\x01"), "unexpected end", 5},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), "unknown binary version", 4},

		// Section framing and order.
		{"section id 13", bin("\x0d\x00"), "malformed section id 13", 8},
		{"section id 0x80", bin("\x80\x00"), "malformed section id", 8},
		{"section size past the end", bin("\x01\x05\x00"), "length out of bounds", 9},
		{"section size of 6 bytes", bin("\x01\x80\x80\x80\x80\x80\x00"), "integer representation too long", 9},
		{"section size cut off", bin("\x01\x80"), "unexpected end", 10},
		{"duplicate section", bin(sec(wasm.SectionType, vec()), sec(wasm.SectionType, vec())), "unexpected content after last section", 11},
		{"section out of order", bin(sec(wasm.SectionFunction, vec()), sec(wasm.SectionType, vec())), "unexpected content after last section", 11},
		{"data count after code", bin(sec(wasm.SectionCode, vec()), sec(wasm.SectionDataCount, "\x00")), "unexpected content after last section", 11},
		{"contents shorter than the section", bin("\x01\x05" + vec(typeVoid) + "\x00"), "section size mismatch", -1},
		{"contents longer than the section", bin("\x01\x03" + vec(typeVoid)), "section size mismatch", -1},
		{"vector count of 2^32-1", bin(sec(wasm.SectionType, "\xff\xff\xff\xff\x0f")), "length out of bounds", 10},
		{"entries missing at the end", bin("\x01\x04\x02" + typeVoid), "unexpected end of section or function", -1},

		// Types.
		{"function type form 0x61", bin(sec(wasm.SectionType, vec("\x61\x00\x00"))), "malformed function type", 11},
		{"function type form as 2-byte LEB128", bin(sec(wasm.SectionType, vec("\xe0\x7f\x00\x00"))), "integer representation too long", 11},
		{"value type 0x7a", bin(sec(wasm.SectionType, vec("\x60\x01\x7a\x00"))), "malformed value type 0x7a", 13},
		{"type context", bin(sec(wasm.SectionType, vec(typeVoid, "\x60\x00\x01\x40"))), "section 1 (type): type 1: results: malformed value type", -1},

		// Imports.
		{"import kind 4", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x04"))), "malformed import kind", -1},
		{"import kind 0x80", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x80"))), "malformed import kind", -1},
		{"import module name not UTF-8", bin(sec(wasm.SectionImport, vec(str("\xff")+str("b")+"\x00\x00"))), "malformed UTF-8 encoding", 11},
		{"import name is a surrogate", bin(sec(wasm.SectionImport, vec(str("a")+str("\xed\xa0\x80")+"\x00\x00"))), "malformed UTF-8 encoding", -1},
		{"import name is overlong", bin(sec(wasm.SectionImport, vec(str("a")+str("\xc0\x80")+"\x00\x00"))), "malformed UTF-8 encoding", -1},
		{"import global mutability 2", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x03\x7f\x02"))), "malformed mutability", -1},
		{"import table of i32", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x01\x7f\x00\x00"))), "malformed reference type", -1},
		{"import memory limits flag 2", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x02\x02\x00"))), "integer too large", -1},
		{"import memory limits flag 0x81", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x02\x81\x00\x00"))), "integer representation too long", -1},
		{"import memory limits flag 0x82", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x02\x82\x00\x00"))), "integer too large", -1},
		{"import memory minimum above 2^32", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x02\x00\x80\x80\x80\x80\x10"))), "integer too large", -1},
		{"import context", bin(typeSec, sec(wasm.SectionImport, vec(str("a")+str("b")+"\x00\x00", str("wasi")+str("fd")+"\x03\x7f\x05"))),
			`section 2 (import): import 1: global "wasi"."fd": malformed mutability`, -1},

		// Tables, memories, globals, exports, start.
		{"table of i32", bin(sec(wasm.SectionTable, vec("\x7f\x00\x00"))), "malformed reference type", -1},
		{"table reftype as LEB128", bin(sec(wasm.SectionTable, vec("\xf0\x7f\x00\x00"))), "integer representation too long", -1},
		{"memory cut off", bin("\x05\x01\x01"), "unexpected end of section or function", 11},
		{"memory limits flag 2", bin(sec(wasm.SectionMemory, vec("\x02\x00"))), "integer too large", -1},
		{"global mutability 0xff", bin(sec(wasm.SectionGlobal, vec("\x7f\xff"+i32Const0))), "malformed mutability", -1},
		{"global init without end at the end of the module", bin("\x06\x05\x01\x7f\x00\x41\x00"), "unexpected end of section or function", -1},
		{"global init without end, then a section", bin("\x06\x05\x01\x7f\x00\x41\x00", sec(wasm.SectionCode, vec())), "illegal opcode", -1},
		{"global init with else", bin(sec(wasm.SectionGlobal, vec("\x7f\x00\x41\x00\x05\x0b"))), "END opcode expected", -1},
		{"global init with else in a block", bin(sec(wasm.SectionGlobal, vec("\x7f\x00\x02\x40\x05\x0b\x0b"))), "END opcode expected", -1},
		{"global init with a bad LEB128", bin(sec(wasm.SectionGlobal, vec("\x7f\x00\x41\x80\x80\x80\x80\x80\x00\x0b"))), "integer representation too long", -1},
		{"global context", bin(sec(wasm.SectionImport, vec(str("a")+str("b")+"\x03\x7f\x00")), sec(wasm.SectionGlobal, vec("\x7f\x00\xff\x0b"))),
			"section 6 (global): global 1: illegal opcode ff", -1},
		{"export kind 4", bin(sec(wasm.SectionExport, vec(str("e")+"\x04\x00"))), "malformed export kind", -1},
		{"export name not UTF-8", bin(sec(wasm.SectionExport, vec(str("\x80")+"\x00\x00"))), "malformed UTF-8 encoding", -1},
		{"start index too large", bin(sec(wasm.SectionStart, "\xff\xff\xff\xff\x7f")), "integer too large", -1},

		// Elements.
		{"element format 8", bin(sec(wasm.SectionElement, vec("\x08"))), "malformed elements segment kind", -1},
		{"element kind 1", bin(sec(wasm.SectionElement, vec("\x01\x01"+vec()))), "malformed element kind", -1},
		{"element type i32", bin(sec(wasm.SectionElement, vec("\x05\x7f"+vec()))), "malformed reference type", -1},
		{"element expression with an illegal opcode", bin(sec(wasm.SectionElement, vec("\x05\x70"+vec("\xf3\x00\x0b")))), "illegal opcode", -1},
		{"element offset context", bin(sec(wasm.SectionElement, vec("\x00\x41\x80\x80\x80\x80\x10\x0b"+vec()))),
			"section 9 (element): element segment 0: offset: integer too large", -1},

		// Code.
		{"too many locals", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x0a\x02\xff\xff\xff\xff\x0f\x7f\x02\x7e\x0b"))), "too many locals", -1},
		{"local count above 2^32", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x0a\x02\x80\x80\x80\x80\x10\x7f\x02\x7e\x0b"))), "integer too large", -1},
		{"local of type 0x40", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x04\x01\x01\x40\x0b"))), "malformed value type 0x40", -1},
		{"more functions than bodies", bin(typeSec, sec(wasm.SectionFunction, vec("\x00", "\x00")), sec(wasm.SectionCode, vec("\x02\x00\x0b"))),
			"function and code section have inconsistent lengths", -1},
		{"bodies without functions", bin(sec(wasm.SectionCode, vec("\x02\x00\x0b"))), "function and code section have inconsistent lengths", -1},
		{"body without end between bodies", bin(typeSec, sec(wasm.SectionFunction, vec("\x00", "\x00")),
			sec(wasm.SectionCode, vec("\x04\x00\x41\x01\x1a", "\x05\x00\x41\x01\x1a\x0b"))), "END opcode expected", -1},
		{"body without end at the end of the module", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x04\x00\x41\x01\x1a"))),
			"unexpected end of section or function", -1},
		{"body without end, then a section", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x04\x00\x41\x01\x1a")), sec(wasm.SectionData, vec())),
			"section size mismatch", -1},
		{"body too short for its contents", bin(typeSec, sec(wasm.SectionFunction, vec("\x00")), sec(wasm.SectionCode, vec("\x03\x00\x41\x80\x80\x80\x80\x80\x00\x0b"))),
			"integer representation too long", -1},
		{"body of size 0", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x00"))), "unexpected end", -1},
		{"body size past the end", bin(typeSec, funcSec, "\x0a\x04\x01\x10\x00\x0b"), "length out of bounds", -1},
		{"locals past the body", bin(typeSec, funcSec, sec(wasm.SectionCode, vec("\x02\x01\x01\x7f\x0b"))), "section size mismatch", -1},
		{"code context counts imported functions", bin(typeSec, sec(wasm.SectionImport, vec(str("a")+str("b")+"\x00\x00")),
			sec(wasm.SectionFunction, vec("\x00", "\x00")), sec(wasm.SectionCode, vec("\x02\x00\x0b", "\x03\x01\x01\x40\x0b"))),
			"section 10 (code): function 2: locals: malformed value type", -1},

		// Data.
		{"data format 3", bin(sec(wasm.SectionData, vec("\x03"))), "malformed data segment kind", -1},
		{"data count 1, no data section", bin(sec(wasm.SectionDataCount, "\x01")), "data count and data section have inconsistent lengths", -1},
		{"data count 0, one segment", bin(sec(wasm.SectionDataCount, "\x00"), sec(wasm.SectionData, vec("\x01"+str("")))),
			"data count and data section have inconsistent lengths", -1},
		{"data bytes cut off", bin("\x0b\x06\x01\x01\x04abc"), "unexpected end of section or function", -1},
		{"data length past the end", bin("\x0b\x06\x01\x01\x07abc"), "length out of bounds", -1},

		// Custom sections.
		{"custom section of size 0", bin("\x00\x00"), "unexpected end", -1},
		{"custom section name past its size", bin("\x00\x01\x05hello"), "unexpected end", -1},
		{"custom section name not UTF-8", bin(sec(wasm.SectionCustom, str("\xfe"))), "malformed UTF-8 encoding", -1},
		{"custom section size past the end", bin("\x00\x10\x01a"), "length out of bounds", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.data)
			if err == nil {
				t.Fatalf("Decode succeeded (%d types, %d codes), want %q", len(m.Types), len(m.Codes), tc.want)
			}
			var fe *wasm.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is %T, want *wasm.FormatError", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if tc.at >= 0 && fe.Offset != uint64(tc.at) {
				t.Errorf("error %q at offset 0x%x, want 0x%x", err, fe.Offset, tc.at)
			}
			if fe.Offset > uint64(len(tc.data)) {
				t.Errorf("error offset 0x%x is past the module's %d bytes", fe.Offset, len(tc.data))
			}
		})
	}
}

// TestDecode_LEBErrorsUnwrap checks that errors keep package leb128's
// sentinel errors for errors.Is.
func TestDecode_LEBErrorsUnwrap(t *testing.T) {
	_, err := Decode(bin("\x01\x80\x80\x80\x80\x80\x00"))
	if !errors.Is(err, leb128.ErrTooLong) {
		t.Errorf("errors.Is(%v, leb128.ErrTooLong) = false", err)
	}
}

// TestDecode_NameSection checks that a malformed name section loses only
// the names, never the module.
func TestDecode_NameSection(t *testing.T) {
	funcs := sec(1, vec("\x00"+str("f")))
	tests := []struct {
		name    string
		content string
		want    *wasm.NameSection // nil: dropped
	}{
		{"empty", "", &wasm.NameSection{}},
		{"function names only", funcs, &wasm.NameSection{FuncNames: map[uint32]string{0: "f"}}},
		{"unknown subsections are skipped", sec(1, vec()) + sec(4, "x") + sec(9, "yz"), &wasm.NameSection{FuncNames: map[uint32]string{}}},
		{"subsections out of order", funcs + sec(0, str("m")), nil},
		{"duplicate subsection", funcs + funcs, nil},
		{"function indices not increasing", sec(1, vec("\x01"+str("a"), "\x01"+str("b"))), nil},
		{"local function indices not increasing", sec(2, vec("\x02"+vec(), "\x01"+vec())), nil},
		{"local indices not increasing", sec(2, vec("\x00"+vec("\x03"+str("a"), "\x02"+str("b")))), nil},
		{"name not UTF-8", sec(0, str("\xff")), nil},
		{"subsection size too large", "\x00\x09" + str("m"), nil},
		{"subsection size too small", "\x01\x02" + vec("\x00"+str("f")), nil},
		{"subsection contents too short", sec(1, vec("\x00"+str("f"))+"\x00"), nil},
		{"truncated subsection header", "\x01", nil},
		{"count of 2^32-1", sec(1, "\xff\xff\xff\xff\x0f"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(bin(
				sec(wasm.SectionCustom, str("name"), tc.content),
				sec(wasm.SectionCustom, str("name"), sec(0, str("second name sections are ignored"))),
			))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(m.Names, tc.want) {
				t.Errorf("Names = %+v, want %+v", m.Names, tc.want)
			}
			if len(m.Customs) != 2 || string(m.Customs[0].Data) != tc.content {
				t.Errorf("the name section was not kept verbatim: %+v", m.Customs)
			}
		})
	}
}

// TestDecode_HostileCounts checks that counts read from the input do not
// size allocations before the input is known to hold that many entries.
func TestDecode_HostileCounts(t *testing.T) {
	// A count the module's bytes could hold at one byte per entry, but
	// the section's few bytes cannot.
	huge := u32(1<<20 - 1<<16)
	pad := strings.Repeat("\x00", 1<<20)
	tests := []struct {
		name string
		data []byte
	}{
		{"types", bin(sec(wasm.SectionType, huge+"\x60"), sec(wasm.SectionCustom, str("pad"), pad))},
		{"imports", bin(sec(wasm.SectionImport, huge+"\x00"), sec(wasm.SectionCustom, str("pad"), pad))},
		{"functions", bin(sec(wasm.SectionFunction, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"globals", bin(sec(wasm.SectionGlobal, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"exports", bin(sec(wasm.SectionExport, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"elements", bin(sec(wasm.SectionElement, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"element indices", bin(sec(wasm.SectionElement, vec("\x01\x00"+huge)), sec(wasm.SectionCustom, str("pad"), pad))},
		{"code", bin(sec(wasm.SectionCode, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"locals", bin(sec(wasm.SectionCode, vec("\x10"+huge)), sec(wasm.SectionCustom, str("pad"), pad))},
		{"data", bin(sec(wasm.SectionData, huge), sec(wasm.SectionCustom, str("pad"), pad))},
		{"name map", bin(sec(wasm.SectionCustom, str("name"), sec(1, huge)), sec(wasm.SectionCustom, str("pad"), pad))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(tc.data)
			runtime.ReadMemStats(&after)
			if tc.name != "name map" && err == nil {
				t.Errorf("Decode succeeded")
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
				t.Errorf("Decode allocated %d bytes for a %d-byte module", n, len(tc.data))
			}
		})
	}
}
