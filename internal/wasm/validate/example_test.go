package validate_test

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

func ExampleModule() {
	// (module (func (result i32) f64.const 0 i32.const 1 i32.add))
	bin := []byte("\x00asm\x01\x00\x00\x00" +
		"\x01\x05\x01\x60\x00\x01\x7f" + // type section: () -> (i32)
		"\x03\x02\x01\x00" + // function section
		"\x0a\x10\x01\x0e\x00\x44\x00\x00\x00\x00\x00\x00\x00\x00\x41\x01\x6a\x0b") // code
	m, err := binary.Decode(bin)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(validate.Module(m, nil))
	// Output: func[0] at offset 0x23 (i32.add): type mismatch: expected i32, got f64
}
