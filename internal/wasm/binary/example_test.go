package binary_test

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
)

func ExampleDecode() {
	data := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x05\x01\x60\x00\x01\x7f" + // type section: [] -> [i32]
		"\x03\x02\x01\x00" + // function section: one function of type 0
		"\x07\x08\x01\x04main\x00\x00" + // export section: "main" is function 0
		"\x0a\x06\x01\x04\x00\x41\x2a\x0b") // code section: i32.const 42; end
	m, err := binary.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := m.ExportByName("main")
	fmt.Println(e.Kind, e.Index, m.FuncType(e.Index), m.Codes[0].Body)

	_, err = binary.Decode(data[:len(data)-1])
	fmt.Println(err)
	// Output:
	// func 0 () -> (i32) [65 42 11]
	// section 10 (code): function 0: body: unexpected end of section or function (at offset 0x24)
}

func ExampleEncode() {
	m := &wasm.Module{
		Types:   []wasm.FuncType{{}},
		Funcs:   []uint32{0},
		Exports: []wasm.Export{{Name: "_start", Kind: wasm.ExternFunc}},
		Codes:   []wasm.Code{{Body: []byte{0x0b}}},
	}
	fmt.Printf("% x\n", binary.Encode(m))
	// Output:
	// 00 61 73 6d 01 00 00 00 01 04 01 60 00 00 03 02 01 00 07 0a 01 06 5f 73 74 61 72 74 00 00 0a 04 01 02 00 0b
}
