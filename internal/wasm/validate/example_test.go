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

func ExampleOptions_Set() {
	opts := validate.NewOptions()
	if err := opts.Set("max-memory-size=16MiB,deny-import=env.*"); err != nil {
		fmt.Println(err)
		return
	}
	pages, _ := opts.Policy.MaxMemoryPages.Value()
	fmt.Println(pages, opts.Policy.DenyImports)
	fmt.Println(opts.Set("max-memory=1"))
	// Output:
	// 256 [env.*]
	// -W max-memory=1: unknown key "max-memory"; valid keys: max-memory-size, max-table-elements, max-tables, max-memories, max-functions, max-globals, max-imports, max-locals, max-function-size, max-module-size, max-data-segment-size, max-elem-segment-size, allow-import, deny-import, max-wasm-stack, timeout, max-instances, simd, bulk-memory, reference-types, multi-value, sign-extension, saturating-float-to-int, mutable-globals
}
