package wasm

import "fmt"

// ValueType is a value type as encoded in the binary format.
// See https://www.w3.org/TR/wasm-core-2/#value-types%E2%91%A2
type ValueType byte

const (
	ValueTypeI32       ValueType = 0x7f
	ValueTypeI64       ValueType = 0x7e
	ValueTypeF32       ValueType = 0x7d
	ValueTypeF64       ValueType = 0x7c
	ValueTypeV128      ValueType = 0x7b
	ValueTypeFuncref   ValueType = 0x70
	ValueTypeExternref ValueType = 0x6f
)

// String returns the text-format name of the type.
func (t ValueType) String() string {
	switch t {
	case ValueTypeI32:
		return "i32"
	case ValueTypeI64:
		return "i64"
	case ValueTypeF32:
		return "f32"
	case ValueTypeF64:
		return "f64"
	case ValueTypeV128:
		return "v128"
	case ValueTypeFuncref:
		return "funcref"
	case ValueTypeExternref:
		return "externref"
	}
	return fmt.Sprintf("valtype(0x%02x)", byte(t))
}

// IsRef reports whether t is a reference type.
func (t ValueType) IsRef() bool { return t == ValueTypeFuncref || t == ValueTypeExternref }

// Valid reports whether t is one of the seven value types of Wasm 2.0.
func (t ValueType) Valid() bool {
	switch t {
	case ValueTypeI32, ValueTypeI64, ValueTypeF32, ValueTypeF64, ValueTypeV128,
		ValueTypeFuncref, ValueTypeExternref:
		return true
	}
	return false
}

// Slots is the number of 64-bit value slots a value of type t occupies in
// the engines' flat value representation: two for v128, one otherwise.
func (t ValueType) Slots() int {
	if t == ValueTypeV128 {
		return 2
	}
	return 1
}

// FuncType is a function signature.
// See https://www.w3.org/TR/wasm-core-2/#function-types%E2%91%A0
type FuncType struct {
	Params  []ValueType
	Results []ValueType
}

// Equal reports whether two function types are the same (type equivalence
// is structural in Wasm 2.0).
func (f *FuncType) Equal(o *FuncType) bool {
	if len(f.Params) != len(o.Params) || len(f.Results) != len(o.Results) {
		return false
	}
	for i, p := range f.Params {
		if o.Params[i] != p {
			return false
		}
	}
	for i, r := range f.Results {
		if o.Results[i] != r {
			return false
		}
	}
	return true
}

// String formats the type as in the text format, e.g. "(i32, i64) -> (f32)".
func (f *FuncType) String() string {
	return "(" + joinTypes(f.Params) + ") -> (" + joinTypes(f.Results) + ")"
}

func joinTypes(ts []ValueType) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += t.String()
	}
	return s
}

// Limits bound the size of a memory (in 64 KiB pages) or a table (in
// elements). See https://www.w3.org/TR/wasm-core-2/#limits%E2%91%A0
type Limits struct {
	Min    uint32
	Max    uint32 // meaningful only when HasMax
	HasMax bool
}

// String formats limits as "min..max" or "min..".
func (l Limits) String() string {
	if l.HasMax {
		return fmt.Sprintf("%d..%d", l.Min, l.Max)
	}
	return fmt.Sprintf("%d..", l.Min)
}

// MemoryPageSize is the size of a linear-memory page.
const MemoryPageSize = 65536

// MemoryMaxPages is the largest number of pages a 32-bit memory can have.
const MemoryMaxPages = 65536

// MemoryType is the type of a linear memory, in pages.
type MemoryType struct {
	Limits
}

// TableType is the type of a table.
type TableType struct {
	ElemType ValueType // ValueTypeFuncref or ValueTypeExternref
	Limits
}

// GlobalType is the type of a global variable.
type GlobalType struct {
	ValType ValueType
	Mutable bool
}

// ExternKind says what an import or export refers to.
type ExternKind byte

const (
	ExternFunc   ExternKind = 0x00
	ExternTable  ExternKind = 0x01
	ExternMemory ExternKind = 0x02
	ExternGlobal ExternKind = 0x03
)

// String returns the text-format keyword of the kind.
func (k ExternKind) String() string {
	switch k {
	case ExternFunc:
		return "func"
	case ExternTable:
		return "table"
	case ExternMemory:
		return "memory"
	case ExternGlobal:
		return "global"
	}
	return fmt.Sprintf("externkind(0x%02x)", byte(k))
}

// Import is one entry of the import section. Exactly one of the type
// fields is meaningful, chosen by Kind.
type Import struct {
	Module string
	Name   string
	Kind   ExternKind
	Func   uint32 // type index, for ExternFunc
	Table  TableType
	Memory MemoryType
	Global GlobalType
	// Offset is the byte offset of the entry in the module binary.
	Offset uint64
}

// Export is one entry of the export section.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// ConstExpr is an initializer expression (global initial values, segment
// offsets, element expressions). It is kept as its raw instruction bytes,
// including the final `end`, because whether it is a constant expression
// at all is a validation question, not a decoding one.
type ConstExpr struct {
	Code   []byte
	Offset uint64 // byte offset of Code in the module binary
}

// Global is a module-defined global.
type Global struct {
	Type GlobalType
	Init ConstExpr
}

// SegmentMode says when an element or data segment is applied.
type SegmentMode byte

const (
	SegmentActive SegmentMode = iota
	SegmentPassive
	SegmentDeclarative // element segments only
)

// ElemSegment is an element segment. Formats 0–3 of the binary encoding
// list function indices (FuncIndices); formats 4–7 list expressions
// (Exprs). Exactly one of the two is used; Len reports the element count.
// See https://www.w3.org/TR/wasm-core-2/#element-section%E2%91%A0
type ElemSegment struct {
	Mode        SegmentMode
	Table       uint32    // for SegmentActive
	Offset      ConstExpr // for SegmentActive
	Type        ValueType // element reference type
	FuncIndices []uint32
	Exprs       []ConstExpr
}

// Len is the number of elements in the segment.
func (e *ElemSegment) Len() int {
	if e.Exprs != nil {
		return len(e.Exprs)
	}
	return len(e.FuncIndices)
}

// DataSegment is a data segment.
type DataSegment struct {
	Mode   SegmentMode
	Memory uint32    // for SegmentActive
	Offset ConstExpr // for SegmentActive
	Init   []byte
}

// LocalGroup is a run of locals of one type, as the binary format declares
// them. Groups are kept compressed: expanding a hostile module's locals
// before the policy has checked their count could allocate gigabytes.
type LocalGroup struct {
	Count uint32
	Type  ValueType
}

// Code is the body of a module-defined function.
type Code struct {
	Locals    []LocalGroup
	NumLocals uint64 // sum of the group counts (declared locals, without params)
	// Body is the instruction sequence, ending with the function's `end`.
	Body []byte
	// BodyOffset is the byte offset of Body in the module binary, so that
	// errors and traps can point at an instruction's module offset.
	BodyOffset uint64
}

// CustomSection is a custom section, kept verbatim.
type CustomSection struct {
	Name   string
	Data   []byte
	Offset uint64 // offset of the section's payload in the module binary
}

// NameSection is the decoded "name" custom section.
// See https://www.w3.org/TR/wasm-core-2/#name-section%E2%91%A0
type NameSection struct {
	ModuleName string
	FuncNames  map[uint32]string
	LocalNames map[uint32]map[uint32]string
}

// SectionID identifies a section of the binary format.
type SectionID byte

const (
	SectionCustom    SectionID = 0
	SectionType      SectionID = 1
	SectionImport    SectionID = 2
	SectionFunction  SectionID = 3
	SectionTable     SectionID = 4
	SectionMemory    SectionID = 5
	SectionGlobal    SectionID = 6
	SectionExport    SectionID = 7
	SectionStart     SectionID = 8
	SectionElement   SectionID = 9
	SectionCode      SectionID = 10
	SectionData      SectionID = 11
	SectionDataCount SectionID = 12
)

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory",
	"global", "export", "start", "element", "code", "data", "datacount"}

// String returns the section's name as the spec writes it.
func (id SectionID) String() string {
	if int(id) < len(sectionNames) {
		return sectionNames[id]
	}
	return fmt.Sprintf("section(%d)", byte(id))
}

// SectionInfo records where a section was in the binary, for `inspect`.
type SectionInfo struct {
	ID     SectionID
	Name   string // custom sections only
	Offset uint64 // offset of the section id byte
	Size   uint32 // payload size
}

// Module is a decoded WebAssembly module. Index spaces (functions, tables,
// memories, globals) count imports first, then definitions, as the spec does.
type Module struct {
	Types     []FuncType
	Imports   []Import
	Funcs     []uint32 // type index of each module-defined function
	Tables    []TableType
	Memories  []MemoryType
	Globals   []Global
	Exports   []Export
	Start     uint32 // function index, meaningful when HasStart
	HasStart  bool
	Elems     []ElemSegment
	DataCount uint32 // meaningful when HasDataCount
	// HasDataCount reports whether the data-count section was present; the
	// validator needs it for memory.init and data.drop.
	HasDataCount bool
	Codes        []Code
	Datas        []DataSegment
	Customs      []CustomSection
	Names        *NameSection // nil when absent or malformed
	Sections     []SectionInfo

	// Per-kind views of Imports, in index-space order, filled by whoever
	// builds the module (the decoder, or Module.IndexImports for modules
	// built by hand). Index spaces start with these.
	ImportedFuncs    []uint32 // type index of each imported function
	ImportedTables   []TableType
	ImportedMemories []MemoryType
	ImportedGlobals  []GlobalType

	// Size is the length of the binary the module was decoded from.
	Size uint64
}

// IndexImports fills the per-kind import views from Imports.
func (m *Module) IndexImports() {
	m.ImportedFuncs, m.ImportedTables, m.ImportedMemories, m.ImportedGlobals = nil, nil, nil, nil
	for i := range m.Imports {
		imp := &m.Imports[i]
		switch imp.Kind {
		case ExternFunc:
			m.ImportedFuncs = append(m.ImportedFuncs, imp.Func)
		case ExternTable:
			m.ImportedTables = append(m.ImportedTables, imp.Table)
		case ExternMemory:
			m.ImportedMemories = append(m.ImportedMemories, imp.Memory)
		case ExternGlobal:
			m.ImportedGlobals = append(m.ImportedGlobals, imp.Global)
		}
	}
}

// NumImportedFuncs is the number of imported functions.
func (m *Module) NumImportedFuncs() uint32 { return uint32(len(m.ImportedFuncs)) }

// NumFuncs is the size of the function index space.
func (m *Module) NumFuncs() uint32 { return uint32(len(m.ImportedFuncs) + len(m.Funcs)) }

// NumTables is the size of the table index space.
func (m *Module) NumTables() uint32 { return uint32(len(m.ImportedTables) + len(m.Tables)) }

// NumMemories is the size of the memory index space.
func (m *Module) NumMemories() uint32 { return uint32(len(m.ImportedMemories) + len(m.Memories)) }

// NumGlobals is the size of the global index space.
func (m *Module) NumGlobals() uint32 { return uint32(len(m.ImportedGlobals) + len(m.Globals)) }

// FuncTypeIndex returns the type index of function idx (imported or
// defined). ok is false when idx is out of range.
func (m *Module) FuncTypeIndex(idx uint32) (typeIdx uint32, ok bool) {
	n := uint32(len(m.ImportedFuncs))
	if idx < n {
		return m.ImportedFuncs[idx], true
	}
	idx -= n
	if idx >= uint32(len(m.Funcs)) {
		return 0, false
	}
	return m.Funcs[idx], true
}

// FuncType returns the signature of function idx, or nil when idx or its
// type index is out of range.
func (m *Module) FuncType(idx uint32) *FuncType {
	ti, ok := m.FuncTypeIndex(idx)
	if !ok || ti >= uint32(len(m.Types)) {
		return nil
	}
	return &m.Types[ti]
}

// TableType returns the type of table idx (imported or defined).
func (m *Module) TableType(idx uint32) (TableType, bool) {
	n := uint32(len(m.ImportedTables))
	if idx < n {
		return m.ImportedTables[idx], true
	}
	idx -= n
	if idx >= uint32(len(m.Tables)) {
		return TableType{}, false
	}
	return m.Tables[idx], true
}

// MemoryType returns the type of memory idx (imported or defined).
func (m *Module) MemoryType(idx uint32) (MemoryType, bool) {
	n := uint32(len(m.ImportedMemories))
	if idx < n {
		return m.ImportedMemories[idx], true
	}
	idx -= n
	if idx >= uint32(len(m.Memories)) {
		return MemoryType{}, false
	}
	return m.Memories[idx], true
}

// GlobalType returns the type of global idx (imported or defined).
func (m *Module) GlobalType(idx uint32) (GlobalType, bool) {
	n := uint32(len(m.ImportedGlobals))
	if idx < n {
		return m.ImportedGlobals[idx], true
	}
	idx -= n
	if idx >= uint32(len(m.Globals)) {
		return GlobalType{}, false
	}
	return m.Globals[idx].Type, true
}

// FuncName returns the name-section name of function idx, or "".
func (m *Module) FuncName(idx uint32) string {
	if m.Names == nil {
		return ""
	}
	return m.Names.FuncNames[idx]
}

// ExportByName returns the export with the given name, or nil.
func (m *Module) ExportByName(name string) *Export {
	for i := range m.Exports {
		if m.Exports[i].Name == name {
			return &m.Exports[i]
		}
	}
	return nil
}
