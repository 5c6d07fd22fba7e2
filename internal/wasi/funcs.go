package wasi

import (
	"context"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// ModuleName is the import module the functions are served under.
const ModuleName = "wasi_snapshot_preview1"

// Function is one WASI function: its import name, its Wasm type, and its
// implementation.
type Function struct {
	Name string
	Type wasm.FuncType
	impl handler
}

// handler implements a function. p holds the parameters as raw values
// (an i32 in the low 32 bits). It returns the errno to report, or an
// error that ends the guest instead.
type handler func(k *Kernel, ctx context.Context, m Memory, p []uint64) (Errno, error)

// Call runs f on behalf of the guest that k serves. mem is the guest's
// linear memory (nil if it has none) and must stay in place until Call
// returns. stack holds the parameters on entry, as raw values, and
// receives the errno in stack[0] if f has a result; it must have room
// for both.
//
// Call returns nil after every call that produced an errno, successful
// or not. It returns an *ExitError from proc_exit, the context's cause
// when ctx ended a blocking call, and any other error only for a bug in
// the kernel; in each of these cases the guest must not continue.
func (f *Function) Call(ctx context.Context, k *Kernel, mem []byte, stack []uint64) (err error) {
	if len(stack) < len(f.Type.Params) || len(stack) < len(f.Type.Results) {
		return fmt.Errorf("wasi %s: stack of %d values for a %v", f.Name, len(stack), f.Type)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wasi %s: internal error: %v", f.Name, r)
		}
	}()
	params := stack[:len(f.Type.Params)]
	// Engines may leave garbage above an i32 in its slot.
	for i, t := range f.Type.Params {
		if t == wasm.ValueTypeI32 {
			params[i] = uint64(uint32(params[i]))
		}
	}
	errno, err := f.impl(k, ctx, Memory(mem), params)
	if err != nil {
		return err
	}
	if len(f.Type.Results) > 0 {
		stack[0] = uint64(errno)
	}
	return nil
}

// Lookup returns the function named name, or nil.
func Lookup(name string) *Function {
	for i := range Functions {
		if Functions[i].Name == name {
			return &Functions[i]
		}
	}
	return nil
}

// sig builds a function type from a letter per parameter: 'i' for i32,
// 'I' for i64. Every function but proc_exit returns an i32 errno.
func sig(params string, result bool) wasm.FuncType {
	var t wasm.FuncType
	for _, c := range params {
		if c == 'I' {
			t.Params = append(t.Params, wasm.ValueTypeI64)
		} else {
			t.Params = append(t.Params, wasm.ValueTypeI32)
		}
	}
	if result {
		t.Results = []wasm.ValueType{wasm.ValueTypeI32}
	}
	return t
}

// Functions is every function of wasi_snapshot_preview1, in the order of
// the witx file, ready to be registered as host functions in one loop.
var Functions = [...]Function{
	{"args_get", sig("ii", true), argsGet},
	{"args_sizes_get", sig("ii", true), argsSizesGet},
	{"environ_get", sig("ii", true), environGet},
	{"environ_sizes_get", sig("ii", true), environSizesGet},
	{"clock_res_get", sig("ii", true), clockResGet},
	{"clock_time_get", sig("iIi", true), clockTimeGet},
	{"fd_advise", sig("iIIi", true), fdAdvise},
	{"fd_allocate", sig("iII", true), fdAllocate},
	{"fd_close", sig("i", true), fdClose},
	{"fd_datasync", sig("i", true), fdDatasync},
	{"fd_fdstat_get", sig("ii", true), fdFdstatGet},
	{"fd_fdstat_set_flags", sig("ii", true), fdFdstatSetFlags},
	{"fd_fdstat_set_rights", sig("iII", true), fdFdstatSetRights},
	{"fd_filestat_get", sig("ii", true), fdFilestatGet},
	{"fd_filestat_set_size", sig("iI", true), fdFilestatSetSize},
	{"fd_filestat_set_times", sig("iIIi", true), fdFilestatSetTimes},
	{"fd_pread", sig("iiiIi", true), fdPread},
	{"fd_prestat_get", sig("ii", true), fdPrestatGet},
	{"fd_prestat_dir_name", sig("iii", true), fdPrestatDirName},
	{"fd_pwrite", sig("iiiIi", true), fdPwrite},
	{"fd_read", sig("iiii", true), fdRead},
	{"fd_readdir", sig("iiiIi", true), fdReaddir},
	{"fd_renumber", sig("ii", true), fdRenumber},
	{"fd_seek", sig("iIii", true), fdSeek},
	{"fd_sync", sig("i", true), fdSync},
	{"fd_tell", sig("ii", true), fdTell},
	{"fd_write", sig("iiii", true), fdWrite},
	{"path_create_directory", sig("iii", true), pathCreateDirectory},
	{"path_filestat_get", sig("iiiii", true), pathFilestatGet},
	{"path_filestat_set_times", sig("iiiiIIi", true), pathFilestatSetTimes},
	{"path_link", sig("iiiiiii", true), pathLink},
	{"path_open", sig("iiiiiIIii", true), pathOpen},
	{"path_readlink", sig("iiiiii", true), pathReadlink},
	{"path_remove_directory", sig("iii", true), pathRemoveDirectory},
	{"path_rename", sig("iiiiii", true), pathRename},
	{"path_symlink", sig("iiiii", true), pathSymlink},
	{"path_unlink_file", sig("iii", true), pathUnlinkFile},
	{"poll_oneoff", sig("iiii", true), pollOneoff},
	{"proc_exit", sig("i", false), procExit},
	{"proc_raise", sig("i", true), procRaise},
	{"sched_yield", sig("", true), schedYield},
	{"random_get", sig("ii", true), randomGet},
	{"sock_accept", sig("iii", true), sockAccept},
	{"sock_recv", sig("iiiiii", true), sockRecv},
	{"sock_send", sig("iiiii", true), sockSend},
	{"sock_shutdown", sig("ii", true), sockShutdown},
}
