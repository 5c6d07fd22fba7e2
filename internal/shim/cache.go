package shim

import (
	"os"
	"path/filepath"
)

// cacheDir is the compilation cache every shim on the machine shares,
// so that the second container of an image, in this shim or another,
// starts from stored machine code: $WASMVISOR_CACHE_DIR if set, else
// wasmvisor in the user's cache directory (what `wasmvisor run` uses),
// else /var/cache/wasmvisor, since a containerd started by systemd
// gives its shims no HOME.
func cacheDir() string {
	if d := os.Getenv("WASMVISOR_CACHE_DIR"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "wasmvisor")
	}
	return "/var/cache/wasmvisor"
}
