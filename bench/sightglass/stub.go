package sightglass

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
)

// benchImport matches an import of bench.start or bench.end in the text
// format as wasm2wat writes it, one import per line:
//
//	(import "bench" "start" (func $name (type $t1)))
var benchImport = regexp.MustCompile(`(?m)^\s*\(import "bench" "(?:start|end)" \(func (\S+) (\(type \S+\))\)\)\n`)

// stubBenchImports turns the bench.start and bench.end imports of a
// module in the text format into empty functions of the same type. The
// functions keep their names, and wasm2wat --generate-names names every
// function, so the calls still reach them although the indices move.
func stubBenchImports(wat []byte) ([]byte, error) {
	var stubs [][]byte
	out := benchImport.ReplaceAllFunc(wat, func(m []byte) []byte {
		sub := benchImport.FindSubmatch(m)
		stubs = append(stubs, fmt.Appendf(nil, "  (func %s %s)\n", sub[1], sub[2]))
		return nil
	})
	if len(stubs) != 2 {
		return nil, fmt.Errorf("found %d imports of bench.start and bench.end, want 2", len(stubs))
	}
	end := bytes.LastIndexByte(out, ')')
	if end < 0 {
		return nil, fmt.Errorf("no closing parenthesis in the module text")
	}
	res := append([]byte(nil), out[:end]...)
	for _, s := range stubs {
		res = append(res, s...)
	}
	return append(res, out[end:]...), nil
}

// StubPrograms writes, under dir, a copy of each program whose bench
// imports are empty functions, since the CLIs run a single module with
// WASI only, and returns the programs with Wasm pointing at the copies
// (same file names, so the guests see the same argv[0]). It needs
// wabt's wasm2wat and wat2wasm, which translate the module exactly,
// instruction for instruction.
func StubPrograms(progs []Program, dir string) ([]Program, error) {
	out := make([]Program, len(progs))
	for i, p := range progs {
		wat, err := command("wasm2wat", "--enable-all", "--generate-names", p.Wasm)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		stubbed, err := stubBenchImports(wat)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		sub := filepath.Join(dir, p.Name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		watPath := filepath.Join(sub, "stubbed.wat")
		if err := os.WriteFile(watPath, stubbed, 0o644); err != nil {
			return nil, err
		}
		p.Wasm = filepath.Join(sub, filepath.Base(p.Wasm))
		if _, err := command("wat2wasm", "--enable-all", watPath, "-o", p.Wasm); err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		out[i] = p
	}
	return out, nil
}

// command runs a tool and returns its standard output.
func command(name string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}
