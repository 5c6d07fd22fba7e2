package wasm

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestReader_Next(t *testing.T) {
	tests := []struct {
		name  string
		code  []byte
		check func(t *testing.T, in *Instr)
	}{
		{"i32.const -1", []byte{0x41, 0x7f}, func(t *testing.T, in *Instr) {
			if in.Op != OpI32Const || in.Value != 0xffffffff {
				t.Fatalf("got %v %#x", in.Op, in.Value)
			}
		}},
		{"i64.const min", []byte{0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, func(t *testing.T, in *Instr) {
			if in.Value != 1<<63 {
				t.Fatalf("got %#x", in.Value)
			}
		}},
		{"f32.const", []byte{0x43, 0x00, 0x00, 0x80, 0x3f}, func(t *testing.T, in *Instr) {
			if in.Value != 0x3f800000 {
				t.Fatalf("got %#x", in.Value)
			}
		}},
		{"block empty", []byte{0x02, 0x40}, func(t *testing.T, in *Instr) {
			if in.Block.Kind != BlockEmpty {
				t.Fatalf("got %+v", in.Block)
			}
		}},
		{"block i64", []byte{0x02, 0x7e}, func(t *testing.T, in *Instr) {
			if in.Block != (BlockType{Kind: BlockValue, Value: ValueTypeI64}) {
				t.Fatalf("got %+v", in.Block)
			}
		}},
		{"block type index", []byte{0x03, 0x81, 0x01}, func(t *testing.T, in *Instr) {
			if in.Block != (BlockType{Kind: BlockTypeIndex, TypeIndex: 129}) {
				t.Fatalf("got %+v", in.Block)
			}
		}},
		{"br_table", []byte{0x0e, 0x02, 0x00, 0x01, 0x02}, func(t *testing.T, in *Instr) {
			if len(in.Labels) != 2 || in.Labels[1] != 1 || in.Index != 2 {
				t.Fatalf("got %v default %d", in.Labels, in.Index)
			}
		}},
		{"call_indirect", []byte{0x11, 0x03, 0x01}, func(t *testing.T, in *Instr) {
			if in.Index != 3 || in.Index2 != 1 {
				t.Fatalf("got %d %d", in.Index, in.Index2)
			}
		}},
		{"i32.const one byte, negative", []byte{0x41, 0x40}, func(t *testing.T, in *Instr) {
			if in.Value != 0xffffffc0 {
				t.Fatalf("%#x", in.Value)
			}
		}},
		{"i64.const one byte, largest", []byte{0x42, 0x3f}, func(t *testing.T, in *Instr) {
			if in.Value != 63 {
				t.Fatalf("%#x", in.Value)
			}
		}},
		{"local.get two-byte index", []byte{0x20, 0x81, 0x01}, func(t *testing.T, in *Instr) {
			if in.Op != OpLocalGet || in.Index != 129 {
				t.Fatalf("%v %d", in.Op, in.Index)
			}
		}},
		{"i64.store two-byte offset", []byte{0x37, 0x03, 0xff, 0x7f}, func(t *testing.T, in *Instr) {
			if in.Align != 3 || in.MemOffset != 0x3fff {
				t.Fatalf("align %d offset %#x", in.Align, in.MemOffset)
			}
		}},
		{"i32.load memarg", []byte{0x28, 0x02, 0x10}, func(t *testing.T, in *Instr) {
			if in.Align != 2 || in.MemOffset != 16 {
				t.Fatalf("got %d %d", in.Align, in.MemOffset)
			}
		}},
		{"select t", []byte{0x1c, 0x01, 0x7b}, func(t *testing.T, in *Instr) {
			if in.Op != OpSelectT || len(in.Types) != 1 || in.Types[0] != ValueTypeV128 {
				t.Fatalf("got %v %v", in.Op, in.Types)
			}
		}},
		{"ref.null extern", []byte{0xd0, 0x6f}, func(t *testing.T, in *Instr) {
			if in.RefType != ValueTypeExternref {
				t.Fatalf("got %v", in.RefType)
			}
		}},
		{"memory.init", []byte{0xfc, 0x08, 0x05, 0x00}, func(t *testing.T, in *Instr) {
			if in.Op != OpMemoryInit || in.Index != 5 {
				t.Fatalf("got %v %d", in.Op, in.Index)
			}
		}},
		{"table.copy", []byte{0xfc, 0x0e, 0x01, 0x02}, func(t *testing.T, in *Instr) {
			if in.Op != OpTableCopy || in.Index != 1 || in.Index2 != 2 {
				t.Fatalf("got %v %d %d", in.Op, in.Index, in.Index2)
			}
		}},
		{"simd sub-opcode as multi-byte LEB", []byte{0xfd, 0x80, 0x01}, func(t *testing.T, in *Instr) {
			if in.Op != OpI16x8Abs {
				t.Fatalf("got %v", in.Op)
			}
		}},
		{"v128.load32_lane", []byte{0xfd, 0x56, 0x02, 0x00, 0x03}, func(t *testing.T, in *Instr) {
			if in.Op != OpV128Load32Lane || in.Align != 2 || in.Lane != 3 {
				t.Fatalf("got %v %d %d", in.Op, in.Align, in.Lane)
			}
		}},
		{"i8x16.shuffle", append([]byte{0xfd, 0x0d}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 31), func(t *testing.T, in *Instr) {
			if in.V128[15] != 31 {
				t.Fatalf("got %v", in.V128)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(tc.code, 0)
			var in Instr
			if err := r.Next(&in); err != nil {
				t.Fatal(err)
			}
			if !r.EOF() {
				t.Fatalf("%d bytes left", r.Len()-r.Pos())
			}
			tc.check(t, &in)
		})
	}
}

func TestReader_NextErrors(t *testing.T) {
	tests := []struct {
		name string
		code []byte
		want string
	}{
		{"illegal opcode", []byte{0x06}, "illegal opcode"},
		{"illegal prefixed opcode", []byte{0xfc, 0x12}, "illegal opcode"},
		{"sub-opcode above 0xff", []byte{0xfd, 0x80, 0x02}, "illegal opcode"},
		{"truncated", []byte{0x41}, "unexpected end"},
		{"memory.size reserved byte", []byte{0x3f, 0x01}, "zero byte expected"},
		{"memory.copy reserved byte", []byte{0xfc, 0x0a, 0x00, 0x01}, "zero byte expected"},
		{"i32.const too long", []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, "integer representation too long"},
		{"i32.const too large", []byte{0x41, 0xff, 0xff, 0xff, 0xff, 0x4f}, "integer too large"},
		{"br_table count beyond code", []byte{0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f}, "unexpected end"},
		{"bad ref type", []byte{0xd0, 0x7f}, "malformed reference type"},
		{"block type multi-byte negative", []byte{0x02, 0xff, 0x7f}, "malformed value type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in Instr
			err := NewReader(tc.code, 0x100).Next(&in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "offset 0x1") {
				t.Fatalf("err = %v, want a module offset", err)
			}
		})
	}
}

func TestOpcode_Table(t *testing.T) {
	if got := OpF64x2ConvertLowI32x4U.String(); got != "f64x2.convert_low_i32x4_u" {
		t.Fatalf("name %q", got)
	}
	if OpI32Add.Signature() == nil || OpBlock.Signature() != nil {
		t.Fatal("signatures")
	}
	n := 0
	for cls := range opcodeTable {
		for _, info := range opcodeTable[cls] {
			if info.name != "" {
				n++
			}
		}
	}
	// 2.0 has 437 instruction encodings (select and typed select counted twice).
	if n != 437 {
		t.Fatalf("%d opcodes", n)
	}
}

// FuzzReader decodes arbitrary bytes with Next and with the general
// decoder alone, which must agree instruction by instruction and error
// by error: Next's short paths only save time.
func FuzzReader(f *testing.F) {
	f.Add([]byte{0x0e, 0x02, 0x00, 0x01, 0x02, 0xfd, 0x0c})
	f.Add([]byte{0x20, 0x81, 0x01, 0x28, 0x02, 0xff, 0x7f, 0x41, 0x40, 0x42, 0x3f, 0x02, 0x7f, 0x02, 0x60})
	f.Fuzz(func(t *testing.T, code []byte) {
		fast, general := NewReader(code, 0), NewReader(code, 0)
		var in, want Instr
		for !fast.EOF() {
			before := fast.Pos()
			err := fast.Next(&in)
			wantErr := general.next(&want)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("at %d: Next: %v, general decoder: %v", before, err, wantErr)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(in, want) || fast.Pos() != general.Pos() {
				t.Fatalf("at %d: Next decoded %+v to %d, general decoder %+v to %d", before, in, fast.Pos(), want, general.Pos())
			}
			if fast.Pos() <= before {
				t.Fatal("reader did not advance")
			}
		}
	})
}
