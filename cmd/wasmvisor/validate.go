package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/wasm/binary"
	"github.com/wasmvisor/wasmvisor/internal/wasm/validate"
)

func init() {
	register("validate", "check modules against WebAssembly 2.0 and the runtime policy", func(args []string) int {
		return validateMain(args, os.Stderr)
	})
}

// validateMain implements `wasmvisor validate [-W key=value]... FILE...`.
// Like wabt's wasm-validate it is quiet on success; each failure is one
// line "FILE: error" on stderr. The exit code is 0 when every file is
// valid, 1 when one is not, 2 for a usage error.
func validateMain(args []string, stderr io.Writer) int {
	opts := validate.NewOptions()
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(opts, "W", "set a policy limit or feature: `key=value` (repeatable, or comma-separated)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor validate [-W key=value]... FILE...\n\n"+
			"Decode each WebAssembly binary and validate it against the WebAssembly 2.0 spec\n"+
			"and the runtime policy that `wasmvisor run` applies. Prints nothing for valid\n"+
			"files and \"FILE: error\" for the others.\n\n"+
			"-W keys (sizes take suffixes KiB, MiB, GiB; limits take \"unlimited\"):\n%s",
			validate.KeysHelp())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	status := 0
	for _, file := range fs.Args() {
		if err := validateFile(file, &opts.Policy); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			status = 1
		}
	}
	return status
}

// validateFile decodes and validates one file under p.
func validateFile(file string, p *validate.Policy) error {
	data, err := readModule(file, p)
	if err != nil {
		return err
	}
	m, err := binary.Decode(data)
	if err != nil {
		return err
	}
	return validate.Module(m, p)
}

// readModule reads a module binary from file. The policy's size limit is
// applied before reading, so an oversized file is never loaded.
func readModule(file string, p *validate.Policy) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		if precompiled(f) {
			// The limit applies to the module inside, which
			// loading checks; the machine code beside it is larger.
			return io.ReadAll(f)
		}
		if err := p.CheckModuleSize(uint64(fi.Size())); err != nil {
			return nil, err
		}
	}
	// Pipes and devices have no size up front: read at most one byte more
	// than the limit, so that CheckModuleSize sees the excess.
	var r io.Reader = f
	if n, ok := p.MaxModuleSize.Value(); ok && n < 1<<62 {
		r = io.LimitReader(f, int64(n)+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if err := p.CheckModuleSize(uint64(len(data))); err != nil {
		return nil, err
	}
	return data, nil
}

// precompiled reports whether the regular file f is a precompiled
// module, leaving its offset at the start.
func precompiled(f *os.File) bool {
	var head [8]byte
	n, _ := f.ReadAt(head[:], 0)
	return wasmvisor.IsPrecompiled(head[:n])
}
