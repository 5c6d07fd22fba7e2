package amd64

import (
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

func TestPerfMapName(t *testing.T) {
	m := &wasm.Module{Names: &wasm.NameSection{FuncNames: map[uint32]string{
		0: "main.main", 1: "evil\n7f00 10 forged\r\x7f",
	}}}
	for _, tt := range []struct {
		i    uint32
		want string
	}{
		{0, "main.main"},
		{1, "evil?7f00 10 forged??"},
		{2, "wasm[2]"},
	} {
		if got := perfMapName(m, tt.i); got != tt.want {
			t.Errorf("function %d: %q, want %q", tt.i, got, tt.want)
		}
	}
}
