package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/serve/store"
)

// wasmvisorBin is the binary under test, built once by TestMain.
var wasmvisorBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasmvisor-serve-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wasmvisorBin = filepath.Join(dir, "wasmvisor")
	build := exec.Command("go", "build", "-o", wasmvisorBin, "./cmd/wasmvisor")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building wasmvisor: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary with args and returns its stdout, failing the test
// if it fails.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(wasmvisorBin, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("wasmvisor %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// addTenant adds a tenant with the CLI and returns its token, the last
// line of the command's output (the contract scripts rely on).
func addTenant(t *testing.T, data, name string, flags ...string) string {
	t.Helper()
	out := strings.TrimRight(cli(t, append([]string{"serve", "tenant", "add", name, "--data", data}, flags...)...), "\n")
	return out[strings.LastIndexByte(out, '\n')+1:]
}

// daemon is a `wasmvisor serve` process.
type daemon struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
	err  error         // how it exited, after done
	log  *bytes.Buffer // its stderr, after done
}

// startDaemon starts `wasmvisor serve` on data at a port of the
// system's choosing, which it learns from the daemon's log.
func startDaemon(t *testing.T, data string, flags ...string) *daemon {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0", "--isolation", "process"}, flags...)
	cmd := exec.Command(wasmvisorBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, done: make(chan struct{}), log: new(bytes.Buffer)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			d.log.WriteString(line + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				addr <- rec.Addr
			}
		}
		d.err = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-d.done
	})
	select {
	case a := <-addr:
		d.url = "http://" + a
	case <-d.done:
		t.Fatalf("the daemon exited: %v\n%s", d.err, d.log)
	case <-time.After(2 * time.Minute):
		t.Fatalf("the daemon did not start\n%s", d.log)
	}
	return d
}

// request sends a request with token ("" for none).
func request(ctx context.Context, method, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func TestDaemon_TenantCommands(t *testing.T) {
	data := t.TempDir()
	token := addTenant(t, data, "alice", "-W", "max-memory-size=1MiB,timeout=5s", "--max-runs", "3")
	if !strings.HasPrefix(token, "wvt_") {
		t.Errorf("token %q", token)
	}
	addTenant(t, data, "bob", "--isolation", "vm")
	list := cli(t, "serve", "tenant", "list", "--data", data)
	for _, want := range []string{"alice", "bob", "max-memory-size=1048576", "timeout=5s", "vm"} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q:\n%s", want, list)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(data, tenantsFile))
	if strings.Contains(string(raw), token) {
		t.Error("the tenants file holds the token itself")
	}
	tests := []struct {
		name string
		args []string
	}{
		{"duplicate", []string{"add", "alice"}},
		{"bad name", []string{"add", "Not/A-Name"}},
		{"bad policy", []string{"add", "carol", "-W", "no-such-key=1"}},
		{"bad isolation", []string{"add", "carol", "--isolation", "cloud"}},
		{"remove unknown", []string{"remove", "carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(wasmvisorBin, append(append([]string{"serve", "tenant"}, tt.args...), "--data", data)...)
			if out, err := cmd.CombinedOutput(); err == nil {
				t.Errorf("succeeded:\n%s", out)
			}
		})
	}
	cli(t, "serve", "tenant", "remove", "bob", "--data", data)
	if list := cli(t, "serve", "tenant", "list", "--data", data); strings.Contains(list, "bob") {
		t.Errorf("bob is still listed:\n%s", list)
	}
}

// TestDaemon_Curl drives the daemon as docs/SERVE.md shows, with curl.
func TestDaemon_Curl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	data := t.TempDir()
	token := addTenant(t, data, "alice")
	d := startDaemon(t, data)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--fail-with-body"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	auth := "Authorization: Bearer " + token
	var m struct{ ID string }
	json.Unmarshal([]byte(run("-X", "PUT", "-H", auth, "--data-binary", "@"+testdataPath("tool.wasm"), d.url+"/v1/modules")), &m)
	if !store.ValidID(m.ID) {
		t.Fatalf("upload gave id %q", m.ID)
	}
	out := run("-H", auth, "-d", `{"args": ["echo", "hi"], "stdin": "from curl"}`, d.url+"/v1/modules/"+m.ID+"/run")
	var res runResponse
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.ExitCode != 0 || res.Stdout != "arg hi\nfrom curl" || res.Trap != nil {
		t.Errorf("run: %s", out)
	}
	json.Unmarshal([]byte(run("-X", "PUT", "-H", auth, "--data-binary", "@testdata/hello.wasm", d.url+"/v1/modules")), &m)
	run("-H", auth, "-d", `{"path": "/hello", "module": "`+m.ID+`"}`, d.url+"/v1/routes")
	if out := run(d.url + "/hello"); out != "hello, world\n" {
		t.Errorf("GET /hello: %q", out)
	}
	if out := run(d.url + "/metrics"); !strings.Contains(out, `wasmvisor_runs_total{kind="wagi",outcome="exit",tenant="alice"} 1`) {
		t.Errorf("metrics lack the WAGI run:\n%s", out)
	}
}

// TestDaemon_GracefulShutdown stops the daemon with SIGTERM while a run
// is going: the run finishes and is answered, new connections are
// refused, and the daemon exits 0.
func TestDaemon_GracefulShutdown(t *testing.T) {
	data := t.TempDir()
	token := addTenant(t, data, "alice")
	d := startDaemon(t, data)
	ctx := context.Background()
	status, body, err := request(ctx, "PUT", d.url+"/v1/modules", token, readFile(t, "tool.wasm"))
	if err != nil || status != http.StatusCreated {
		t.Fatalf("upload: %d %s %v", status, body, err)
	}
	var m struct{ ID string }
	json.Unmarshal(body, &m)
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		// A run that lasts until its timeout: long enough for the
		// signal to arrive while it runs.
		s, b, err := request(ctx, "POST", d.url+"/v1/modules/"+m.ID+"/run", token, []byte(`{"args": ["loop"], "timeout_ms": 3000}`))
		answered <- answer{s, b, err}
	}()
	waitFor(t, func() bool {
		_, b, err := request(ctx, "GET", d.url+"/metrics", "", nil)
		return err == nil && strings.Contains(string(b), "wasmvisor_instances_live 1")
	})
	d.cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, func() bool {
		_, _, err := request(ctx, "GET", d.url+"/healthz", "", nil)
		return err != nil // the listener is closed
	})
	a := <-answered
	var res runResponse
	if a.err != nil || a.status != http.StatusOK || json.Unmarshal(a.body, &res) != nil || res.Trap == nil || *res.Trap != "timeout" {
		t.Errorf("the run in progress: %d %s %v", a.status, a.body, a.err)
	}
	<-d.done
	if d.err != nil {
		t.Errorf("the daemon exited with %v\n%s", d.err, d.log)
	}
}

// TestDaemon_KillDuringUploads kills the daemon with SIGKILL while
// uploads are going, several times, and checks after each restart that
// every upload it acknowledged is there, whole, and nothing else is.
func TestDaemon_KillDuringUploads(t *testing.T) {
	data := t.TempDir()
	token := addTenant(t, data, "alice", "--max-modules", "0", "--max-bytes", "0")
	var acked []string
	seq := 0
	for round := range 3 {
		d := startDaemon(t, data, "--max-compiles", "8")
		ctx, cancel := context.WithCancel(context.Background())
		before := len(acked)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					mu.Lock()
					seq++
					bin := customModule(seq, 256<<10)
					mu.Unlock()
					status, body, err := request(ctx, "PUT", d.url+"/v1/modules", token, bin)
					if err != nil {
						return // the daemon died
					}
					if status == http.StatusTooManyRequests {
						continue // another worker's turn; this module is dropped
					}
					if status != http.StatusCreated {
						t.Errorf("worker %d: %d %s", w, status, body)
						return
					}
					var m struct{ ID string }
					json.Unmarshal(body, &m)
					mu.Lock()
					acked = append(acked, m.ID)
					mu.Unlock()
				}
			})
		}
		// Kill once some uploads were acknowledged, with others under way.
		waitFor(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(acked) >= before+10
		})
		d.cmd.Process.Kill()
		<-d.done
		cancel()
		wg.Wait()

		d = startDaemon(t, data)
		status, body, err := request(context.Background(), "GET", d.url+"/v1/modules", token, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("list: %d %v", status, err)
		}
		var list struct{ IDs []string }
		json.Unmarshal(body, &list)
		have := map[string]bool{}
		for _, id := range list.IDs {
			have[id] = true
		}
		for _, id := range acked {
			if !have[id] {
				t.Errorf("round %d: acknowledged module %s lost", round, id)
			}
		}
		// Whatever is listed is whole: its blob matches its name (a
		// run reads it back) and no other file is in the store.
		blobs, _ := os.ReadDir(filepath.Join(data, "blobs"))
		if len(blobs) != len(list.IDs) {
			t.Errorf("round %d: %d blobs for %d modules", round, len(blobs), len(list.IDs))
		}
		for _, id := range list.IDs {
			status, body, err := request(context.Background(), "POST", d.url+"/v1/modules/"+id+"/run", token, nil)
			if err != nil || status != http.StatusOK {
				t.Errorf("round %d: running %s: %d %s %v", round, id, status, body, err)
			}
		}
		d.cmd.Process.Kill()
		<-d.done
	}
	t.Logf("%d uploads acknowledged over 3 kills", len(acked))
}

// customModule returns a valid module of about size bytes, different
// for each n: an empty module with a custom section.
func customModule(n, size int) []byte {
	return withCustomSection([]byte("\x00asm\x01\x00\x00\x00"), n, size)
}

// withCustomSection returns module bin with a custom section of about
// size bytes, different for each n, appended.
func withCustomSection(bin []byte, n, size int) []byte {
	payload := append([]byte{1, 'x'}, bytes.Repeat([]byte(fmt.Sprintf("%08d", n)), size/8)...)
	b := append(slices.Clip(bin), 0)
	for v := uint32(len(payload)); ; v >>= 7 { // LEB128
		if v < 0x80 {
			b = append(b, byte(v))
			break
		}
		b = append(b, byte(v&0x7f|0x80))
	}
	return append(b, payload...)
}
