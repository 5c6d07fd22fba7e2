// Package engine is the seam between the runtime and its execution
// tiers: the interpreter (package interp) and the machine-code compiler
// (package amd64). A Runtime uses one Engine for every module it
// compiles and every call it makes; the store holds each function's
// prepared code as a store.Code, which names the engine that made it.
//
// The life of a module with an engine:
//
//	mod, err := e.Compile(m)                          // once per module
//	inst, err := st.Instantiate(m, name, mod.Codes(), lim)
//	err = e.Instantiated(inst)                        // per instance, before any of its code runs
//	err = e.Call(ctx, inst.Funcs[i], stack)           // any number of times
package engine
