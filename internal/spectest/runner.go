package spectest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// Failure is one command that did not behave as the script expects.
type Failure struct {
	File    string // the .wast script
	Line    int
	Command string // the command type, e.g. assert_return
	Msg     string // what was expected and what happened
}

func (f Failure) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", f.File, f.Line, f.Command, f.Msg)
}

// Result counts the commands of one or more scripts.
type Result struct {
	Passed, Failed, Skipped int
	Failures                []Failure
}

// Add accumulates o into r.
func (r *Result) Add(o Result) {
	r.Passed += o.Passed
	r.Failed += o.Failed
	r.Skipped += o.Skipped
	r.Failures = append(r.Failures, o.Failures...)
}

// CommandTimeout bounds every action and instantiation, so that an engine
// bug that loops shows as a failure instead of a hung run.
const CommandTimeout = 60 * time.Second

// RunFile runs one wast2json script (NAME.json, whose modules are beside
// it) in a Runtime of the default configuration. An error means the
// script itself could not be read.
func RunFile(ctx context.Context, path string) (Result, error) {
	return RunFileWith(ctx, path, wasmvisor.RuntimeConfig{})
}

// RunFileWith is RunFile in a Runtime configured by cfg, such as one of
// another tier.
func RunFileWith(ctx context.Context, path string, cfg wasmvisor.RuntimeConfig) (Result, error) {
	s, err := readScript(path)
	if err != nil {
		return Result{}, err
	}
	file := s.SourceFilename
	if file == "" {
		file = filepath.Base(path)
	}
	rn := &runner{dir: filepath.Dir(path), file: file, named: map[string]api.Module{}}
	rn.r = wasmvisor.NewRuntime(ctx, cfg)
	defer rn.r.Close(ctx)
	if err := instantiateSpectest(ctx, rn.r); err != nil {
		return Result{}, fmt.Errorf("%s: %w", path, err)
	}
	for i := range s.Commands {
		rn.run(ctx, &s.Commands[i])
	}
	return rn.res, nil
}

type runner struct {
	dir, file string
	r         *wasmvisor.Runtime
	current   api.Module
	named     map[string]api.Module
	res       Result
}

func (rn *runner) fail(c *command, format string, args ...any) {
	rn.res.Failed++
	rn.res.Failures = append(rn.res.Failures, Failure{File: rn.file, Line: c.Line, Command: c.Type,
		Msg: fmt.Sprintf(format, args...)})
}

func (rn *runner) run(ctx context.Context, c *command) {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	switch c.Type {
	case "module":
		cm, err := rn.compile(ctx, c.Filename)
		if err != nil {
			rn.current = nil
			rn.fail(c, "module %s: %v", c.Filename, err)
			return
		}
		mod, err := rn.r.InstantiateModule(ctx, cm, wasmvisor.ModuleConfig{})
		if err != nil {
			rn.current = nil
			rn.fail(c, "module %s: %v", c.Filename, err)
			return
		}
		rn.current = mod
		if c.Name != "" {
			rn.named[c.Name] = mod
		}
		rn.res.Passed++
	case "register":
		mod := rn.module(c.Name)
		if mod == nil {
			rn.fail(c, "no module %q to register", c.Name)
			return
		}
		if err := rn.r.RegisterModule(c.As, mod); err != nil {
			rn.fail(c, "%v", err)
			return
		}
		rn.res.Passed++
	case "action":
		if _, err := rn.do(ctx, c.Action); err != nil {
			rn.fail(c, "%s: %v", c.Action.Field, err)
			return
		}
		rn.res.Passed++
	case "assert_return":
		rn.assertReturn(ctx, c)
	case "assert_trap", "assert_exhaustion":
		_, err := rn.do(ctx, c.Action)
		var trap *api.Trap
		switch {
		case err == nil:
			rn.fail(c, "%s: expected trap %q, got success", c.Action.Field, c.Text)
		case !errors.As(err, &trap):
			rn.fail(c, "%s: expected trap %q, got error: %v", c.Action.Field, c.Text, err)
		case !trapMatches(trap, c.Text):
			rn.fail(c, "%s: expected trap %q, got: %v", c.Action.Field, c.Text, firstLine(err))
		default:
			rn.res.Passed++
		}
	case "assert_invalid", "assert_malformed":
		if c.ModuleType == "text" {
			rn.res.Skipped++
			return
		}
		_, err := rn.compile(ctx, c.Filename)
		if c.Type == "assert_invalid" {
			err = rn.restoreDataCount(c.Filename, err)
		}
		switch {
		case err == nil:
			rn.fail(c, "%s: expected %q, module compiled", c.Filename, c.Text)
		case !strings.Contains(err.Error(), c.Text):
			rn.fail(c, "%s: expected %q, got: %v", c.Filename, c.Text, err)
		default:
			rn.res.Passed++
		}
	case "assert_unlinkable", "assert_uninstantiable":
		cm, err := rn.compile(ctx, c.Filename)
		if err != nil {
			rn.fail(c, "%s: expected %q, module did not compile: %v", c.Filename, c.Text, err)
			return
		}
		mod, err := rn.r.InstantiateModule(ctx, cm, wasmvisor.ModuleConfig{})
		var trap *api.Trap
		switch {
		case err == nil:
			mod.Close(ctx)
			rn.fail(c, "%s: expected %q, module instantiated", c.Filename, c.Text)
		case c.Type == "assert_uninstantiable" && !errors.As(err, &trap):
			rn.fail(c, "%s: expected trap %q, got: %v", c.Filename, c.Text, err)
		case trap != nil && !trapMatches(trap, c.Text), trap == nil && !strings.Contains(err.Error(), c.Text):
			rn.fail(c, "%s: expected %q, got: %v", c.Filename, c.Text, firstLine(err))
		default:
			rn.res.Passed++
		}
	default:
		rn.fail(c, "unknown command type")
	}
}

// trapMatches reports whether trap is the one the script expects. The
// reference interpreter sometimes appends details ("uninitialized element
// 2"), so the spec's wording of the kind at the start of the expected
// text is enough.
func trapMatches(trap *api.Trap, text string) bool {
	return strings.Contains(trap.Error(), text) || strings.HasPrefix(text, trap.Kind.String())
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (rn *runner) compile(ctx context.Context, filename string) (*wasmvisor.CompiledModule, error) {
	bin, err := os.ReadFile(filepath.Join(rn.dir, filename))
	if err != nil {
		return nil, err
	}
	return rn.r.CompileModule(ctx, bin)
}

// restoreDataCount re-validates a module that failed only because it has
// no data-count section. wast2json writes that section only when a module
// has data segments, so a text-format module that is invalid because
// data.drop or memory.init names a segment that does not exist becomes,
// in binary, malformed ("data count section required") before it can be
// invalid. Adding back the section the text module implies checks the
// rule the script is about. Any other error is returned unchanged.
func (rn *runner) restoreDataCount(filename string, err error) error {
	var fe *wasmvisor.FormatError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "data count section required") {
		return err
	}
	bin, rerr := os.ReadFile(filepath.Join(rn.dir, filename))
	if rerr != nil {
		return err
	}
	m, derr := binary.Decode(bin)
	if derr != nil || m.HasDataCount {
		return err
	}
	m.HasDataCount, m.DataCount = true, uint32(len(m.Datas))
	if verr := validate.Module(m, nil); verr != nil {
		return verr
	}
	return err
}

func (rn *runner) module(name string) api.Module {
	if name == "" {
		return rn.current
	}
	return rn.named[name]
}

// do performs an action and returns its results' slots.
func (rn *runner) do(ctx context.Context, a *action) ([]uint64, error) {
	if a == nil {
		return nil, errors.New("command has no action")
	}
	mod := rn.module(a.Module)
	if mod == nil {
		return nil, fmt.Errorf("no module %q", a.Module)
	}
	switch a.Type {
	case "invoke":
		f := mod.ExportedFunction(a.Field)
		if f == nil {
			return nil, fmt.Errorf("no exported function %q", a.Field)
		}
		var args []uint64
		for _, v := range a.Args {
			s, err := encode(v)
			if err != nil {
				return nil, err
			}
			args = append(args, s...)
		}
		return f.Call(ctx, args...)
	case "get":
		g := mod.ExportedGlobal(a.Field)
		if g == nil {
			return nil, fmt.Errorf("no exported global %q", a.Field)
		}
		lo, hi := g.GetV128()
		return []uint64{lo, hi}, nil
	}
	return nil, fmt.Errorf("unknown action type %q", a.Type)
}

func (rn *runner) assertReturn(ctx context.Context, c *command) {
	got, err := rn.do(ctx, c.Action)
	if err != nil {
		rn.fail(c, "%s: %v", c.Action.Field, firstLine(err))
		return
	}
	var exp, have []string
	ok := true
	i := 0
	for _, e := range c.Expected {
		n := slots(e.Type)
		if i+n > len(got) {
			rn.fail(c, "%s: expected %d results, got %d slots", c.Action.Field, len(c.Expected), len(got))
			return
		}
		m, err := match(e, got[i:i+n])
		if err != nil {
			rn.fail(c, "%s: %v", c.Action.Field, err)
			return
		}
		ok = ok && m
		exp = append(exp, formatExpected(e))
		have = append(have, format(e.Type, e.LaneType, got[i:i+n]))
		i += n
	}
	if c.Action.Type == "invoke" && i != len(got) {
		rn.fail(c, "%s: expected %d result slots, got %d", c.Action.Field, i, len(got))
		return
	}
	if !ok {
		rn.fail(c, "%s: expected %s, got %s", c.Action.Field, strings.Join(exp, " "), strings.Join(have, " "))
		return
	}
	rn.res.Passed++
}

// instantiateSpectest instantiates the "spectest" module the scripts
// import: print functions that do nothing, globals of 666, a table of
// 10..20 funcref and a memory of 1..2 pages.
func instantiateSpectest(ctx context.Context, r *wasmvisor.Runtime) error {
	nop := func(context.Context, api.Module, []uint64) error { return nil }
	b := r.NewHostModuleBuilder("spectest")
	for _, f := range []struct {
		name   string
		params []api.ValueType
	}{
		{"print", nil},
		{"print_i32", []api.ValueType{api.ValueTypeI32}},
		{"print_i64", []api.ValueType{api.ValueTypeI64}},
		{"print_f32", []api.ValueType{api.ValueTypeF32}},
		{"print_f64", []api.ValueType{api.ValueTypeF64}},
		{"print_i32_f32", []api.ValueType{api.ValueTypeI32, api.ValueTypeF32}},
		{"print_f64_f64", []api.ValueType{api.ValueTypeF64, api.ValueTypeF64}},
	} {
		b.NewFunctionBuilder().WithGoModuleFunction(nop, f.params, nil).Export(f.name)
	}
	b.ExportGlobal("global_i32", api.ValueTypeI32, 666, false)
	b.ExportGlobal("global_i64", api.ValueTypeI64, 666, false)
	b.ExportGlobal("global_f32", api.ValueTypeF32, api.EncodeF32(666.6), false)
	b.ExportGlobal("global_f64", api.ValueTypeF64, math.Float64bits(666.6), false)
	b.ExportTableWithMax("table", api.ValueTypeFuncref, 10, 20)
	b.ExportMemoryWithMax("memory", 1, 2)
	_, err := b.Instantiate(ctx)
	return err
}
