package sightglass

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Program is one sightglass benchmark: a WASI command that calls the
// imports bench.start and bench.end around the work it measures.
type Program struct {
	// Name is the benchmark's directory name, or, for the shootout
	// programs that share one directory, the file name without ".wasm".
	Name string
	// Dir is the working directory the program expects, preopened as ".".
	Dir string
	// Wasm is the path of the binary.
	Wasm string
	// Stdout and Stderr are the expected output; nil where the benchmark
	// has no expected file for that stream, so any output is accepted.
	Stdout, Stderr []byte
}

// Discover returns the programs under root (every root/*/*.wasm), sorted
// by name, with their expected output read from NAME.stdout.expected and
// NAME.stderr.expected beside each binary.
func Discover(root string) ([]Program, error) {
	bins, err := filepath.Glob(filepath.Join(root, "*", "*.wasm"))
	if err != nil {
		return nil, fmt.Errorf("listing benchmarks in %s: %w", root, err)
	}
	if len(bins) == 0 {
		return nil, fmt.Errorf("no benchmarks (*/*.wasm) in %s", root)
	}
	var progs []Program
	for _, bin := range bins {
		dir := filepath.Dir(bin)
		stem := strings.TrimSuffix(filepath.Base(bin), ".wasm")
		p := Program{Name: stem, Dir: dir, Wasm: bin}
		if stem == "benchmark" {
			p.Name = filepath.Base(dir)
		}
		if p.Stdout, err = readExpected(filepath.Join(dir, stem+".stdout.expected")); err != nil {
			return nil, err
		}
		if p.Stderr, err = readExpected(filepath.Join(dir, stem+".stderr.expected")); err != nil {
			return nil, err
		}
		progs = append(progs, p)
	}
	slices.SortFunc(progs, func(a, b Program) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(progs); i++ {
		if progs[i].Name == progs[i-1].Name {
			return nil, fmt.Errorf("two benchmarks are named %s: %s and %s", progs[i].Name, progs[i-1].Wasm, progs[i].Wasm)
		}
	}
	return progs, nil
}

// readExpected returns the file's content, or nil without error if it
// does not exist. An empty file yields an empty, non-nil slice: the
// stream must stay empty.
func readExpected(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading expected output: %w", err)
	case b == nil:
		return []byte{}, nil
	}
	return b, nil
}

// Check compares a run's output with the program's expected output.
func (p *Program) Check(stdout, stderr []byte) error {
	if p.Stdout != nil {
		if err := compare("stdout", stdout, p.Stdout); err != nil {
			return err
		}
	}
	if p.Stderr != nil {
		if err := compare("stderr", stderr, p.Stderr); err != nil {
			return err
		}
	}
	return nil
}

// compare reports where got first differs from want, line by line, so
// that a wrong result in a long output is easy to find.
func compare(stream string, got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	gl, wl := lines(got), lines(want)
	for i := range max(len(gl), len(wl)) {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return fmt.Errorf("%s differs at line %d: got %s, want %s (%d bytes, want %d)",
				stream, i+1, quoteLine(g), quoteLine(w), len(got), len(want))
		}
	}
	return fmt.Errorf("%s differs: %d bytes, want %d", stream, len(got), len(want))
}

// lines splits b after each newline; a final newline starts no line.
func lines(b []byte) [][]byte {
	l := bytes.SplitAfter(b, []byte("\n"))
	if len(l[len(l)-1]) == 0 {
		l = l[:len(l)-1]
	}
	return l
}

func quoteLine(b []byte) string {
	if b == nil {
		return "end of output"
	}
	const max = 80
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
