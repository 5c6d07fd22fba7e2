package binary

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// checkRoundTrip checks that m, decoded from some binary, survives
// Encode and Decode, and that encoding is stable. It changes m.
func checkRoundTrip(t testing.TB, m *wasm.Module) {
	t.Helper()
	enc := Encode(m)
	m2, err := Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v", err)
	}
	if enc2 := Encode(m2); !bytes.Equal(enc, enc2) {
		t.Fatalf("Encode(Decode(Encode(m))) differs from Encode(m)")
	}
	if got, want := sectionKinds(m2), sectionKinds(m); !reflect.DeepEqual(got, want) {
		t.Fatalf("sections after a round trip: %v, want %v", got, want)
	}
	if !reflect.DeepEqual(normalize(m2), normalize(m)) {
		t.Fatalf("Decode(Encode(m)) =\n%+v\nwant\n%+v", m2, m)
	}
}

// sectionKinds lists the ids and custom names of m's sections in order.
func sectionKinds(m *wasm.Module) []string {
	var s []string
	for _, info := range m.Sections {
		s = append(s, info.ID.String()+":"+info.Name)
	}
	return s
}

// TestEncode_RoundTripSpec round-trips every binary module of the spec
// test suite that decodes.
func TestEncode_RoundTripSpec(t *testing.T) {
	n := 0
	for _, b := range testshared.SpecModules(t) {
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(data)
		if err != nil {
			continue
		}
		t.Run(b.Filename, func(t *testing.T) { checkRoundTrip(t, m) })
		n++
	}
	t.Logf("%d modules round-tripped", n)
}

// handBuilt is a module with every kind of section and segment, built
// without a binary, as tests of other packages build modules.
func handBuilt() *wasm.Module {
	c := func(code ...byte) wasm.ConstExpr { return wasm.ConstExpr{Code: code} }
	m := &wasm.Module{
		Types: []wasm.FuncType{
			{},
			{Params: []wasm.ValueType{wasm.ValueTypeI32}, Results: []wasm.ValueType{wasm.ValueTypeI32}},
		},
		Imports: []wasm.Import{
			{Module: "env", Name: "f", Kind: wasm.ExternFunc, Func: 1},
			{Module: "env", Name: "t", Kind: wasm.ExternTable, Table: wasm.TableType{ElemType: wasm.ValueTypeExternref, Limits: wasm.Limits{Min: 1}}},
			{Module: "env", Name: "g", Kind: wasm.ExternGlobal, Global: wasm.GlobalType{ValType: wasm.ValueTypeI32}},
		},
		Funcs:    []uint32{0, 1},
		Tables:   []wasm.TableType{{ElemType: wasm.ValueTypeFuncref, Limits: wasm.Limits{Min: 2, Max: 10, HasMax: true}}},
		Memories: []wasm.MemoryType{{Limits: wasm.Limits{Min: 1, Max: 2, HasMax: true}}},
		Globals: []wasm.Global{
			{Type: wasm.GlobalType{ValType: wasm.ValueTypeI64, Mutable: true}, Init: c(0x42, 0x7f, 0x0b)},
		},
		Exports: []wasm.Export{
			{Name: "run", Kind: wasm.ExternFunc, Index: 1},
			{Name: "memory", Kind: wasm.ExternMemory},
		},
		Start:    1,
		HasStart: true,
		Elems: []wasm.ElemSegment{
			{Mode: wasm.SegmentActive, Table: 1, Offset: c(0x41, 0x00, 0x0b), Type: wasm.ValueTypeFuncref, FuncIndices: []uint32{1, 2}},
			{Mode: wasm.SegmentPassive, Type: wasm.ValueTypeFuncref, Exprs: []wasm.ConstExpr{c(0xd2, 0x01, 0x0b), c(0xd0, 0x70, 0x0b)}},
			{Mode: wasm.SegmentDeclarative, Type: wasm.ValueTypeFuncref, FuncIndices: []uint32{2}},
		},
		DataCount:    2,
		HasDataCount: true,
		Codes: []wasm.Code{
			{Body: []byte{0x0b}},
			{Locals: []wasm.LocalGroup{{Count: 2, Type: wasm.ValueTypeI32}}, NumLocals: 2, Body: []byte{
				0x20, 0x00, // local.get 0
				0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x01, 0x00, // memory.init 1
				0x0b,
			}},
		},
		Datas: []wasm.DataSegment{
			{Mode: wasm.SegmentActive, Offset: c(0x41, 0x10, 0x0b), Init: []byte("hello")},
			{Mode: wasm.SegmentPassive, Init: []byte{1, 2, 3}},
		},
		Customs: []wasm.CustomSection{{Name: "producers", Data: []byte{0}}},
		Names: &wasm.NameSection{
			ModuleName: "hand",
			FuncNames:  map[uint32]string{1: "main", 2: "run"},
			LocalNames: map[uint32]map[uint32]string{2: {0: "x", 1: "tmp"}},
		},
	}
	m.IndexImports()
	return m
}

// TestEncode_HandBuilt checks that a module built in Go, with no recorded
// sections, encodes to a binary that decodes back to it, with its names
// encoded into a name section.
func TestEncode_HandBuilt(t *testing.T) {
	want := handBuilt()
	data := Encode(want)
	got, err := Decode(data)
	if err != nil {
		t.Fatalf("Decode(Encode(m)): %v", err)
	}
	wantKinds := []string{"type:", "import:", "function:", "table:", "memory:", "global:", "export:", "start:",
		"element:", "datacount:", "code:", "data:", "custom:producers", "custom:name"}
	if kinds := sectionKinds(got); !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("sections %v, want %v", kinds, wantKinds)
	}
	if len(got.Customs) != 2 {
		t.Fatalf("got %d custom sections, want the producers section and the generated name section", len(got.Customs))
	}
	got.Customs = got.Customs[:1] // the generated name section is not in want
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Errorf("Decode(Encode(m)) =\n%+v\nwant\n%+v", got, want)
	}
	again, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, again)
}

// TestEncode_Layout checks where custom sections and empty sections go.
func TestEncode_Layout(t *testing.T) {
	tests := []struct {
		name string
		m    *wasm.Module
		want []string
	}{
		{"nothing", &wasm.Module{}, nil},
		{"customs without recorded sections go last",
			&wasm.Module{Types: []wasm.FuncType{{}}, Customs: []wasm.CustomSection{{Name: "a"}, {Name: "b"}}},
			[]string{"type:", "custom:a", "custom:b"}},
		{"recorded places are kept; unrecorded sections take their canonical place",
			&wasm.Module{
				Types:    []wasm.FuncType{{}},
				Memories: []wasm.MemoryType{{}},
				Customs:  []wasm.CustomSection{{Name: "a"}, {Name: "b"}, {Name: "c"}},
				Sections: []wasm.SectionInfo{{ID: wasm.SectionCustom}, {ID: wasm.SectionExport}, {ID: wasm.SectionCustom}},
			},
			[]string{"custom:a", "type:", "memory:", "export:", "custom:b", "custom:c"}},
		{"recorded sections out of order are written in order, once",
			&wasm.Module{Sections: []wasm.SectionInfo{{ID: wasm.SectionData}, {ID: wasm.SectionType}, {ID: wasm.SectionData}}},
			[]string{"type:", "data:"}},
		{"a recorded data count section needs HasDataCount",
			&wasm.Module{Sections: []wasm.SectionInfo{{ID: wasm.SectionDataCount}}},
			nil},
		{"names become a name section unless one is there",
			&wasm.Module{Names: &wasm.NameSection{ModuleName: "m"}, Customs: []wasm.CustomSection{{Name: "name"}}},
			[]string{"custom:name"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(Encode(tc.m))
			if err != nil {
				t.Fatal(err)
			}
			if got := sectionKinds(m); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sections %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEncode_WasmValidate checks with wabt's wasm-validate, an independent
// implementation, that Encode writes a valid module.
func TestEncode_WasmValidate(t *testing.T) {
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		t.Skip("wasm-validate (wabt) not installed")
	}
	path := filepath.Join(t.TempDir(), "hand.wasm")
	if err := os.WriteFile(path, Encode(handBuilt()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, path).CombinedOutput(); err != nil {
		t.Errorf("wasm-validate: %v\n%s", err, out)
	}
}
