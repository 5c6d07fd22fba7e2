package wasmvisor

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// InitializerExport is the function a module exports to be
// pre-initialized, as Wizer names it: no parameters, no results.
const InitializerExport = "wizer.initialize"

// InitError is a module that Runtime.PreInitialize could not
// pre-initialize: it has no initializer, it imports what a snapshot
// cannot depend on, its initializer trapped or exited, or it left state
// a snapshot cannot keep. Err is the initializer's *api.Trap or
// *api.ExitError, if it ended so.
type InitError struct {
	Msg string
	Err error
	// Output is the start of what the initializer wrote to its standard
	// output and error, which often says why it failed.
	Output string
}

func (e *InitError) Error() string {
	s := "pre-initializing: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Output != "" {
		s += fmt.Sprintf(" (output: %q)", e.Output)
	}
	return s
}

// Unwrap returns Err.
func (e *InitError) Unwrap() error { return e.Err }

// Snapshot describes the state a pre-initialized module's instances
// start from.
type Snapshot struct {
	// MemoryPages are the sizes of the module's memories, in pages.
	MemoryPages []uint32
	// Stored is the bytes the snapshot keeps: the non-zero 4 KiB pages
	// of its memories.
	Stored uint64
}

// initOutputMax bounds what an InitError keeps of the initializer's
// output.
const initOutputMax = 4096

// PreInitialize takes a snapshot of c after its initialization, as
// Wizer does, and returns a module whose instances start from it: c is
// instantiated once, its start function runs, then its export
// "wizer.initialize" (InitializerExport); the memories and mutable
// globals the module defines are captured then. InstantiateModule of
// the result neither applies data segments nor runs the start function
// again: each memory maps the captured image copy-on-write, so an
// instance starts in the same time whatever its memory's size and pays
// for the pages it writes. cfg.StartFunctions then run as usual.
//
// The initializer may call WASI (registered with package wasip1) and
// nothing else: it runs with no arguments, environment or directories,
// an empty standard input, and its output discarded. What it reads from
// clocks or random_get stays in the snapshot, the same for every
// instance. The module may import functions only: a memory, table or
// global imported could differ between instances. Its initializer must
// leave its tables as instantiation made them (snapshots keep memories
// and globals). Whatever goes wrong is an *InitError; a cancelled ctx
// stops the initializer.
//
// The result shares c's code; closing it releases the snapshot, and
// instances made from it keep working.
func (r *Runtime) PreInitialize(ctx context.Context, c *CompiledModule) (*CompiledModule, error) {
	if c.snap != nil {
		return nil, &InitError{Msg: "module is pre-initialized already"}
	}
	if err := checkInitializable(c.mod); err != nil {
		return nil, err
	}
	out := &boundedWriter{max: initOutputMax}
	var mark store.TableMark
	mod, err := r.instantiate(ctx, c, ModuleConfig{Stdout: out, Stderr: out},
		func(inst *store.Instance) { mark = inst.MarkTables() })
	if err != nil {
		return nil, initFailure("instantiating it failed", err, out)
	}
	mi := mod.(*moduleInstance)
	defer mi.Close(ctx)
	if _, err := mi.ExportedFunction(InitializerExport).Call(ctx); err != nil {
		return nil, initFailure(InitializerExport+" failed", err, out)
	}
	snap, err := mi.inst.Capture(mark)
	if err != nil {
		return nil, &InitError{Msg: err.Error(), Output: string(out.b)}
	}
	pre := *c
	pre.snap = snap
	return &pre, nil
}

// initFailure is the InitError of a step of PreInitialize that failed
// with err.
func initFailure(msg string, err error, out *boundedWriter) error {
	if t, ok := errors.AsType[*api.Trap](err); ok {
		err = t
	} else if e, ok := errors.AsType[*api.ExitError](err); ok {
		err, msg = e, InitializerExport+" exited"
	}
	return &InitError{Msg: msg, Err: err, Output: string(out.b)}
}

// checkInitializable refuses a module PreInitialize cannot snapshot,
// before anything runs.
func checkInitializable(m *wasm.Module) error {
	var init *wasm.Export
	for i := range m.Exports {
		if m.Exports[i].Name == InitializerExport {
			init = &m.Exports[i]
		}
	}
	if init == nil || init.Kind != wasm.ExternFunc {
		return &InitError{Msg: "the module exports no function " + InitializerExport}
	}
	if ft := m.FuncType(init.Index); ft == nil || len(ft.Params) > 0 || len(ft.Results) > 0 {
		return &InitError{Msg: InitializerExport + " must take no parameters and return no results"}
	}
	if err := store.CheckSnapshottable(m); err != nil {
		return &InitError{Msg: err.Error()}
	}
	for _, imp := range m.Imports {
		if imp.Module != wasi.ModuleName {
			return &InitError{Msg: fmt.Sprintf("it imports %q.%q: the initializer may call only %s", imp.Module, imp.Name, wasi.ModuleName)}
		}
	}
	return nil
}

// Snapshot describes the snapshot PreInitialize took, or is nil for a
// module that was not pre-initialized.
func (c *CompiledModule) Snapshot() *Snapshot {
	if c.snap == nil {
		return nil
	}
	return &Snapshot{MemoryPages: c.snap.Pages(), Stored: c.snap.Stored()}
}

// boundedWriter keeps the first max bytes written to it and accepts the
// rest.
type boundedWriter struct {
	b   []byte
	max int
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p[:min(len(p), w.max-len(w.b))]...)
	return len(p), nil
}
