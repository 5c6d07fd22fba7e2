package wasi_test

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// An engine registers every function of wasi.Functions as a host
// function of module wasi_snapshot_preview1; each call passes the
// guest's memory and the raw parameter slots.
func ExampleFunction_Call() {
	k, err := wasi.New(wasi.Config{Args: []string{"prog", "hello"}})
	if err != nil {
		panic(err)
	}
	defer k.Close()
	mem := make([]byte, 64) // the guest's linear memory

	f := wasi.Lookup("args_sizes_get")
	stack := []uint64{0, 4} // argc_ptr, argv_buf_size_ptr
	if err := f.Call(context.Background(), k, mem, stack); err != nil {
		panic(err) // proc_exit or an interrupted call would end the guest here
	}
	fmt.Println("errno:", wasi.Errno(stack[0]))
	fmt.Println("argc:", binary.LittleEndian.Uint32(mem[0:]), "bytes:", binary.LittleEndian.Uint32(mem[4:]))
	// Output:
	// errno: success
	// argc: 2 bytes: 11
}
