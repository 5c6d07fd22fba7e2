package spectest

import (
	"encoding/json"
	"fmt"
	"os"
)

// script is a wast2json file.
type script struct {
	SourceFilename string    `json:"source_filename"`
	Commands       []command `json:"commands"`
}

type command struct {
	Type       string  `json:"type"`
	Line       int     `json:"line"`
	Name       string  `json:"name"`
	Filename   string  `json:"filename"`
	As         string  `json:"as"`
	Action     *action `json:"action"`
	Expected   []value `json:"expected"`
	Text       string  `json:"text"`
	ModuleType string  `json:"module_type"`
}

type action struct {
	Type   string  `json:"type"` // invoke or get
	Module string  `json:"module"`
	Field  string  `json:"field"`
	Args   []value `json:"args"`
}

// value is an argument or expected result. Value is a decimal string of
// the unsigned bits, "nan:canonical"/"nan:arithmetic", "null", or for
// v128 a list of lanes.
type value struct {
	Type     string          `json:"type"`
	LaneType string          `json:"lane_type"`
	Value    json.RawMessage `json:"value"`
}

func readScript(path string) (*script, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s script
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// scalar returns a scalar value's string, or "" when it has none.
func (v value) scalar() string {
	var s string
	if len(v.Value) == 0 || json.Unmarshal(v.Value, &s) != nil {
		return ""
	}
	return s
}

// lanes returns a v128 value's lane strings.
func (v value) lanes() ([]string, error) {
	var l []string
	if err := json.Unmarshal(v.Value, &l); err != nil {
		return nil, fmt.Errorf("v128 value %s: %w", v.Value, err)
	}
	return l, nil
}
