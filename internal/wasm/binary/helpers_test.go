package binary

import (
	"reflect"

	"github.com/wasmvisor/wasmvisor/internal/leb128"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// bin returns a module binary: the header followed by parts.
func bin(parts ...string) []byte {
	b := []byte(magic + version)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// sec returns a section with the given id whose size is its payload's.
func sec(id wasm.SectionID, payload ...string) string {
	var p string
	for _, s := range payload {
		p += s
	}
	return string(byte(id)) + u32(uint32(len(p))) + p
}

// u32 returns the minimal unsigned LEB128 encoding of v.
func u32(v uint32) string { return string(leb128.AppendUint32(nil, v)) }

// str returns a name: its length, then its bytes.
func str(s string) string { return u32(uint32(len(s))) + s }

// vec returns a vector: its length, then its entries.
func vec(entries ...string) string {
	s := u32(uint32(len(entries)))
	for _, e := range entries {
		s += e
	}
	return s
}

// Common binary fragments.
const (
	typeVoid  = "\x60\x00\x00" // [] -> []
	i32Const0 = "\x41\x00\x0b" // i32.const 0; end
)

// normalize makes modules comparable regardless of where their parts
// were in a binary: it zeroes every byte offset and size, drops
// Sections, and turns empty slices and maps into nil. It changes m in
// place and returns it.
func normalize(m *wasm.Module) *wasm.Module {
	m.Sections = nil
	m.Size = 0
	normalizeValue(reflect.ValueOf(m).Elem())
	return m
}

func normalizeValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normalizeValue(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Field(i)
			name := v.Type().Field(i).Name
			if (name == "Offset" || name == "BodyOffset") && f.Kind() == reflect.Uint64 {
				f.SetUint(0)
				continue
			}
			normalizeValue(f)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := range v.Len() {
			normalizeValue(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			normalizeValue(e)
			v.SetMapIndex(k, e)
		}
	}
}
