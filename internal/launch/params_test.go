package launch

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		t    api.ValueType
		in   string
		want uint64
		err  bool
	}{
		{api.ValueTypeI32, "42", 42, false},
		{api.ValueTypeI32, "-1", 0xffffffff, false},
		{api.ValueTypeI32, "+7", 7, false},
		{api.ValueTypeI32, "4294967295", 0xffffffff, false},
		{api.ValueTypeI32, "0xFFFFFFFF", 0xffffffff, false},
		{api.ValueTypeI32, "4294967296", 0, true},
		{api.ValueTypeI32, "-2147483649", 0, true},
		{api.ValueTypeI32, "1.5", 0, true},
		{api.ValueTypeI64, "-9223372036854775808", 1 << 63, false},
		{api.ValueTypeI64, "18446744073709551615", math.MaxUint64, false},
		{api.ValueTypeI64, "0x10", 16, false},
		{api.ValueTypeI64, "0x1_0", 0, true},
		{api.ValueTypeF32, "1.5", uint64(math.Float32bits(1.5)), false},
		{api.ValueTypeF32, "-inf", uint64(math.Float32bits(float32(math.Inf(-1)))), false},
		{api.ValueTypeF64, "0.1", math.Float64bits(0.1), false},
		{api.ValueTypeF64, "1e400", 0, true},
		{api.ValueTypeF64, "x", 0, true},
		{api.ValueTypeV128, "0", 0, true},
		{api.ValueTypeExternref, "0", 0, true},
	}
	for _, tt := range tests {
		t.Run(api.ValueTypeName(tt.t)+"/"+tt.in, func(t *testing.T) {
			got, err := parseParam(tt.t, tt.in)
			if (err != nil) != tt.err || (err == nil && got != tt.want) {
				t.Fatalf("got %#x, %v; want %#x, error %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := parseParams([]api.ValueType{api.ValueTypeI32, api.ValueTypeF64}, []string{"1"}); err == nil ||
		!strings.Contains(err.Error(), "1 given, the function takes 2 (i32, f64)") {
		t.Fatalf("too few arguments: %v", err)
	}
	if got, err := parseParams([]api.ValueType{api.ValueTypeI32}, []string{"1", "extra"}); err != nil || !reflect.DeepEqual(got, []uint64{1}) {
		t.Fatalf("extra arguments: %v, %v", got, err)
	}
}

func TestFormatResults(t *testing.T) {
	f32 := func(f float32) uint64 { return uint64(math.Float32bits(f)) }
	tests := []struct {
		name    string
		types   []api.ValueType
		results []uint64
		want    []string
	}{
		{"integers are signed", []api.ValueType{api.ValueTypeI32, api.ValueTypeI64}, []uint64{0xffffffff, 1 << 63},
			[]string{"-1", "-9223372036854775808"}},
		{"floats without exponent", []api.ValueType{api.ValueTypeF32, api.ValueTypeF64, api.ValueTypeF64, api.ValueTypeF32},
			[]uint64{f32(1.5), math.Float64bits(1e21), math.Float64bits(1), f32(0.1)},
			[]string{"1.5", "1000000000000000000000", "1", "0.1"}},
		{"special floats", []api.ValueType{api.ValueTypeF32, api.ValueTypeF64, api.ValueTypeF64, api.ValueTypeF64},
			[]uint64{f32(float32(math.NaN())), math.Float64bits(math.Inf(1)), math.Float64bits(math.Inf(-1)), math.Float64bits(math.Copysign(0, -1))},
			[]string{"NaN", "inf", "-inf", "-0"}},
		{"v128 is one unsigned integer", []api.ValueType{api.ValueTypeV128, api.ValueTypeI32}, []uint64{1, 1, 7},
			[]string{"18446744073709551617", "7"}},
		{"references", []api.ValueType{api.ValueTypeFuncref, api.ValueTypeFuncref, api.ValueTypeExternref, api.ValueTypeExternref},
			[]uint64{0, 0x1234, 0, 5},
			[]string{"<null funcref>", "<funcref>", "<null externref>", "<externref>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatResults(tt.types, tt.results); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzParseParam parses arbitrary --invoke arguments: an integer prints
// as the value it was parsed to.
func FuzzParseParam(f *testing.F) {
	f.Add("0x7fffffff")
	types := []api.ValueType{api.ValueTypeI32, api.ValueTypeI64, api.ValueTypeF32, api.ValueTypeF64, api.ValueTypeV128}
	f.Fuzz(func(t *testing.T, param string) {
		for _, ty := range types {
			v, err := parseParam(ty, param)
			if err != nil || ty == api.ValueTypeF32 || ty == api.ValueTypeF64 {
				continue
			}
			back, err := parseParam(ty, FormatResults([]api.ValueType{ty}, []uint64{v})[0])
			if err != nil || back != v {
				t.Fatalf("%s %q: parsed %#x, printed and parsed again %#x, %v", api.ValueTypeName(ty), param, v, back, err)
			}
		}
	})
}
