package testshared

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// SpecModule is one binary module that a spec test script (wast2json
// form) names, with what the script expects of it.
type SpecModule struct {
	Script     string // the script's file name, e.g. "binary.json"
	Type       string // the command: module, assert_invalid, assert_malformed, ...
	Line       int    // line of the command in the .wast source
	Filename   string // the module's file name, e.g. "binary.3.wasm"
	Text       string // the expected error, for assert_* commands
	ModuleType string // "binary" or "text" for assert_invalid/assert_malformed
	Path       string // absolute path of the module file
}

// Where names the module for test messages: "binary.json:12 binary.3.wasm".
func (s *SpecModule) Where() string {
	return s.Script + ":" + strconv.Itoa(s.Line) + " " + s.Filename
}

// SpecModules returns every module file named by the spec test scripts
// in testdata/spec/json, in script order.
func SpecModules(t testing.TB) []SpecModule {
	t.Helper()
	dir := Path(t, "testdata", "spec", "json")
	scripts, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatalf("no spec scripts in %s", dir)
	}
	var out []SpecModule
	for _, script := range scripts {
		raw, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Commands []struct {
				Type       string `json:"type"`
				Line       int    `json:"line"`
				Filename   string `json:"filename"`
				Text       string `json:"text"`
				ModuleType string `json:"module_type"`
			}
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		for _, c := range s.Commands {
			if !strings.HasSuffix(c.Filename, ".wasm") {
				continue
			}
			out = append(out, SpecModule{
				Script: filepath.Base(script), Type: c.Type, Line: c.Line, Filename: c.Filename,
				Text: c.Text, ModuleType: c.ModuleType, Path: filepath.Join(dir, c.Filename),
			})
		}
	}
	return out
}
