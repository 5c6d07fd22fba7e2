package launch

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestLimitCompileMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, tt := range []struct {
		name   string
		before int64
		module int
		want   int64
	}{
		{"large module", math.MaxInt64, 100 << 20, 175 << 20},
		{"small module", math.MaxInt64, 1 << 20, 64 << 20},
		{"GOMEMLIMIT set", 1 << 30, 100 << 20, 1 << 30},
	} {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetMemoryLimit(tt.before)
			restore := limitCompileMemory(tt.module)
			if got := debug.SetMemoryLimit(-1); got != tt.want {
				t.Errorf("limit %d, want %d", got, tt.want)
			}
			restore()
			if got := debug.SetMemoryLimit(-1); got != tt.before {
				t.Errorf("limit %d after the compile, want %d back", got, tt.before)
			}
		})
	}
}
