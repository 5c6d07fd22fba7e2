package sightglass

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// nodeEngine is Node.js (V8: Liftoff, then TurboFan for hot functions)
// with its own WASI (node:wasi, preview1), the peer a developer most
// likely has installed. It runs node.mjs in a process of its own; the
// times node.mjs reports are taken from that process's start, so its
// compile time includes Node's start-up, as a user waits for it.
var nodeEngine = &Engine{
	Name:  "node",
	About: "Node.js (V8) with node:wasi preview1, node.mjs in this folder",
	run:   nodeRun,
	cli: func(t Tools, wasm string) []string {
		return []string{"sh", "-c", `exec node --no-warnings --input-type=module --eval "$0" "$1" 4<"$1"`, nodeScript, wasm}
	},
}

//go:embed node.mjs
var nodeScript string

// nodeReport is what node.mjs writes to descriptor 3.
type nodeReport struct {
	Compiled, Start, End float64 // ms since the process started
	Starts, Ends         int
	Code                 uint32
}

func nodeRun(ctx context.Context, bin []byte, env runEnv) (uint32, error) {
	report, err := os.CreateTemp("", "sightglass-node-*.json")
	if err != nil {
		return 0, err
	}
	defer os.Remove(report.Name())
	defer report.Close()
	module, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.CommandContext(ctx, "node", append([]string{"--no-warnings", "--input-type=module", "--eval", nodeScript, "--"}, env.args...)...)
	cmd.Stdout, cmd.Stderr = env.stdout, env.stderr
	cmd.Env = append(os.Environ(), "SIGHTGLASS_NODE_REPORT=1")
	cmd.ExtraFiles = []*os.File{report, module} // descriptors 3 and 4
	began := time.Now()
	if err := cmd.Start(); err != nil {
		module.Close()
		w.Close()
		return 0, fmt.Errorf("starting node: %w", err)
	}
	module.Close()
	_, werr := w.Write(bin)
	w.Close()
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("node: %w", err)
	}
	if werr != nil {
		return 0, fmt.Errorf("sending the module to node: %w", werr)
	}
	out, err := os.ReadFile(report.Name())
	if err != nil {
		return 0, err
	}
	var r nodeReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return 0, fmt.Errorf("node's report %q: %w", out, err)
	}
	at := func(ms float64) time.Time { return began.Add(time.Duration(ms * float64(time.Millisecond))) }
	env.marks.mu.Lock()
	env.marks.compiled = at(r.Compiled)
	env.marks.mu.Unlock()
	for range r.Starts {
		env.marks.benchStart()
	}
	for range r.Ends {
		env.marks.benchEnd()
	}
	env.marks.mu.Lock()
	env.marks.start, env.marks.end = at(r.Start), at(r.End)
	env.marks.mu.Unlock()
	return r.Code, nil
}
