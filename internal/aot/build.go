package aot

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// modulePath is wasmvisor's module, whose version identifies a build.
const modulePath = "github.com/wasmvisor/wasmvisor"

// BuildID identifies the code generator of this build, for cache keys
// and precompiled files: code made by one build is only ever loaded by
// the same. It is wasmvisor's module version where the build has a
// released one, the commit where it was built from a clean checkout,
// and otherwise a hash of the executable, so that a changed generator
// never meets code made by another.
func BuildID() string { return buildID() }

var buildID = sync.OnceValue(func() string {
	id := versionID()
	if id == "" {
		id = executableID()
	}
	return runtime.GOOS + "/" + runtime.GOARCH + "/" + runtime.Version() + "/" + id
})

// versionID returns wasmvisor's version or commit from the build's
// information, or "" where neither pins the code down.
func versionID() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	mod := &bi.Main
	if mod.Path != modulePath {
		mod = nil
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				mod = d
				break
			}
		}
		if mod == nil || mod.Replace != nil || mod.Version == "" || mod.Version == "(devel)" {
			return ""
		}
		return mod.Version + " " + mod.Sum
	}
	var rev string
	modified := true
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value != "false"
		}
	}
	if rev == "" || modified {
		return ""
	}
	return "rev " + rev
}

// executableID hashes the running executable, or, where it cannot be
// read, returns a value unique to the process, which makes every stored
// entry of another process a miss.
func executableID() string {
	h := sha256.New()
	if err := hashFile(h); err != nil {
		var b [16]byte
		rand.Read(b[:])
		return "process " + hex.EncodeToString(b[:])
	}
	return "exe " + hex.EncodeToString(h.Sum(nil))
}

func hashFile(w io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
