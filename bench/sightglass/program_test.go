package sightglass

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"bz2/benchmark.wasm":                  "",
		"bz2/benchmark.stdout.expected":       "out\n",
		"bz2/benchmark.stderr.expected":       "",
		"richards/benchmark.wasm":             "",
		"shootout/shootout-a.wasm":            "",
		"shootout/shootout-a.stdout.expected": "a\n",
		"shootout/README":                     "not a program",
	})
	progs, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir      string
		stdout, stderr *string
	}{
		{"bz2", "bz2", ptr("out\n"), ptr("")},
		{"richards", "richards", nil, nil},
		{"shootout-a", "shootout", ptr("a\n"), nil},
	}
	if len(progs) != len(tests) {
		t.Fatalf("got %d programs, want %d: %+v", len(progs), len(tests), progs)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := progs[i]
			if p.Name != tt.name || p.Dir != filepath.Join(root, tt.dir) {
				t.Errorf("got %s in %s, want %s in %s", p.Name, p.Dir, tt.name, tt.dir)
			}
			for _, s := range []struct {
				stream string
				got    []byte
				want   *string
			}{{"stdout", p.Stdout, tt.stdout}, {"stderr", p.Stderr, tt.stderr}} {
				switch {
				case s.want == nil && s.got != nil:
					t.Errorf("%s: got %q, want no expectation", s.stream, s.got)
				case s.want != nil && (s.got == nil || string(s.got) != *s.want):
					t.Errorf("%s: got %q (nil %v), want %q", s.stream, s.got, s.got == nil, *s.want)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestDiscover_errors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"empty", map[string]string{"README": ""}, "no benchmarks"},
		{"same name twice", map[string]string{"x/benchmark.wasm": "", "y/x.wasm": ""}, "two benchmarks are named x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFiles(t, root, tt.files)
			_, err := Discover(root)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProgram_Check(t *testing.T) {
	tests := []struct {
		name             string
		wantOut, wantErr []byte
		stdout, stderr   string
		err              string
	}{
		{name: "equal", wantOut: []byte("a\nb\n"), wantErr: []byte{}, stdout: "a\nb\n"},
		{name: "no expectation", stdout: "anything", stderr: "at all"},
		{name: "second line", wantOut: []byte("a\nb\n"), stdout: "a\nc\n", err: `stdout differs at line 2: got "c\n", want "b\n"`},
		{name: "short", wantOut: []byte("a\nb\n"), stdout: "a\n", err: "stdout differs at line 2: got end of output"},
		{name: "long", wantOut: []byte("a\n"), stdout: "a\nb", err: `got "b", want end of output`},
		{name: "stderr must stay empty", wantErr: []byte{}, stderr: "panic\n", err: `stderr differs at line 1: got "panic\n"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Program{Stdout: tt.wantOut, Stderr: tt.wantErr}
			err := p.Check([]byte(tt.stdout), []byte(tt.stderr))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("got %v, want an error containing %q", err, tt.err)
			}
		})
	}
}
