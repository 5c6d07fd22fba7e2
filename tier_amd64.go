package wasmvisor

import (
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/engine/amd64"
)

// On x86-64 the compiled tier is built in.
func init() {
	compiledTier = func(maxStackBytes int) (engine.Engine, error) {
		return amd64.New(amd64.Config{MaxStackBytes: maxStackBytes}), nil
	}
}
