package launch

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor/api"
)

// parseParams converts the first len(types) program arguments to the
// parameters of an invoked function, in the API's uint64 encoding.
// Arguments beyond them stay the program's (argv) only.
func parseParams(types []api.ValueType, args []string) ([]uint64, error) {
	if len(args) < len(types) {
		names := make([]string, len(types))
		for i, t := range types {
			names[i] = api.ValueTypeName(t)
		}
		return nil, fmt.Errorf("not enough arguments: %d given, the function takes %d (%s)",
			len(args), len(types), strings.Join(names, ", "))
	}
	var out []uint64
	for i, t := range types {
		v, err := parseParam(t, args[i])
		if err != nil {
			return nil, fmt.Errorf("argument %d (%s): %w", i+1, api.ValueTypeName(t), err)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseParam parses one argument as a value of type t. Integers are
// decimal, signed or unsigned, or 0x-prefixed hexadecimal bit patterns;
// floats are decimal or hexadecimal, "inf", "-inf" or "nan", as wasmtime
// reads them.
func parseParam(t api.ValueType, s string) (uint64, error) {
	switch t {
	case api.ValueTypeI32:
		v, err := parseInt(s, 32)
		return uint64(uint32(v)), err
	case api.ValueTypeI64:
		return parseInt(s, 64)
	case api.ValueTypeF32:
		f, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid number %q", s)
		}
		return api.EncodeF32(float32(f)), nil
	case api.ValueTypeF64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid number %q", s)
		}
		return api.EncodeF64(f), nil
	}
	return 0, fmt.Errorf("cannot pass a %s from the command line", api.ValueTypeName(t))
}

// parseInt parses an integer of the given width in bits, returning its
// bit pattern.
func parseInt(s string, bits int) (uint64, error) {
	if hex, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		v, err := strconv.ParseUint(hex, 16, bits)
		if err != nil {
			return 0, fmt.Errorf("invalid %d-bit hexadecimal integer %q", bits, s)
		}
		return v, nil
	}
	if v, err := strconv.ParseInt(s, 10, bits); err == nil {
		return uint64(v), nil
	}
	v, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid %d-bit integer %q", bits, s)
	}
	return v, nil
}

// FormatResults formats a function's results one per line, as wasmtime
// prints them: integers signed, floats in shortest decimal form without
// exponent, v128 as one unsigned 128-bit integer, references by kind.
func FormatResults(types []api.ValueType, results []uint64) []string {
	var out []string
	for _, t := range types {
		if len(results) == 0 {
			break
		}
		v := results[0]
		results = results[1:]
		switch t {
		case api.ValueTypeI32:
			out = append(out, strconv.FormatInt(int64(int32(v)), 10))
		case api.ValueTypeI64:
			out = append(out, strconv.FormatInt(int64(v), 10))
		case api.ValueTypeF32:
			out = append(out, formatFloat(float64(api.DecodeF32(v)), 32))
		case api.ValueTypeF64:
			out = append(out, formatFloat(api.DecodeF64(v), 64))
		case api.ValueTypeV128:
			var hi uint64
			if len(results) > 0 {
				hi, results = results[0], results[1:]
			}
			n := new(big.Int).SetUint64(hi)
			n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(v))
			out = append(out, n.String())
		case api.ValueTypeFuncref, api.ValueTypeExternref:
			kind := api.ValueTypeName(t)
			if v == 0 {
				out = append(out, "<null "+kind+">")
			} else {
				out = append(out, "<"+kind+">")
			}
		default:
			out = append(out, fmt.Sprintf("<%s>", api.ValueTypeName(t)))
		}
	}
	return out
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}
