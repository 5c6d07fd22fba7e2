package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

func init() {
	register("inspect", "print a summary of a module's contents", func(args []string) int {
		return inspectMain(args, os.Stdout, os.Stderr)
	})
}

// inspectMain implements `wasmvisor inspect FILE...`: it decodes each file
// (without validating it) and prints what it contains.
func inspectMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor inspect FILE...\n\n"+
			"Decode each WebAssembly binary and print its size, sections, imports, exports,\n"+
			"tables, memories, globals, functions, start function and custom sections.\n")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status, printed := 0, false
	for _, file := range fs.Args() {
		// The default policy's size limit keeps a pipe or device that
		// never ends from being read without bound.
		data, err := launch.ReadModule(file, wasmvisor.DefaultPolicy())
		if err == nil {
			var m *wasm.Module
			if m, err = binary.Decode(data); err == nil {
				if printed {
					fmt.Fprintln(stdout)
				}
				printed = true
				err = printModule(stdout, file, m)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "wasmvisor inspect: %s: %v\n", file, err)
			status = 1
		}
	}
	return status
}

// printModule writes the summary of m, decoded from file, to w.
func printModule(w io.Writer, file string, m *wasm.Module) error {
	p := &printer{w: w, m: m}
	p.printf("%s: %d bytes", file, m.Size)
	if m.Names != nil && m.Names.ModuleName != "" {
		p.printf(", module %q", m.Names.ModuleName)
	}
	p.printf("\n")

	p.printf("\nsections (%d):\n", len(m.Sections))
	names := make([]string, len(m.Sections))
	width := len("name")
	for i, s := range m.Sections {
		names[i] = s.ID.String()
		if s.ID == wasm.SectionCustom {
			names[i] = "custom " + quoteName(s.Name)
		}
		width = max(width, len(names[i]))
	}
	p.printf("  %2s  %-*s  %10s  %10s\n", "id", width, "name", "offset", "size")
	for i, s := range m.Sections {
		p.printf("  %2d  %-*s  %10s  %10d\n", s.ID, width, names[i], fmt.Sprintf("0x%x", s.Offset), s.Size)
	}

	if len(m.Imports) > 0 {
		p.printf("\nimports (%d):\n", len(m.Imports))
		for i := range m.Imports {
			imp := &m.Imports[i]
			p.printf("  %-6s  %s.%s: %s\n", imp.Kind, quoteName(imp.Module), quoteName(imp.Name), p.importType(imp))
		}
	}
	if len(m.Exports) > 0 {
		p.printf("\nexports (%d):\n", len(m.Exports))
		for _, e := range m.Exports {
			p.printf("  %-6s  %s -> %s\n", e.Kind, quoteName(e.Name), p.ref(e.Kind, e.Index))
		}
	}
	if n := m.NumTables(); n > 0 {
		p.printf("\ntables (%d):\n", n)
		for i := range n {
			t, _ := m.TableType(i)
			p.printf("  table %d: %s %s%s\n", i, t.ElemType, t.Limits, p.importedMark(i < uint32(len(m.ImportedTables))))
		}
	}
	if n := m.NumMemories(); n > 0 {
		p.printf("\nmemories (%d):\n", n)
		for i := range n {
			mt, _ := m.MemoryType(i)
			p.printf("  memory %d: %s pages%s\n", i, mt.Limits, p.importedMark(i < uint32(len(m.ImportedMemories))))
		}
	}
	if n := m.NumGlobals(); n > 0 {
		p.printf("\nglobals (%d):\n", n)
		for i := range n {
			gt, _ := m.GlobalType(i)
			p.printf("  global %d: %s", i, globalTypeString(gt))
			if imported := uint32(len(m.ImportedGlobals)); i < imported {
				p.printf("%s\n", p.importedMark(true))
			} else {
				p.printf(" = %s\n", formatConstExpr(m.Globals[i-imported].Init))
			}
		}
	}

	var codeSize int
	for i := range m.Codes {
		codeSize += len(m.Codes[i].Body)
	}
	p.printf("\nfunctions: %d imported, %d defined, %d bytes of code\n", len(m.ImportedFuncs), len(m.Funcs), codeSize)
	if m.HasStart {
		p.printf("start: %s\n", p.ref(wasm.ExternFunc, m.Start))
	}
	if len(m.Elems) > 0 {
		p.printf("element segments: %d\n", len(m.Elems))
	}
	if len(m.Datas) > 0 {
		var dataSize int
		for i := range m.Datas {
			dataSize += len(m.Datas[i].Init)
		}
		p.printf("data segments: %d, %d bytes\n", len(m.Datas), dataSize)
	}

	if len(m.Customs) > 0 {
		p.printf("\ncustom sections (%d):\n", len(m.Customs))
		for _, c := range m.Customs {
			p.printf("  %-20s %8d bytes\n", quoteName(c.Name), len(c.Data))
		}
	}
	return p.err
}

// printer writes formatted text and keeps the first write error.
type printer struct {
	w   io.Writer
	m   *wasm.Module
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) importedMark(imported bool) string {
	if imported {
		return " (imported)"
	}
	return ""
}

// importType describes the type of an import.
func (p *printer) importType(imp *wasm.Import) string {
	switch imp.Kind {
	case wasm.ExternFunc:
		if int64(imp.Func) < int64(len(p.m.Types)) {
			return p.m.Types[imp.Func].String()
		}
		return fmt.Sprintf("type %d (no such type)", imp.Func)
	case wasm.ExternTable:
		return imp.Table.ElemType.String() + " " + imp.Table.Limits.String()
	case wasm.ExternMemory:
		return imp.Memory.Limits.String() + " pages"
	case wasm.ExternGlobal:
		return globalTypeString(imp.Global)
	}
	return imp.Kind.String()
}

// ref names an entity of a kind by index, with its function name when
// the name section gives one.
func (p *printer) ref(kind wasm.ExternKind, idx uint32) string {
	s := fmt.Sprintf("%s %d", kind, idx)
	if kind == wasm.ExternFunc {
		if name := p.m.FuncName(idx); name != "" {
			s += " " + quoteName(name)
		}
	}
	return s
}

func globalTypeString(t wasm.GlobalType) string {
	if t.Mutable {
		return "mut " + t.ValType.String()
	}
	return t.ValType.String()
}

// quoteName prints a name as is when it is plain, quoted otherwise.
func quoteName(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '.' || r > '~' }) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// formatConstExpr renders a constant expression in text-format syntax,
// without its final end, e.g. "i32.const 1048576".
func formatConstExpr(c wasm.ConstExpr) string {
	rd := wasm.NewReader(c.Code, c.Offset)
	var in wasm.Instr
	var parts []string
	for !rd.EOF() {
		if err := rd.Next(&in); err != nil {
			return fmt.Sprintf("(malformed: %v)", err)
		}
		if in.Op == wasm.OpEnd && rd.EOF() {
			break
		}
		parts = append(parts, formatInstr(&in))
	}
	return strings.Join(parts, "; ")
}

// formatInstr renders an instruction with the immediates that constant
// expressions use; other instructions are shown by name.
func formatInstr(in *wasm.Instr) string {
	name := in.Op.String()
	switch in.Op.Imm() {
	case wasm.ImmI32:
		return fmt.Sprintf("%s %d", name, int32(in.Value))
	case wasm.ImmI64:
		return fmt.Sprintf("%s %d", name, int64(in.Value))
	case wasm.ImmF32:
		return fmt.Sprintf("%s %v", name, math.Float32frombits(uint32(in.Value)))
	case wasm.ImmF64:
		return fmt.Sprintf("%s %v", name, math.Float64frombits(in.Value))
	case wasm.ImmV128:
		return fmt.Sprintf("%s i8x16 % x", name, in.V128[:])
	case wasm.ImmGlobal, wasm.ImmFunc:
		return fmt.Sprintf("%s %d", name, in.Index)
	case wasm.ImmRefType:
		return fmt.Sprintf("%s %s", name, strings.TrimSuffix(in.RefType.String(), "ref"))
	}
	return name
}
