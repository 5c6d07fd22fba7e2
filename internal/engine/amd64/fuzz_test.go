package amd64

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

// FuzzTiers runs the differential comparison of TestTiersAgreeOnSpecModules
// on inputs the fuzzer chooses. The first byte picks how the rest is
// read:
//
//   - fuzzPick: bytes 1-2 pick a spec module; the rest are argument bytes.
//   - fuzzMutate: bytes 1-2 pick a spec module, byte 3 says how many
//     function body bytes to change, then 4 bytes per change (function,
//     position, how); the rest are argument bytes. A change that makes
//     the module invalid skips the input.
//   - fuzzRaw: the rest is a module binary, called with zeros, ones and
//     minus ones.
//
// Inputs that do not make a valid, instantiable module are skipped;
// only a difference between the tiers fails.
func FuzzTiers(f *testing.F) { fuzzTiers(f, nil) }

// FuzzVMTiers is FuzzTiers with the compiled tier's code running in
// micro-VMs.
func FuzzVMTiers(f *testing.F) {
	e := vmEngine(f, diffStackBytes)
	fuzzTiers(f, func() tier { return engineTier("micro-vm", e) })
}

// fuzzTiers is FuzzTiers against compiled, the compiled tier's side
// (nil: in-process).
func fuzzTiers(f *testing.F, compiled func() tier) {
	mods := cachedSpecModules(f)
	index := map[string]int{}
	for i, sm := range mods {
		name, _, _ := strings.Cut(sm.where[strings.LastIndexByte(sm.where, ' ')+1:], ".wasm")
		index[name] = i
	}
	args := []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0xc0, 0x7f, 3, 0, 1, 0, 0, 0, 0, 0x80}
	for _, name := range []string{"i32.0", "i64.0", "f32.0", "f64.0", "conversions.0", "memory.0", "call_indirect.0",
		"br_table.0", "float_exprs.0", "simd_i32x4_arith.0", "simd_f32x4.0", "load.0", "left-to-right.0"} {
		i, ok := index[name]
		if !ok {
			continue
		}
		pick := []byte{fuzzPick, byte(i), byte(i >> 8)}
		f.Add(append(pick, args...))
		mut := []byte{fuzzMutate, byte(i), byte(i >> 8), 2, 0, 5, 0, 0, 1, 9, 0, 1}
		f.Add(append(mut, args...))
		f.Add(append([]byte{fuzzRaw}, mods[i].bin...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		in, ok := fuzzInput(mods, data)
		if !ok {
			return
		}
		d := &differ{where: in.where, max: 10}
		diffModule(d, in.m, diffOptions{timeout: 100 * time.Millisecond, vectors: in.vectors, maxReports: 10,
			stackLimitsMayDiffer: true, compiled: compiled})
		for _, r := range d.reports {
			t.Error(r)
		}
	})
}

// The modes of FuzzTiers's first byte (modulo 3).
const (
	fuzzPick = iota
	fuzzMutate
	fuzzRaw
)

// fuzzCase is a module and the arguments to call its exports with.
type fuzzCase struct {
	where   string
	m       *wasm.Module
	vectors func(export string, ft *wasm.FuncType) [][]uint64
}

// fuzzInput reads data as FuzzTiers describes.
func fuzzInput(mods []specModule, data []byte) (fuzzCase, bool) {
	mode := data[0] % 3
	if mode == fuzzRaw {
		m, ok := decodeValid(data[1:])
		if !ok {
			return fuzzCase{}, false
		}
		return fuzzCase{where: fmt.Sprintf("module of %d bytes", len(data)-1), m: m,
			vectors: func(name string, ft *wasm.FuncType) [][]uint64 {
				v := specVectors(name, ft)
				return v[:min(3, len(v))]
			}}, true
	}
	sm := &mods[int(binary.LittleEndian.Uint16(data[1:3]))%len(mods)]
	rest := data[3:]
	c := fuzzCase{where: sm.where, m: sm.m}
	if mode == fuzzMutate {
		if len(rest) == 0 {
			return fuzzCase{}, false
		}
		n := int(rest[0]%8) + 1
		rest = rest[1:]
		if len(rest) < 4*n {
			return fuzzCase{}, false
		}
		m, changes, ok := mutateBodies(sm.m, rest[:4*n])
		if !ok {
			return fuzzCase{}, false
		}
		rest = rest[4*n:]
		c.m = m
		c.where += " with " + changes
	}
	c.vectors = bytesVectors(rest)
	return c, true
}

// mutateBodies returns a copy of m with function body bytes changed as
// edits (4 bytes each: function, position (2), how) say, if it is still
// valid, and the changes as text.
func mutateBodies(m *wasm.Module, edits []byte) (*wasm.Module, string, bool) {
	if len(m.Codes) == 0 {
		return nil, "", false
	}
	mc := *m
	mc.Codes = append([]wasm.Code(nil), m.Codes...)
	copied := map[int]bool{}
	var changes []string
	for e := edits; len(e) >= 4; e = e[4:] {
		fi := int(e[0]) % len(mc.Codes)
		body := mc.Codes[fi].Body
		if len(body) < 2 {
			continue
		}
		if !copied[fi] {
			body = append([]byte(nil), body...)
			mc.Codes[fi].Body = body
			copied[fi] = true
		}
		pos := int(binary.LittleEndian.Uint16(e[1:3])) % (len(body) - 1) // never the final end
		old, how := body[pos], e[3]
		switch how % 4 {
		case 0:
			body[pos]++
		case 1:
			body[pos]--
		case 2:
			body[pos] ^= 1 << (how >> 5)
		case 3:
			body[pos] = how
		}
		changes = append(changes, fmt.Sprintf("func %d body[%d] %#02x->%#02x", int(mc.NumImportedFuncs())+fi, pos, old, body[pos]))
	}
	if err := validate.Module(&mc, nil); err != nil {
		return nil, "", false
	}
	return &mc, strings.Join(changes, ", "), true
}

// bytesVectors returns argument lists made of b: one that takes each
// param's bytes from b in turn (from a place that depends on the
// export, so that exports see different values), and one of edge values
// that b's first byte picks.
func bytesVectors(b []byte) func(string, *wasm.FuncType) [][]uint64 {
	return func(name string, ft *wasm.FuncType) [][]uint64 {
		if len(ft.Params) == 0 {
			return [][]uint64{nil}
		}
		h := fnv.New32a()
		h.Write([]byte(name))
		at := 0
		if len(b) > 0 {
			at = int(h.Sum32()) % len(b)
		}
		next := func(n int) uint64 {
			var v uint64
			for i := range n {
				if len(b) > 0 {
					v |= uint64(b[at%len(b)]) << (8 * i)
					at++
				}
			}
			return v
		}
		fromBytes := vectorOf(ft, func(_ int, t wasm.ValueType) [2]uint64 {
			switch t {
			case wasm.ValueTypeI32, wasm.ValueTypeF32:
				return [2]uint64{next(4)}
			case wasm.ValueTypeV128:
				return [2]uint64{next(8), next(8)}
			case wasm.ValueTypeFuncref:
				return [2]uint64{}
			}
			return [2]uint64{next(8)}
		})
		k := 0
		if len(b) > 0 {
			k = int(b[0])
		}
		edges := vectorOf(ft, func(i int, t wasm.ValueType) [2]uint64 { return edgeOf(t, k+i) })
		return [][]uint64{fromBytes, edges}
	}
}
