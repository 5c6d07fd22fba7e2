package testshared

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// EnvVar names the setting that points at the shared directory.
const EnvVar = "WASMVISOR_SHARED"

// Dir returns the shared directory, or fails or skips t as described in
// the package comment.
func Dir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(EnvVar); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("%s=%s: %v", EnvVar, dir, err)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	dir := filepath.Join(moduleRoot(), "..", "shared")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared test data not found at %s; set %s", dir, EnvVar)
	}
	return dir
}

// Path returns a path inside the shared directory.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Dir(t)}, elem...)...)
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
