package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// crictlVersion is the cri-tools release the CRI test builds crictl
// from where it is not installed (Debian has no package of it).
const crictlVersion = "v1.37.0"

var (
	crictlOnce sync.Once
	crictlPath string
	crictlErr  error
)

// needCrictl returns a crictl: on PATH, built before, or built now with
// `go install` into the user's cache directory (once per machine; about
// two minutes from an empty module cache, so not under -short).
func needCrictl(t *testing.T) string {
	t.Helper()
	crictlOnce.Do(func() {
		if p, err := exec.LookPath("crictl"); err == nil {
			crictlPath = p
			return
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		bin := filepath.Join(cache, "wasmvisor-test", "crictl-"+crictlVersion)
		crictlPath = filepath.Join(bin, "crictl")
		if _, err := os.Stat(crictlPath); err == nil {
			return
		}
		if testing.Short() {
			crictlErr = fmt.Errorf("skip: no crictl on PATH and -short: go install sigs.k8s.io/cri-tools/cmd/crictl@%s", crictlVersion)
			return
		}
		cmd := exec.Command("go", "install", "sigs.k8s.io/cri-tools/cmd/crictl@"+crictlVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			crictlErr = fmt.Errorf("skip: building crictl: %v\n%s", err, out)
		}
	})
	if crictlErr != nil {
		t.Skip(strings.TrimPrefix(crictlErr.Error(), "skip: "))
	}
	return crictlPath
}

// cri runs crictl against d's CRI plugin.
type cri struct {
	t      *testing.T
	bin    string
	config string
	dir    string
}

func (c *cri) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, c.bin, append([]string{"--config", c.config}, args...)...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), fmt.Errorf("crictl %s: %v: %s", strings.Join(args, " "), err, ee.Stderr)
	}
	return strings.TrimSpace(string(out)), err
}

func (c *cri) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	return out
}

// file writes v as JSON in the test's directory and returns its path.
func (c *cri) file(name string, v any) string {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// inspect returns a container's state and exit code.
func (c *cri) inspect(id string) (state string, exitCode int) {
	c.t.Helper()
	var v struct {
		Status struct {
			State    string `json:"state"`
			ExitCode int    `json:"exitCode"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(c.must("inspect", id)), &v); err != nil {
		c.t.Fatal(err)
	}
	return v.Status.State, v.Status.ExitCode
}

// TestContainerdCRI runs a pod on wasmvisor the way kubelet does,
// through the CRI plugin with runtime handler wasmvisor: the pod's
// sandbox (served by the shim without a program, see doc.go) and
// containers in it that print, exit with a status, refuse exec and are
// stopped; then it removes them all and checks that no shim is left.
func TestContainerdCRI(t *testing.T) {
	d := needDaemon(t)
	c := &cri{t: t, bin: needCrictl(t), dir: t.TempDir()}
	c.config = filepath.Join(c.dir, "crictl.yaml")
	endpoint := "unix://" + d.socket
	if err := os.WriteFile(c.config, []byte(fmt.Sprintf("runtime-endpoint: %s\nimage-endpoint: %s\ntimeout: 30\n", endpoint, endpoint)), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(c.dir, "logs")
	pod := c.file("pod.json", map[string]any{
		"metadata":      map[string]any{"name": "wasm", "namespace": "default", "uid": "wasm-pod-uid"},
		"log_directory": logs,
		// The node's network: the test sets up no CNI network, and a
		// Wasm program's sockets are the shim's anyway.
		"linux": map[string]any{"security_context": map[string]any{"namespace_options": map[string]any{"network": 2}}},
	})
	podID := c.must("runp", "--runtime", "wasmvisor", pod)
	defer func() {
		c.run("stopp", podID)
		c.run("rmp", "-f", podID)
	}()
	container := func(name string, command []string, env map[string]string) string {
		var envs []map[string]string
		for k, v := range env {
			envs = append(envs, map[string]string{"key": k, "value": v})
		}
		cfg := c.file(name+".json", map[string]any{
			"metadata": map[string]any{"name": name},
			"image":    map[string]any{"image": plainImage},
			"command":  command,
			"envs":     envs,
			"log_path": name + ".log",
		})
		id := c.must("create", podID, cfg, pod)
		c.must("start", id)
		return id
	}
	waitExited := func(id string) int {
		var code int
		waitFor(t, func() bool {
			var state string
			state, code = c.inspect(id)
			return state == "CONTAINER_EXITED"
		}, "the container to exit")
		return code
	}

	hello := container("hello", []string{"/prog.wasm", "echo", "cri"}, map[string]string{"WV_POD": "yes"})
	if code := waitExited(hello); code != 0 {
		t.Errorf("hello: exit code %d", code)
	}
	if out := c.must("logs", hello); out != "args=cri\nWV_POD=yes" {
		t.Errorf("hello's log: %q", out)
	}
	failing := container("failing", []string{"/prog.wasm", "exit", "3"}, nil)
	if code := waitExited(failing); code != 3 {
		t.Errorf("failing: exit code %d, want 3", code)
	}

	sleeper := container("sleeper", []string{"/prog.wasm", "sleep"}, nil)
	waitFor(t, func() bool { s, _ := c.inspect(sleeper); return s == "CONTAINER_RUNNING" }, "the sleeper to run")
	if pids := shimProcesses(); len(pids) != 1 {
		t.Errorf("%d shim processes serve the pod, want 1: %v", len(pids), pids)
	}
	if out, err := c.run("exec", sleeper, "/prog.wasm", "hello"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("exec: %v, %q; want an error saying exec is not supported", err, out)
	}
	if out, err := c.run("stats", "-o", "json", sleeper); err != nil || !strings.Contains(out, "memory") {
		t.Errorf("stats: %v\n%s", err, out)
	}
	c.must("stop", "-t", "10", sleeper)
	if code := waitExited(sleeper); code != 143 {
		t.Errorf("sleeper stopped: exit code %d, want 143", code)
	}

	for _, id := range []string{hello, failing, sleeper} {
		c.must("rm", id)
	}
	c.must("stopp", podID)
	c.must("rmp", podID)
	waitFor(t, func() bool { return len(shimProcesses()) == 0 }, "the pod's shim to exit")
}
