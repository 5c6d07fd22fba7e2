// The opcode table of the WebAssembly 2.0 binary format, with immediates and
// the operand signature of every instruction whose types are fixed. SIMD
// numbering: https://www.w3.org/TR/wasm-core-2/#vector-instructions%E2%91%A7

package wasm

// Opcodes. Single-byte opcodes are their byte; prefixed opcodes are
// prefix<<8 | sub-opcode (0xFC for saturating conversions and bulk
// memory/table instructions, 0xFD for SIMD). Wasm 2.0 has no sub-opcode
// above 0xFF.
const (
	OpUnreachable               Opcode = 0x0000 // unreachable
	OpNop                       Opcode = 0x0001 // nop
	OpBlock                     Opcode = 0x0002 // block
	OpLoop                      Opcode = 0x0003 // loop
	OpIf                        Opcode = 0x0004 // if
	OpElse                      Opcode = 0x0005 // else
	OpEnd                       Opcode = 0x000b // end
	OpBr                        Opcode = 0x000c // br
	OpBrIf                      Opcode = 0x000d // br_if
	OpBrTable                   Opcode = 0x000e // br_table
	OpReturn                    Opcode = 0x000f // return
	OpCall                      Opcode = 0x0010 // call
	OpCallIndirect              Opcode = 0x0011 // call_indirect
	OpDrop                      Opcode = 0x001a // drop
	OpSelect                    Opcode = 0x001b // select
	OpSelectT                   Opcode = 0x001c // select
	OpLocalGet                  Opcode = 0x0020 // local.get
	OpLocalSet                  Opcode = 0x0021 // local.set
	OpLocalTee                  Opcode = 0x0022 // local.tee
	OpGlobalGet                 Opcode = 0x0023 // global.get
	OpGlobalSet                 Opcode = 0x0024 // global.set
	OpTableGet                  Opcode = 0x0025 // table.get
	OpTableSet                  Opcode = 0x0026 // table.set
	OpI32Load                   Opcode = 0x0028 // i32.load
	OpI64Load                   Opcode = 0x0029 // i64.load
	OpF32Load                   Opcode = 0x002a // f32.load
	OpF64Load                   Opcode = 0x002b // f64.load
	OpI32Load8S                 Opcode = 0x002c // i32.load8_s
	OpI32Load8U                 Opcode = 0x002d // i32.load8_u
	OpI32Load16S                Opcode = 0x002e // i32.load16_s
	OpI32Load16U                Opcode = 0x002f // i32.load16_u
	OpI64Load8S                 Opcode = 0x0030 // i64.load8_s
	OpI64Load8U                 Opcode = 0x0031 // i64.load8_u
	OpI64Load16S                Opcode = 0x0032 // i64.load16_s
	OpI64Load16U                Opcode = 0x0033 // i64.load16_u
	OpI64Load32S                Opcode = 0x0034 // i64.load32_s
	OpI64Load32U                Opcode = 0x0035 // i64.load32_u
	OpI32Store                  Opcode = 0x0036 // i32.store
	OpI64Store                  Opcode = 0x0037 // i64.store
	OpF32Store                  Opcode = 0x0038 // f32.store
	OpF64Store                  Opcode = 0x0039 // f64.store
	OpI32Store8                 Opcode = 0x003a // i32.store8
	OpI32Store16                Opcode = 0x003b // i32.store16
	OpI64Store8                 Opcode = 0x003c // i64.store8
	OpI64Store16                Opcode = 0x003d // i64.store16
	OpI64Store32                Opcode = 0x003e // i64.store32
	OpMemorySize                Opcode = 0x003f // memory.size
	OpMemoryGrow                Opcode = 0x0040 // memory.grow
	OpI32Const                  Opcode = 0x0041 // i32.const
	OpI64Const                  Opcode = 0x0042 // i64.const
	OpF32Const                  Opcode = 0x0043 // f32.const
	OpF64Const                  Opcode = 0x0044 // f64.const
	OpI32Eqz                    Opcode = 0x0045 // i32.eqz
	OpI32Eq                     Opcode = 0x0046 // i32.eq
	OpI32Ne                     Opcode = 0x0047 // i32.ne
	OpI32LtS                    Opcode = 0x0048 // i32.lt_s
	OpI32LtU                    Opcode = 0x0049 // i32.lt_u
	OpI32GtS                    Opcode = 0x004a // i32.gt_s
	OpI32GtU                    Opcode = 0x004b // i32.gt_u
	OpI32LeS                    Opcode = 0x004c // i32.le_s
	OpI32LeU                    Opcode = 0x004d // i32.le_u
	OpI32GeS                    Opcode = 0x004e // i32.ge_s
	OpI32GeU                    Opcode = 0x004f // i32.ge_u
	OpI64Eqz                    Opcode = 0x0050 // i64.eqz
	OpI64Eq                     Opcode = 0x0051 // i64.eq
	OpI64Ne                     Opcode = 0x0052 // i64.ne
	OpI64LtS                    Opcode = 0x0053 // i64.lt_s
	OpI64LtU                    Opcode = 0x0054 // i64.lt_u
	OpI64GtS                    Opcode = 0x0055 // i64.gt_s
	OpI64GtU                    Opcode = 0x0056 // i64.gt_u
	OpI64LeS                    Opcode = 0x0057 // i64.le_s
	OpI64LeU                    Opcode = 0x0058 // i64.le_u
	OpI64GeS                    Opcode = 0x0059 // i64.ge_s
	OpI64GeU                    Opcode = 0x005a // i64.ge_u
	OpF32Eq                     Opcode = 0x005b // f32.eq
	OpF32Ne                     Opcode = 0x005c // f32.ne
	OpF32Lt                     Opcode = 0x005d // f32.lt
	OpF32Gt                     Opcode = 0x005e // f32.gt
	OpF32Le                     Opcode = 0x005f // f32.le
	OpF32Ge                     Opcode = 0x0060 // f32.ge
	OpF64Eq                     Opcode = 0x0061 // f64.eq
	OpF64Ne                     Opcode = 0x0062 // f64.ne
	OpF64Lt                     Opcode = 0x0063 // f64.lt
	OpF64Gt                     Opcode = 0x0064 // f64.gt
	OpF64Le                     Opcode = 0x0065 // f64.le
	OpF64Ge                     Opcode = 0x0066 // f64.ge
	OpI32Clz                    Opcode = 0x0067 // i32.clz
	OpI32Ctz                    Opcode = 0x0068 // i32.ctz
	OpI32Popcnt                 Opcode = 0x0069 // i32.popcnt
	OpI32Add                    Opcode = 0x006a // i32.add
	OpI32Sub                    Opcode = 0x006b // i32.sub
	OpI32Mul                    Opcode = 0x006c // i32.mul
	OpI32DivS                   Opcode = 0x006d // i32.div_s
	OpI32DivU                   Opcode = 0x006e // i32.div_u
	OpI32RemS                   Opcode = 0x006f // i32.rem_s
	OpI32RemU                   Opcode = 0x0070 // i32.rem_u
	OpI32And                    Opcode = 0x0071 // i32.and
	OpI32Or                     Opcode = 0x0072 // i32.or
	OpI32Xor                    Opcode = 0x0073 // i32.xor
	OpI32Shl                    Opcode = 0x0074 // i32.shl
	OpI32ShrS                   Opcode = 0x0075 // i32.shr_s
	OpI32ShrU                   Opcode = 0x0076 // i32.shr_u
	OpI32Rotl                   Opcode = 0x0077 // i32.rotl
	OpI32Rotr                   Opcode = 0x0078 // i32.rotr
	OpI64Clz                    Opcode = 0x0079 // i64.clz
	OpI64Ctz                    Opcode = 0x007a // i64.ctz
	OpI64Popcnt                 Opcode = 0x007b // i64.popcnt
	OpI64Add                    Opcode = 0x007c // i64.add
	OpI64Sub                    Opcode = 0x007d // i64.sub
	OpI64Mul                    Opcode = 0x007e // i64.mul
	OpI64DivS                   Opcode = 0x007f // i64.div_s
	OpI64DivU                   Opcode = 0x0080 // i64.div_u
	OpI64RemS                   Opcode = 0x0081 // i64.rem_s
	OpI64RemU                   Opcode = 0x0082 // i64.rem_u
	OpI64And                    Opcode = 0x0083 // i64.and
	OpI64Or                     Opcode = 0x0084 // i64.or
	OpI64Xor                    Opcode = 0x0085 // i64.xor
	OpI64Shl                    Opcode = 0x0086 // i64.shl
	OpI64ShrS                   Opcode = 0x0087 // i64.shr_s
	OpI64ShrU                   Opcode = 0x0088 // i64.shr_u
	OpI64Rotl                   Opcode = 0x0089 // i64.rotl
	OpI64Rotr                   Opcode = 0x008a // i64.rotr
	OpF32Abs                    Opcode = 0x008b // f32.abs
	OpF32Neg                    Opcode = 0x008c // f32.neg
	OpF32Ceil                   Opcode = 0x008d // f32.ceil
	OpF32Floor                  Opcode = 0x008e // f32.floor
	OpF32Trunc                  Opcode = 0x008f // f32.trunc
	OpF32Nearest                Opcode = 0x0090 // f32.nearest
	OpF32Sqrt                   Opcode = 0x0091 // f32.sqrt
	OpF32Add                    Opcode = 0x0092 // f32.add
	OpF32Sub                    Opcode = 0x0093 // f32.sub
	OpF32Mul                    Opcode = 0x0094 // f32.mul
	OpF32Div                    Opcode = 0x0095 // f32.div
	OpF32Min                    Opcode = 0x0096 // f32.min
	OpF32Max                    Opcode = 0x0097 // f32.max
	OpF32Copysign               Opcode = 0x0098 // f32.copysign
	OpF64Abs                    Opcode = 0x0099 // f64.abs
	OpF64Neg                    Opcode = 0x009a // f64.neg
	OpF64Ceil                   Opcode = 0x009b // f64.ceil
	OpF64Floor                  Opcode = 0x009c // f64.floor
	OpF64Trunc                  Opcode = 0x009d // f64.trunc
	OpF64Nearest                Opcode = 0x009e // f64.nearest
	OpF64Sqrt                   Opcode = 0x009f // f64.sqrt
	OpF64Add                    Opcode = 0x00a0 // f64.add
	OpF64Sub                    Opcode = 0x00a1 // f64.sub
	OpF64Mul                    Opcode = 0x00a2 // f64.mul
	OpF64Div                    Opcode = 0x00a3 // f64.div
	OpF64Min                    Opcode = 0x00a4 // f64.min
	OpF64Max                    Opcode = 0x00a5 // f64.max
	OpF64Copysign               Opcode = 0x00a6 // f64.copysign
	OpI32WrapI64                Opcode = 0x00a7 // i32.wrap_i64
	OpI32TruncF32S              Opcode = 0x00a8 // i32.trunc_f32_s
	OpI32TruncF32U              Opcode = 0x00a9 // i32.trunc_f32_u
	OpI32TruncF64S              Opcode = 0x00aa // i32.trunc_f64_s
	OpI32TruncF64U              Opcode = 0x00ab // i32.trunc_f64_u
	OpI64ExtendI32S             Opcode = 0x00ac // i64.extend_i32_s
	OpI64ExtendI32U             Opcode = 0x00ad // i64.extend_i32_u
	OpI64TruncF32S              Opcode = 0x00ae // i64.trunc_f32_s
	OpI64TruncF32U              Opcode = 0x00af // i64.trunc_f32_u
	OpI64TruncF64S              Opcode = 0x00b0 // i64.trunc_f64_s
	OpI64TruncF64U              Opcode = 0x00b1 // i64.trunc_f64_u
	OpF32ConvertI32S            Opcode = 0x00b2 // f32.convert_i32_s
	OpF32ConvertI32U            Opcode = 0x00b3 // f32.convert_i32_u
	OpF32ConvertI64S            Opcode = 0x00b4 // f32.convert_i64_s
	OpF32ConvertI64U            Opcode = 0x00b5 // f32.convert_i64_u
	OpF32DemoteF64              Opcode = 0x00b6 // f32.demote_f64
	OpF64ConvertI32S            Opcode = 0x00b7 // f64.convert_i32_s
	OpF64ConvertI32U            Opcode = 0x00b8 // f64.convert_i32_u
	OpF64ConvertI64S            Opcode = 0x00b9 // f64.convert_i64_s
	OpF64ConvertI64U            Opcode = 0x00ba // f64.convert_i64_u
	OpF64PromoteF32             Opcode = 0x00bb // f64.promote_f32
	OpI32ReinterpretF32         Opcode = 0x00bc // i32.reinterpret_f32
	OpI64ReinterpretF64         Opcode = 0x00bd // i64.reinterpret_f64
	OpF32ReinterpretI32         Opcode = 0x00be // f32.reinterpret_i32
	OpF64ReinterpretI64         Opcode = 0x00bf // f64.reinterpret_i64
	OpI32Extend8S               Opcode = 0x00c0 // i32.extend8_s
	OpI32Extend16S              Opcode = 0x00c1 // i32.extend16_s
	OpI64Extend8S               Opcode = 0x00c2 // i64.extend8_s
	OpI64Extend16S              Opcode = 0x00c3 // i64.extend16_s
	OpI64Extend32S              Opcode = 0x00c4 // i64.extend32_s
	OpRefNull                   Opcode = 0x00d0 // ref.null
	OpRefIsNull                 Opcode = 0x00d1 // ref.is_null
	OpRefFunc                   Opcode = 0x00d2 // ref.func
	OpI32TruncSatF32S           Opcode = 0xfc00 // i32.trunc_sat_f32_s
	OpI32TruncSatF32U           Opcode = 0xfc01 // i32.trunc_sat_f32_u
	OpI32TruncSatF64S           Opcode = 0xfc02 // i32.trunc_sat_f64_s
	OpI32TruncSatF64U           Opcode = 0xfc03 // i32.trunc_sat_f64_u
	OpI64TruncSatF32S           Opcode = 0xfc04 // i64.trunc_sat_f32_s
	OpI64TruncSatF32U           Opcode = 0xfc05 // i64.trunc_sat_f32_u
	OpI64TruncSatF64S           Opcode = 0xfc06 // i64.trunc_sat_f64_s
	OpI64TruncSatF64U           Opcode = 0xfc07 // i64.trunc_sat_f64_u
	OpMemoryInit                Opcode = 0xfc08 // memory.init
	OpDataDrop                  Opcode = 0xfc09 // data.drop
	OpMemoryCopy                Opcode = 0xfc0a // memory.copy
	OpMemoryFill                Opcode = 0xfc0b // memory.fill
	OpTableInit                 Opcode = 0xfc0c // table.init
	OpElemDrop                  Opcode = 0xfc0d // elem.drop
	OpTableCopy                 Opcode = 0xfc0e // table.copy
	OpTableGrow                 Opcode = 0xfc0f // table.grow
	OpTableSize                 Opcode = 0xfc10 // table.size
	OpTableFill                 Opcode = 0xfc11 // table.fill
	OpV128Load                  Opcode = 0xfd00 // v128.load
	OpV128Load8x8S              Opcode = 0xfd01 // v128.load8x8_s
	OpV128Load8x8U              Opcode = 0xfd02 // v128.load8x8_u
	OpV128Load16x4S             Opcode = 0xfd03 // v128.load16x4_s
	OpV128Load16x4U             Opcode = 0xfd04 // v128.load16x4_u
	OpV128Load32x2S             Opcode = 0xfd05 // v128.load32x2_s
	OpV128Load32x2U             Opcode = 0xfd06 // v128.load32x2_u
	OpV128Load8Splat            Opcode = 0xfd07 // v128.load8_splat
	OpV128Load16Splat           Opcode = 0xfd08 // v128.load16_splat
	OpV128Load32Splat           Opcode = 0xfd09 // v128.load32_splat
	OpV128Load64Splat           Opcode = 0xfd0a // v128.load64_splat
	OpV128Store                 Opcode = 0xfd0b // v128.store
	OpV128Const                 Opcode = 0xfd0c // v128.const
	OpI8x16Shuffle              Opcode = 0xfd0d // i8x16.shuffle
	OpI8x16Swizzle              Opcode = 0xfd0e // i8x16.swizzle
	OpI8x16Splat                Opcode = 0xfd0f // i8x16.splat
	OpI16x8Splat                Opcode = 0xfd10 // i16x8.splat
	OpI32x4Splat                Opcode = 0xfd11 // i32x4.splat
	OpI64x2Splat                Opcode = 0xfd12 // i64x2.splat
	OpF32x4Splat                Opcode = 0xfd13 // f32x4.splat
	OpF64x2Splat                Opcode = 0xfd14 // f64x2.splat
	OpI8x16ExtractLaneS         Opcode = 0xfd15 // i8x16.extract_lane_s
	OpI8x16ExtractLaneU         Opcode = 0xfd16 // i8x16.extract_lane_u
	OpI8x16ReplaceLane          Opcode = 0xfd17 // i8x16.replace_lane
	OpI16x8ExtractLaneS         Opcode = 0xfd18 // i16x8.extract_lane_s
	OpI16x8ExtractLaneU         Opcode = 0xfd19 // i16x8.extract_lane_u
	OpI16x8ReplaceLane          Opcode = 0xfd1a // i16x8.replace_lane
	OpI32x4ExtractLane          Opcode = 0xfd1b // i32x4.extract_lane
	OpI32x4ReplaceLane          Opcode = 0xfd1c // i32x4.replace_lane
	OpI64x2ExtractLane          Opcode = 0xfd1d // i64x2.extract_lane
	OpI64x2ReplaceLane          Opcode = 0xfd1e // i64x2.replace_lane
	OpF32x4ExtractLane          Opcode = 0xfd1f // f32x4.extract_lane
	OpF32x4ReplaceLane          Opcode = 0xfd20 // f32x4.replace_lane
	OpF64x2ExtractLane          Opcode = 0xfd21 // f64x2.extract_lane
	OpF64x2ReplaceLane          Opcode = 0xfd22 // f64x2.replace_lane
	OpI8x16Eq                   Opcode = 0xfd23 // i8x16.eq
	OpI8x16Ne                   Opcode = 0xfd24 // i8x16.ne
	OpI8x16LtS                  Opcode = 0xfd25 // i8x16.lt_s
	OpI8x16LtU                  Opcode = 0xfd26 // i8x16.lt_u
	OpI8x16GtS                  Opcode = 0xfd27 // i8x16.gt_s
	OpI8x16GtU                  Opcode = 0xfd28 // i8x16.gt_u
	OpI8x16LeS                  Opcode = 0xfd29 // i8x16.le_s
	OpI8x16LeU                  Opcode = 0xfd2a // i8x16.le_u
	OpI8x16GeS                  Opcode = 0xfd2b // i8x16.ge_s
	OpI8x16GeU                  Opcode = 0xfd2c // i8x16.ge_u
	OpI16x8Eq                   Opcode = 0xfd2d // i16x8.eq
	OpI16x8Ne                   Opcode = 0xfd2e // i16x8.ne
	OpI16x8LtS                  Opcode = 0xfd2f // i16x8.lt_s
	OpI16x8LtU                  Opcode = 0xfd30 // i16x8.lt_u
	OpI16x8GtS                  Opcode = 0xfd31 // i16x8.gt_s
	OpI16x8GtU                  Opcode = 0xfd32 // i16x8.gt_u
	OpI16x8LeS                  Opcode = 0xfd33 // i16x8.le_s
	OpI16x8LeU                  Opcode = 0xfd34 // i16x8.le_u
	OpI16x8GeS                  Opcode = 0xfd35 // i16x8.ge_s
	OpI16x8GeU                  Opcode = 0xfd36 // i16x8.ge_u
	OpI32x4Eq                   Opcode = 0xfd37 // i32x4.eq
	OpI32x4Ne                   Opcode = 0xfd38 // i32x4.ne
	OpI32x4LtS                  Opcode = 0xfd39 // i32x4.lt_s
	OpI32x4LtU                  Opcode = 0xfd3a // i32x4.lt_u
	OpI32x4GtS                  Opcode = 0xfd3b // i32x4.gt_s
	OpI32x4GtU                  Opcode = 0xfd3c // i32x4.gt_u
	OpI32x4LeS                  Opcode = 0xfd3d // i32x4.le_s
	OpI32x4LeU                  Opcode = 0xfd3e // i32x4.le_u
	OpI32x4GeS                  Opcode = 0xfd3f // i32x4.ge_s
	OpI32x4GeU                  Opcode = 0xfd40 // i32x4.ge_u
	OpF32x4Eq                   Opcode = 0xfd41 // f32x4.eq
	OpF32x4Ne                   Opcode = 0xfd42 // f32x4.ne
	OpF32x4Lt                   Opcode = 0xfd43 // f32x4.lt
	OpF32x4Gt                   Opcode = 0xfd44 // f32x4.gt
	OpF32x4Le                   Opcode = 0xfd45 // f32x4.le
	OpF32x4Ge                   Opcode = 0xfd46 // f32x4.ge
	OpF64x2Eq                   Opcode = 0xfd47 // f64x2.eq
	OpF64x2Ne                   Opcode = 0xfd48 // f64x2.ne
	OpF64x2Lt                   Opcode = 0xfd49 // f64x2.lt
	OpF64x2Gt                   Opcode = 0xfd4a // f64x2.gt
	OpF64x2Le                   Opcode = 0xfd4b // f64x2.le
	OpF64x2Ge                   Opcode = 0xfd4c // f64x2.ge
	OpV128Not                   Opcode = 0xfd4d // v128.not
	OpV128And                   Opcode = 0xfd4e // v128.and
	OpV128Andnot                Opcode = 0xfd4f // v128.andnot
	OpV128Or                    Opcode = 0xfd50 // v128.or
	OpV128Xor                   Opcode = 0xfd51 // v128.xor
	OpV128Bitselect             Opcode = 0xfd52 // v128.bitselect
	OpV128AnyTrue               Opcode = 0xfd53 // v128.any_true
	OpV128Load8Lane             Opcode = 0xfd54 // v128.load8_lane
	OpV128Load16Lane            Opcode = 0xfd55 // v128.load16_lane
	OpV128Load32Lane            Opcode = 0xfd56 // v128.load32_lane
	OpV128Load64Lane            Opcode = 0xfd57 // v128.load64_lane
	OpV128Store8Lane            Opcode = 0xfd58 // v128.store8_lane
	OpV128Store16Lane           Opcode = 0xfd59 // v128.store16_lane
	OpV128Store32Lane           Opcode = 0xfd5a // v128.store32_lane
	OpV128Store64Lane           Opcode = 0xfd5b // v128.store64_lane
	OpV128Load32Zero            Opcode = 0xfd5c // v128.load32_zero
	OpV128Load64Zero            Opcode = 0xfd5d // v128.load64_zero
	OpF32x4DemoteF64x2Zero      Opcode = 0xfd5e // f32x4.demote_f64x2_zero
	OpF64x2PromoteLowF32x4      Opcode = 0xfd5f // f64x2.promote_low_f32x4
	OpI8x16Abs                  Opcode = 0xfd60 // i8x16.abs
	OpI8x16Neg                  Opcode = 0xfd61 // i8x16.neg
	OpI8x16Popcnt               Opcode = 0xfd62 // i8x16.popcnt
	OpI8x16AllTrue              Opcode = 0xfd63 // i8x16.all_true
	OpI8x16Bitmask              Opcode = 0xfd64 // i8x16.bitmask
	OpI8x16NarrowI16x8S         Opcode = 0xfd65 // i8x16.narrow_i16x8_s
	OpI8x16NarrowI16x8U         Opcode = 0xfd66 // i8x16.narrow_i16x8_u
	OpF32x4Ceil                 Opcode = 0xfd67 // f32x4.ceil
	OpF32x4Floor                Opcode = 0xfd68 // f32x4.floor
	OpF32x4Trunc                Opcode = 0xfd69 // f32x4.trunc
	OpF32x4Nearest              Opcode = 0xfd6a // f32x4.nearest
	OpI8x16Shl                  Opcode = 0xfd6b // i8x16.shl
	OpI8x16ShrS                 Opcode = 0xfd6c // i8x16.shr_s
	OpI8x16ShrU                 Opcode = 0xfd6d // i8x16.shr_u
	OpI8x16Add                  Opcode = 0xfd6e // i8x16.add
	OpI8x16AddSatS              Opcode = 0xfd6f // i8x16.add_sat_s
	OpI8x16AddSatU              Opcode = 0xfd70 // i8x16.add_sat_u
	OpI8x16Sub                  Opcode = 0xfd71 // i8x16.sub
	OpI8x16SubSatS              Opcode = 0xfd72 // i8x16.sub_sat_s
	OpI8x16SubSatU              Opcode = 0xfd73 // i8x16.sub_sat_u
	OpF64x2Ceil                 Opcode = 0xfd74 // f64x2.ceil
	OpF64x2Floor                Opcode = 0xfd75 // f64x2.floor
	OpI8x16MinS                 Opcode = 0xfd76 // i8x16.min_s
	OpI8x16MinU                 Opcode = 0xfd77 // i8x16.min_u
	OpI8x16MaxS                 Opcode = 0xfd78 // i8x16.max_s
	OpI8x16MaxU                 Opcode = 0xfd79 // i8x16.max_u
	OpF64x2Trunc                Opcode = 0xfd7a // f64x2.trunc
	OpI8x16AvgrU                Opcode = 0xfd7b // i8x16.avgr_u
	OpI16x8ExtaddPairwiseI8x16S Opcode = 0xfd7c // i16x8.extadd_pairwise_i8x16_s
	OpI16x8ExtaddPairwiseI8x16U Opcode = 0xfd7d // i16x8.extadd_pairwise_i8x16_u
	OpI32x4ExtaddPairwiseI16x8S Opcode = 0xfd7e // i32x4.extadd_pairwise_i16x8_s
	OpI32x4ExtaddPairwiseI16x8U Opcode = 0xfd7f // i32x4.extadd_pairwise_i16x8_u
	OpI16x8Abs                  Opcode = 0xfd80 // i16x8.abs
	OpI16x8Neg                  Opcode = 0xfd81 // i16x8.neg
	OpI16x8Q15mulrSatS          Opcode = 0xfd82 // i16x8.q15mulr_sat_s
	OpI16x8AllTrue              Opcode = 0xfd83 // i16x8.all_true
	OpI16x8Bitmask              Opcode = 0xfd84 // i16x8.bitmask
	OpI16x8NarrowI32x4S         Opcode = 0xfd85 // i16x8.narrow_i32x4_s
	OpI16x8NarrowI32x4U         Opcode = 0xfd86 // i16x8.narrow_i32x4_u
	OpI16x8ExtendLowI8x16S      Opcode = 0xfd87 // i16x8.extend_low_i8x16_s
	OpI16x8ExtendHighI8x16S     Opcode = 0xfd88 // i16x8.extend_high_i8x16_s
	OpI16x8ExtendLowI8x16U      Opcode = 0xfd89 // i16x8.extend_low_i8x16_u
	OpI16x8ExtendHighI8x16U     Opcode = 0xfd8a // i16x8.extend_high_i8x16_u
	OpI16x8Shl                  Opcode = 0xfd8b // i16x8.shl
	OpI16x8ShrS                 Opcode = 0xfd8c // i16x8.shr_s
	OpI16x8ShrU                 Opcode = 0xfd8d // i16x8.shr_u
	OpI16x8Add                  Opcode = 0xfd8e // i16x8.add
	OpI16x8AddSatS              Opcode = 0xfd8f // i16x8.add_sat_s
	OpI16x8AddSatU              Opcode = 0xfd90 // i16x8.add_sat_u
	OpI16x8Sub                  Opcode = 0xfd91 // i16x8.sub
	OpI16x8SubSatS              Opcode = 0xfd92 // i16x8.sub_sat_s
	OpI16x8SubSatU              Opcode = 0xfd93 // i16x8.sub_sat_u
	OpF64x2Nearest              Opcode = 0xfd94 // f64x2.nearest
	OpI16x8Mul                  Opcode = 0xfd95 // i16x8.mul
	OpI16x8MinS                 Opcode = 0xfd96 // i16x8.min_s
	OpI16x8MinU                 Opcode = 0xfd97 // i16x8.min_u
	OpI16x8MaxS                 Opcode = 0xfd98 // i16x8.max_s
	OpI16x8MaxU                 Opcode = 0xfd99 // i16x8.max_u
	OpI16x8AvgrU                Opcode = 0xfd9b // i16x8.avgr_u
	OpI16x8ExtmulLowI8x16S      Opcode = 0xfd9c // i16x8.extmul_low_i8x16_s
	OpI16x8ExtmulHighI8x16S     Opcode = 0xfd9d // i16x8.extmul_high_i8x16_s
	OpI16x8ExtmulLowI8x16U      Opcode = 0xfd9e // i16x8.extmul_low_i8x16_u
	OpI16x8ExtmulHighI8x16U     Opcode = 0xfd9f // i16x8.extmul_high_i8x16_u
	OpI32x4Abs                  Opcode = 0xfda0 // i32x4.abs
	OpI32x4Neg                  Opcode = 0xfda1 // i32x4.neg
	OpI32x4AllTrue              Opcode = 0xfda3 // i32x4.all_true
	OpI32x4Bitmask              Opcode = 0xfda4 // i32x4.bitmask
	OpI32x4ExtendLowI16x8S      Opcode = 0xfda7 // i32x4.extend_low_i16x8_s
	OpI32x4ExtendHighI16x8S     Opcode = 0xfda8 // i32x4.extend_high_i16x8_s
	OpI32x4ExtendLowI16x8U      Opcode = 0xfda9 // i32x4.extend_low_i16x8_u
	OpI32x4ExtendHighI16x8U     Opcode = 0xfdaa // i32x4.extend_high_i16x8_u
	OpI32x4Shl                  Opcode = 0xfdab // i32x4.shl
	OpI32x4ShrS                 Opcode = 0xfdac // i32x4.shr_s
	OpI32x4ShrU                 Opcode = 0xfdad // i32x4.shr_u
	OpI32x4Add                  Opcode = 0xfdae // i32x4.add
	OpI32x4Sub                  Opcode = 0xfdb1 // i32x4.sub
	OpI32x4Mul                  Opcode = 0xfdb5 // i32x4.mul
	OpI32x4MinS                 Opcode = 0xfdb6 // i32x4.min_s
	OpI32x4MinU                 Opcode = 0xfdb7 // i32x4.min_u
	OpI32x4MaxS                 Opcode = 0xfdb8 // i32x4.max_s
	OpI32x4MaxU                 Opcode = 0xfdb9 // i32x4.max_u
	OpI32x4DotI16x8S            Opcode = 0xfdba // i32x4.dot_i16x8_s
	OpI32x4ExtmulLowI16x8S      Opcode = 0xfdbc // i32x4.extmul_low_i16x8_s
	OpI32x4ExtmulHighI16x8S     Opcode = 0xfdbd // i32x4.extmul_high_i16x8_s
	OpI32x4ExtmulLowI16x8U      Opcode = 0xfdbe // i32x4.extmul_low_i16x8_u
	OpI32x4ExtmulHighI16x8U     Opcode = 0xfdbf // i32x4.extmul_high_i16x8_u
	OpI64x2Abs                  Opcode = 0xfdc0 // i64x2.abs
	OpI64x2Neg                  Opcode = 0xfdc1 // i64x2.neg
	OpI64x2AllTrue              Opcode = 0xfdc3 // i64x2.all_true
	OpI64x2Bitmask              Opcode = 0xfdc4 // i64x2.bitmask
	OpI64x2ExtendLowI32x4S      Opcode = 0xfdc7 // i64x2.extend_low_i32x4_s
	OpI64x2ExtendHighI32x4S     Opcode = 0xfdc8 // i64x2.extend_high_i32x4_s
	OpI64x2ExtendLowI32x4U      Opcode = 0xfdc9 // i64x2.extend_low_i32x4_u
	OpI64x2ExtendHighI32x4U     Opcode = 0xfdca // i64x2.extend_high_i32x4_u
	OpI64x2Shl                  Opcode = 0xfdcb // i64x2.shl
	OpI64x2ShrS                 Opcode = 0xfdcc // i64x2.shr_s
	OpI64x2ShrU                 Opcode = 0xfdcd // i64x2.shr_u
	OpI64x2Add                  Opcode = 0xfdce // i64x2.add
	OpI64x2Sub                  Opcode = 0xfdd1 // i64x2.sub
	OpI64x2Mul                  Opcode = 0xfdd5 // i64x2.mul
	OpI64x2Eq                   Opcode = 0xfdd6 // i64x2.eq
	OpI64x2Ne                   Opcode = 0xfdd7 // i64x2.ne
	OpI64x2LtS                  Opcode = 0xfdd8 // i64x2.lt_s
	OpI64x2GtS                  Opcode = 0xfdd9 // i64x2.gt_s
	OpI64x2LeS                  Opcode = 0xfdda // i64x2.le_s
	OpI64x2GeS                  Opcode = 0xfddb // i64x2.ge_s
	OpI64x2ExtmulLowI32x4S      Opcode = 0xfddc // i64x2.extmul_low_i32x4_s
	OpI64x2ExtmulHighI32x4S     Opcode = 0xfddd // i64x2.extmul_high_i32x4_s
	OpI64x2ExtmulLowI32x4U      Opcode = 0xfdde // i64x2.extmul_low_i32x4_u
	OpI64x2ExtmulHighI32x4U     Opcode = 0xfddf // i64x2.extmul_high_i32x4_u
	OpF32x4Abs                  Opcode = 0xfde0 // f32x4.abs
	OpF32x4Neg                  Opcode = 0xfde1 // f32x4.neg
	OpF32x4Sqrt                 Opcode = 0xfde3 // f32x4.sqrt
	OpF32x4Add                  Opcode = 0xfde4 // f32x4.add
	OpF32x4Sub                  Opcode = 0xfde5 // f32x4.sub
	OpF32x4Mul                  Opcode = 0xfde6 // f32x4.mul
	OpF32x4Div                  Opcode = 0xfde7 // f32x4.div
	OpF32x4Min                  Opcode = 0xfde8 // f32x4.min
	OpF32x4Max                  Opcode = 0xfde9 // f32x4.max
	OpF32x4Pmin                 Opcode = 0xfdea // f32x4.pmin
	OpF32x4Pmax                 Opcode = 0xfdeb // f32x4.pmax
	OpF64x2Abs                  Opcode = 0xfdec // f64x2.abs
	OpF64x2Neg                  Opcode = 0xfded // f64x2.neg
	OpF64x2Sqrt                 Opcode = 0xfdef // f64x2.sqrt
	OpF64x2Add                  Opcode = 0xfdf0 // f64x2.add
	OpF64x2Sub                  Opcode = 0xfdf1 // f64x2.sub
	OpF64x2Mul                  Opcode = 0xfdf2 // f64x2.mul
	OpF64x2Div                  Opcode = 0xfdf3 // f64x2.div
	OpF64x2Min                  Opcode = 0xfdf4 // f64x2.min
	OpF64x2Max                  Opcode = 0xfdf5 // f64x2.max
	OpF64x2Pmin                 Opcode = 0xfdf6 // f64x2.pmin
	OpF64x2Pmax                 Opcode = 0xfdf7 // f64x2.pmax
	OpI32x4TruncSatF32x4S       Opcode = 0xfdf8 // i32x4.trunc_sat_f32x4_s
	OpI32x4TruncSatF32x4U       Opcode = 0xfdf9 // i32x4.trunc_sat_f32x4_u
	OpF32x4ConvertI32x4S        Opcode = 0xfdfa // f32x4.convert_i32x4_s
	OpF32x4ConvertI32x4U        Opcode = 0xfdfb // f32x4.convert_i32x4_u
	OpI32x4TruncSatF64x2SZero   Opcode = 0xfdfc // i32x4.trunc_sat_f64x2_s_zero
	OpI32x4TruncSatF64x2UZero   Opcode = 0xfdfd // i32x4.trunc_sat_f64x2_u_zero
	OpF64x2ConvertLowI32x4S     Opcode = 0xfdfe // f64x2.convert_low_i32x4_s
	OpF64x2ConvertLowI32x4U     Opcode = 0xfdff // f64x2.convert_low_i32x4_u
)

// opcodeTable is indexed by prefix class (0 plain, 1 for 0xFC, 2 for
// 0xFD) and then by the (sub-)opcode byte. A zero entry is an illegal opcode.
var opcodeTable = [3][256]opInfo{
	0: {
		0x00: {name: "unreachable", imm: ImmNone, sig: nil},
		0x01: {name: "nop", imm: ImmNone, sig: nil},
		0x02: {name: "block", imm: ImmBlock, sig: nil},
		0x03: {name: "loop", imm: ImmBlock, sig: nil},
		0x04: {name: "if", imm: ImmBlock, sig: nil},
		0x05: {name: "else", imm: ImmNone, sig: nil},
		0x0b: {name: "end", imm: ImmNone, sig: nil},
		0x0c: {name: "br", imm: ImmLabel, sig: nil},
		0x0d: {name: "br_if", imm: ImmLabel, sig: nil},
		0x0e: {name: "br_table", imm: ImmBrTable, sig: nil},
		0x0f: {name: "return", imm: ImmNone, sig: nil},
		0x10: {name: "call", imm: ImmFunc, sig: nil},
		0x11: {name: "call_indirect", imm: ImmCallIndirect, sig: nil},
		0x1a: {name: "drop", imm: ImmNone, sig: nil},
		0x1b: {name: "select", imm: ImmNone, sig: nil},
		0x1c: {name: "select", imm: ImmSelectT, sig: nil},
		0x20: {name: "local.get", imm: ImmLocal, sig: nil},
		0x21: {name: "local.set", imm: ImmLocal, sig: nil},
		0x22: {name: "local.tee", imm: ImmLocal, sig: nil},
		0x23: {name: "global.get", imm: ImmGlobal, sig: nil},
		0x24: {name: "global.set", imm: ImmGlobal, sig: nil},
		0x25: {name: "table.get", imm: ImmTable, sig: nil},
		0x26: {name: "table.set", imm: ImmTable, sig: nil},
		0x28: {name: "i32.load", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x29: {name: "i64.load", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x2a: {name: "f32.load", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF32}}},
		0x2b: {name: "f64.load", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF64}}},
		0x2c: {name: "i32.load8_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x2d: {name: "i32.load8_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x2e: {name: "i32.load16_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x2f: {name: "i32.load16_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x30: {name: "i64.load8_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x31: {name: "i64.load8_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x32: {name: "i64.load16_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x33: {name: "i64.load16_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x34: {name: "i64.load32_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x35: {name: "i64.load32_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0x36: {name: "i32.store", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x37: {name: "i64.store", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI64}, Results: []ValueType{}}},
		0x38: {name: "f32.store", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeF32}, Results: []ValueType{}}},
		0x39: {name: "f64.store", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeF64}, Results: []ValueType{}}},
		0x3a: {name: "i32.store8", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x3b: {name: "i32.store16", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x3c: {name: "i64.store8", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI64}, Results: []ValueType{}}},
		0x3d: {name: "i64.store16", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI64}, Results: []ValueType{}}},
		0x3e: {name: "i64.store32", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI64}, Results: []ValueType{}}},
		0x3f: {name: "memory.size", imm: ImmZeroByte, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeI32}}},
		0x40: {name: "memory.grow", imm: ImmZeroByte, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x41: {name: "i32.const", imm: ImmI32, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeI32}}},
		0x42: {name: "i64.const", imm: ImmI64, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeI64}}},
		0x43: {name: "f32.const", imm: ImmF32, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeF32}}},
		0x44: {name: "f64.const", imm: ImmF64, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeF64}}},
		0x45: {name: "i32.eqz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x46: {name: "i32.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x47: {name: "i32.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x48: {name: "i32.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x49: {name: "i32.lt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4a: {name: "i32.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4b: {name: "i32.gt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4c: {name: "i32.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4d: {name: "i32.le_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4e: {name: "i32.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x4f: {name: "i32.ge_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x50: {name: "i64.eqz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x51: {name: "i64.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x52: {name: "i64.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x53: {name: "i64.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x54: {name: "i64.lt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x55: {name: "i64.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x56: {name: "i64.gt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x57: {name: "i64.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x58: {name: "i64.le_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x59: {name: "i64.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x5a: {name: "i64.ge_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0x5b: {name: "f32.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x5c: {name: "f32.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x5d: {name: "f32.lt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x5e: {name: "f32.gt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x5f: {name: "f32.le", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x60: {name: "f32.ge", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x61: {name: "f64.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x62: {name: "f64.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x63: {name: "f64.lt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x64: {name: "f64.gt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x65: {name: "f64.le", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x66: {name: "f64.ge", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x67: {name: "i32.clz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x68: {name: "i32.ctz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x69: {name: "i32.popcnt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6a: {name: "i32.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6b: {name: "i32.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6c: {name: "i32.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6d: {name: "i32.div_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6e: {name: "i32.div_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x6f: {name: "i32.rem_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x70: {name: "i32.rem_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x71: {name: "i32.and", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x72: {name: "i32.or", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x73: {name: "i32.xor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x74: {name: "i32.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x75: {name: "i32.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x76: {name: "i32.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x77: {name: "i32.rotl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x78: {name: "i32.rotr", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0x79: {name: "i64.clz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7a: {name: "i64.ctz", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7b: {name: "i64.popcnt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7c: {name: "i64.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7d: {name: "i64.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7e: {name: "i64.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x7f: {name: "i64.div_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x80: {name: "i64.div_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x81: {name: "i64.rem_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x82: {name: "i64.rem_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x83: {name: "i64.and", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x84: {name: "i64.or", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x85: {name: "i64.xor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x86: {name: "i64.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x87: {name: "i64.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x88: {name: "i64.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x89: {name: "i64.rotl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x8a: {name: "i64.rotr", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64, ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0x8b: {name: "f32.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x8c: {name: "f32.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x8d: {name: "f32.ceil", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x8e: {name: "f32.floor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x8f: {name: "f32.trunc", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x90: {name: "f32.nearest", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x91: {name: "f32.sqrt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x92: {name: "f32.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x93: {name: "f32.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x94: {name: "f32.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x95: {name: "f32.div", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x96: {name: "f32.min", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x97: {name: "f32.max", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x98: {name: "f32.copysign", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32, ValueTypeF32}, Results: []ValueType{ValueTypeF32}}},
		0x99: {name: "f64.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9a: {name: "f64.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9b: {name: "f64.ceil", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9c: {name: "f64.floor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9d: {name: "f64.trunc", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9e: {name: "f64.nearest", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0x9f: {name: "f64.sqrt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa0: {name: "f64.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa1: {name: "f64.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa2: {name: "f64.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa3: {name: "f64.div", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa4: {name: "f64.min", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa5: {name: "f64.max", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa6: {name: "f64.copysign", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64, ValueTypeF64}, Results: []ValueType{ValueTypeF64}}},
		0xa7: {name: "i32.wrap_i64", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI32}}},
		0xa8: {name: "i32.trunc_f32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0xa9: {name: "i32.trunc_f32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0xaa: {name: "i32.trunc_f64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0xab: {name: "i32.trunc_f64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0xac: {name: "i64.extend_i32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0xad: {name: "i64.extend_i32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI64}}},
		0xae: {name: "i64.trunc_f32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI64}}},
		0xaf: {name: "i64.trunc_f32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI64}}},
		0xb0: {name: "i64.trunc_f64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI64}}},
		0xb1: {name: "i64.trunc_f64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI64}}},
		0xb2: {name: "f32.convert_i32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF32}}},
		0xb3: {name: "f32.convert_i32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF32}}},
		0xb4: {name: "f32.convert_i64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeF32}}},
		0xb5: {name: "f32.convert_i64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeF32}}},
		0xb6: {name: "f32.demote_f64", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeF32}}},
		0xb7: {name: "f64.convert_i32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF64}}},
		0xb8: {name: "f64.convert_i32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF64}}},
		0xb9: {name: "f64.convert_i64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeF64}}},
		0xba: {name: "f64.convert_i64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeF64}}},
		0xbb: {name: "f64.promote_f32", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeF64}}},
		0xbc: {name: "i32.reinterpret_f32", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0xbd: {name: "i64.reinterpret_f64", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI64}}},
		0xbe: {name: "f32.reinterpret_i32", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeF32}}},
		0xbf: {name: "f64.reinterpret_i64", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeF64}}},
		0xc0: {name: "i32.extend8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0xc1: {name: "i32.extend16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeI32}}},
		0xc2: {name: "i64.extend8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0xc3: {name: "i64.extend16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0xc4: {name: "i64.extend32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeI64}}},
		0xd0: {name: "ref.null", imm: ImmRefType, sig: nil},
		0xd1: {name: "ref.is_null", imm: ImmNone, sig: nil},
		0xd2: {name: "ref.func", imm: ImmFunc, sig: nil},
	},
	1: {
		0x00: {name: "i32.trunc_sat_f32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x01: {name: "i32.trunc_sat_f32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI32}}},
		0x02: {name: "i32.trunc_sat_f64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x03: {name: "i32.trunc_sat_f64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI32}}},
		0x04: {name: "i64.trunc_sat_f32_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI64}}},
		0x05: {name: "i64.trunc_sat_f32_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeI64}}},
		0x06: {name: "i64.trunc_sat_f64_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI64}}},
		0x07: {name: "i64.trunc_sat_f64_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeI64}}},
		0x08: {name: "memory.init", imm: ImmMemoryInit, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x09: {name: "data.drop", imm: ImmData, sig: &Signature{Params: []ValueType{}, Results: []ValueType{}}},
		0x0a: {name: "memory.copy", imm: ImmMemoryCopy, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x0b: {name: "memory.fill", imm: ImmZeroByte, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x0c: {name: "table.init", imm: ImmTableInit, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x0d: {name: "elem.drop", imm: ImmElem, sig: &Signature{Params: []ValueType{}, Results: []ValueType{}}},
		0x0e: {name: "table.copy", imm: ImmTableCopy, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeI32, ValueTypeI32}, Results: []ValueType{}}},
		0x0f: {name: "table.grow", imm: ImmTable, sig: nil},
		0x10: {name: "table.size", imm: ImmTable, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeI32}}},
		0x11: {name: "table.fill", imm: ImmTable, sig: nil},
	},
	2: {
		0x00: {name: "v128.load", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x01: {name: "v128.load8x8_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x02: {name: "v128.load8x8_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x03: {name: "v128.load16x4_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x04: {name: "v128.load16x4_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x05: {name: "v128.load32x2_s", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x06: {name: "v128.load32x2_u", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x07: {name: "v128.load8_splat", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x08: {name: "v128.load16_splat", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x09: {name: "v128.load32_splat", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x0a: {name: "v128.load64_splat", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x0b: {name: "v128.store", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{}}},
		0x0c: {name: "v128.const", imm: ImmV128, sig: &Signature{Params: []ValueType{}, Results: []ValueType{ValueTypeV128}}},
		0x0d: {name: "i8x16.shuffle", imm: ImmShuffle, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x0e: {name: "i8x16.swizzle", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x0f: {name: "i8x16.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x10: {name: "i16x8.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x11: {name: "i32x4.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x12: {name: "i64x2.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeI64}, Results: []ValueType{ValueTypeV128}}},
		0x13: {name: "f32x4.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF32}, Results: []ValueType{ValueTypeV128}}},
		0x14: {name: "f64x2.splat", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeF64}, Results: []ValueType{ValueTypeV128}}},
		0x15: {name: "i8x16.extract_lane_s", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x16: {name: "i8x16.extract_lane_u", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x17: {name: "i8x16.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x18: {name: "i16x8.extract_lane_s", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x19: {name: "i16x8.extract_lane_u", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x1a: {name: "i16x8.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x1b: {name: "i32x4.extract_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x1c: {name: "i32x4.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x1d: {name: "i64x2.extract_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI64}}},
		0x1e: {name: "i64x2.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI64}, Results: []ValueType{ValueTypeV128}}},
		0x1f: {name: "f32x4.extract_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeF32}}},
		0x20: {name: "f32x4.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeF32}, Results: []ValueType{ValueTypeV128}}},
		0x21: {name: "f64x2.extract_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeF64}}},
		0x22: {name: "f64x2.replace_lane", imm: ImmLane, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeF64}, Results: []ValueType{ValueTypeV128}}},
		0x23: {name: "i8x16.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x24: {name: "i8x16.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x25: {name: "i8x16.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x26: {name: "i8x16.lt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x27: {name: "i8x16.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x28: {name: "i8x16.gt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x29: {name: "i8x16.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2a: {name: "i8x16.le_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2b: {name: "i8x16.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2c: {name: "i8x16.ge_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2d: {name: "i16x8.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2e: {name: "i16x8.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x2f: {name: "i16x8.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x30: {name: "i16x8.lt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x31: {name: "i16x8.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x32: {name: "i16x8.gt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x33: {name: "i16x8.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x34: {name: "i16x8.le_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x35: {name: "i16x8.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x36: {name: "i16x8.ge_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x37: {name: "i32x4.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x38: {name: "i32x4.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x39: {name: "i32x4.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3a: {name: "i32x4.lt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3b: {name: "i32x4.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3c: {name: "i32x4.gt_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3d: {name: "i32x4.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3e: {name: "i32x4.le_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x3f: {name: "i32x4.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x40: {name: "i32x4.ge_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x41: {name: "f32x4.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x42: {name: "f32x4.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x43: {name: "f32x4.lt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x44: {name: "f32x4.gt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x45: {name: "f32x4.le", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x46: {name: "f32x4.ge", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x47: {name: "f64x2.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x48: {name: "f64x2.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x49: {name: "f64x2.lt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4a: {name: "f64x2.gt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4b: {name: "f64x2.le", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4c: {name: "f64x2.ge", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4d: {name: "v128.not", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4e: {name: "v128.and", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x4f: {name: "v128.andnot", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x50: {name: "v128.or", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x51: {name: "v128.xor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x52: {name: "v128.bitselect", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x53: {name: "v128.any_true", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x54: {name: "v128.load8_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x55: {name: "v128.load16_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x56: {name: "v128.load32_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x57: {name: "v128.load64_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x58: {name: "v128.store8_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{}}},
		0x59: {name: "v128.store16_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{}}},
		0x5a: {name: "v128.store32_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{}}},
		0x5b: {name: "v128.store64_lane", imm: ImmMemArgLane, sig: &Signature{Params: []ValueType{ValueTypeI32, ValueTypeV128}, Results: []ValueType{}}},
		0x5c: {name: "v128.load32_zero", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x5d: {name: "v128.load64_zero", imm: ImmMemArg, sig: &Signature{Params: []ValueType{ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x5e: {name: "f32x4.demote_f64x2_zero", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x5f: {name: "f64x2.promote_low_f32x4", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x60: {name: "i8x16.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x61: {name: "i8x16.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x62: {name: "i8x16.popcnt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x63: {name: "i8x16.all_true", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x64: {name: "i8x16.bitmask", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x65: {name: "i8x16.narrow_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x66: {name: "i8x16.narrow_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x67: {name: "f32x4.ceil", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x68: {name: "f32x4.floor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x69: {name: "f32x4.trunc", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x6a: {name: "f32x4.nearest", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x6b: {name: "i8x16.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x6c: {name: "i8x16.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x6d: {name: "i8x16.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x6e: {name: "i8x16.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x6f: {name: "i8x16.add_sat_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x70: {name: "i8x16.add_sat_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x71: {name: "i8x16.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x72: {name: "i8x16.sub_sat_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x73: {name: "i8x16.sub_sat_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x74: {name: "f64x2.ceil", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x75: {name: "f64x2.floor", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x76: {name: "i8x16.min_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x77: {name: "i8x16.min_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x78: {name: "i8x16.max_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x79: {name: "i8x16.max_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7a: {name: "f64x2.trunc", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7b: {name: "i8x16.avgr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7c: {name: "i16x8.extadd_pairwise_i8x16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7d: {name: "i16x8.extadd_pairwise_i8x16_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7e: {name: "i32x4.extadd_pairwise_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x7f: {name: "i32x4.extadd_pairwise_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x80: {name: "i16x8.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x81: {name: "i16x8.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x82: {name: "i16x8.q15mulr_sat_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x83: {name: "i16x8.all_true", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x84: {name: "i16x8.bitmask", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0x85: {name: "i16x8.narrow_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x86: {name: "i16x8.narrow_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x87: {name: "i16x8.extend_low_i8x16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x88: {name: "i16x8.extend_high_i8x16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x89: {name: "i16x8.extend_low_i8x16_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x8a: {name: "i16x8.extend_high_i8x16_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x8b: {name: "i16x8.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x8c: {name: "i16x8.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x8d: {name: "i16x8.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0x8e: {name: "i16x8.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x8f: {name: "i16x8.add_sat_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x90: {name: "i16x8.add_sat_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x91: {name: "i16x8.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x92: {name: "i16x8.sub_sat_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x93: {name: "i16x8.sub_sat_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x94: {name: "f64x2.nearest", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x95: {name: "i16x8.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x96: {name: "i16x8.min_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x97: {name: "i16x8.min_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x98: {name: "i16x8.max_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x99: {name: "i16x8.max_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x9b: {name: "i16x8.avgr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x9c: {name: "i16x8.extmul_low_i8x16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x9d: {name: "i16x8.extmul_high_i8x16_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x9e: {name: "i16x8.extmul_low_i8x16_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0x9f: {name: "i16x8.extmul_high_i8x16_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xa0: {name: "i32x4.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xa1: {name: "i32x4.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xa3: {name: "i32x4.all_true", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0xa4: {name: "i32x4.bitmask", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0xa7: {name: "i32x4.extend_low_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xa8: {name: "i32x4.extend_high_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xa9: {name: "i32x4.extend_low_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xaa: {name: "i32x4.extend_high_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xab: {name: "i32x4.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xac: {name: "i32x4.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xad: {name: "i32x4.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xae: {name: "i32x4.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb1: {name: "i32x4.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb5: {name: "i32x4.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb6: {name: "i32x4.min_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb7: {name: "i32x4.min_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb8: {name: "i32x4.max_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xb9: {name: "i32x4.max_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xba: {name: "i32x4.dot_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xbc: {name: "i32x4.extmul_low_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xbd: {name: "i32x4.extmul_high_i16x8_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xbe: {name: "i32x4.extmul_low_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xbf: {name: "i32x4.extmul_high_i16x8_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xc0: {name: "i64x2.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xc1: {name: "i64x2.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xc3: {name: "i64x2.all_true", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0xc4: {name: "i64x2.bitmask", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeI32}}},
		0xc7: {name: "i64x2.extend_low_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xc8: {name: "i64x2.extend_high_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xc9: {name: "i64x2.extend_low_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xca: {name: "i64x2.extend_high_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xcb: {name: "i64x2.shl", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xcc: {name: "i64x2.shr_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xcd: {name: "i64x2.shr_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeI32}, Results: []ValueType{ValueTypeV128}}},
		0xce: {name: "i64x2.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd1: {name: "i64x2.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd5: {name: "i64x2.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd6: {name: "i64x2.eq", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd7: {name: "i64x2.ne", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd8: {name: "i64x2.lt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xd9: {name: "i64x2.gt_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xda: {name: "i64x2.le_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xdb: {name: "i64x2.ge_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xdc: {name: "i64x2.extmul_low_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xdd: {name: "i64x2.extmul_high_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xde: {name: "i64x2.extmul_low_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xdf: {name: "i64x2.extmul_high_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe0: {name: "f32x4.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe1: {name: "f32x4.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe3: {name: "f32x4.sqrt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe4: {name: "f32x4.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe5: {name: "f32x4.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe6: {name: "f32x4.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe7: {name: "f32x4.div", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe8: {name: "f32x4.min", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xe9: {name: "f32x4.max", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xea: {name: "f32x4.pmin", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xeb: {name: "f32x4.pmax", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xec: {name: "f64x2.abs", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xed: {name: "f64x2.neg", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xef: {name: "f64x2.sqrt", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf0: {name: "f64x2.add", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf1: {name: "f64x2.sub", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf2: {name: "f64x2.mul", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf3: {name: "f64x2.div", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf4: {name: "f64x2.min", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf5: {name: "f64x2.max", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf6: {name: "f64x2.pmin", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf7: {name: "f64x2.pmax", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128, ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf8: {name: "i32x4.trunc_sat_f32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xf9: {name: "i32x4.trunc_sat_f32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xfa: {name: "f32x4.convert_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xfb: {name: "f32x4.convert_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xfc: {name: "i32x4.trunc_sat_f64x2_s_zero", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xfd: {name: "i32x4.trunc_sat_f64x2_u_zero", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xfe: {name: "f64x2.convert_low_i32x4_s", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
		0xff: {name: "f64x2.convert_low_i32x4_u", imm: ImmNone, sig: &Signature{Params: []ValueType{ValueTypeV128}, Results: []ValueType{ValueTypeV128}}},
	},
}
