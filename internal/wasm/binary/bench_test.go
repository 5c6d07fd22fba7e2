package binary

import (
	"fmt"
	"os"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/testshared"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// largeModule builds a module of about size bytes shaped like compiled
// code: many functions with a few local groups, exports and names.
func largeModule(size int) []byte {
	const bodyLen = 200
	n := size / (bodyLen + 10)
	body := make([]byte, 0, bodyLen)
	for len(body) < bodyLen-3 {
		body = append(body, 0x20, 0x00, 0x41, 0x2a, 0x6a, 0x21, 0x01) // local.get 0; i32.const 42; i32.add; local.set 1
	}
	body = append(body, 0x0b)
	m := &wasm.Module{
		Types:   []wasm.FuncType{{Params: []wasm.ValueType{wasm.ValueTypeI32}, Results: []wasm.ValueType{wasm.ValueTypeI32}}},
		Imports: []wasm.Import{{Module: "wasi_snapshot_preview1", Name: "fd_write", Kind: wasm.ExternFunc}},
		Names:   &wasm.NameSection{FuncNames: map[uint32]string{}},
	}
	for i := range n {
		m.Funcs = append(m.Funcs, 0)
		m.Codes = append(m.Codes, wasm.Code{
			Locals: []wasm.LocalGroup{{Count: 3, Type: wasm.ValueTypeI32}, {Count: 1, Type: wasm.ValueTypeI64}},
			Body:   body,
		})
		if i%10 == 0 {
			m.Exports = append(m.Exports, wasm.Export{Name: fmt.Sprintf("f%d", i), Kind: wasm.ExternFunc, Index: uint32(i + 1)})
		}
		m.Names.FuncNames[uint32(i+1)] = fmt.Sprintf("function_%d", i)
	}
	return Encode(m)
}

func BenchmarkDecode(b *testing.B) {
	regex, err := os.ReadFile(testshared.Path(b, "bench", "sightglass", "regex", "benchmark.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	inputs := []struct {
		name string
		data []byte
	}{
		{"sightglass-regex", regex},
		{"synthetic-10MB", largeModule(10 << 20)},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(in.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	m, err := Decode(largeModule(10 << 20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(m.Size))
	b.ReportAllocs()
	for b.Loop() {
		Encode(m)
	}
}
