package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// testServer is a daemon serving on a loopback port, with its tenants'
// tokens.
type testServer struct {
	*Server
	url    string
	tokens map[string]string
}

// startServer starts a daemon on a new data directory holding tenants,
// running in this process (cfg.Isolation, by default).
func startServer(t *testing.T, cfg Config, tenants ...Tenant) *testServer {
	t.Helper()
	cfg.Data = t.TempDir()
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Isolation == wasmvisor.IsolationDefault {
		cfg.Isolation = wasmvisor.IsolationProcess
	}
	ts := &testServer{tokens: map[string]string{}}
	for _, tn := range tenants {
		token, err := AddTenant(cfg.Data, tn)
		if err != nil {
			t.Fatal(err)
		}
		ts.tokens[tn.Name] = token
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = s
	hs := httptest.NewServer(s.Handler())
	ts.url = hs.URL
	t.Cleanup(func() { hs.Close(); s.Close() })
	return ts
}

// do sends a request as tenant ("" for none) and returns the status and
// body.
func (ts *testServer) do(t *testing.T, tenant, method, path string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tenant != "" {
		token, ok := ts.tokens[tenant]
		if !ok {
			token = tenant // a token of the test's making
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out, resp.Header
}

// upload puts the module in testdata/file for tenant and returns its ID.
func (ts *testServer) upload(t *testing.T, tenant, file string) string {
	t.Helper()
	status, body, _ := ts.do(t, tenant, "PUT", "/v1/modules", readFile(t, file))
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("upload %s: %d %s", file, status, body)
	}
	var m struct{ ID string }
	json.Unmarshal(body, &m)
	return m.ID
}

// run runs module id as tenant with the request req.
func (ts *testServer) run(t *testing.T, tenant, id string, req runRequest) (int, runResponse) {
	t.Helper()
	b, _ := json.Marshal(req)
	status, body, _ := ts.do(t, tenant, "POST", "/v1/modules/"+id+"/run", b)
	var res runResponse
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
	}
	return status, res
}

// testdataPath returns where test program file is.
func testdataPath(file string) string {
	switch file {
	case "tool.wasm":
		return "../launch/testdata/tool.wasm"
	case "squares.wasm":
		return "../../testdata/preinit/squares.wasm"
	}
	return "testdata/" + file
}

// readFile reads a test program: from testdata, or, for tool.wasm (a
// command that echoes, exits and traps as its arguments say), from
// package launch's testdata, which tests the same runs, and for
// squares.wasm (a module pre-initialized at upload) from the root
// package's.
func readFile(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(testdataPath(file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServer_Modules(t *testing.T) {
	ts := startServer(t, Config{MaxModuleBytes: 100 << 10},
		Tenant{Name: "alice", Quotas: Quotas{Modules: 3}},
		Tenant{Name: "bob", Policy: "max-memory-size=65536,max-module-size=20000"})
	tool := readFile(t, "tool.wasm")
	toolID := ts.upload(t, "alice", "tool.wasm")
	tests := []struct {
		name       string
		tenant     string
		method     string
		path       string
		body       []byte
		wantStatus int
		wantBody   string
	}{
		{"no token", "", "GET", "/v1/modules", nil, 401, "bearer token"},
		{"wrong token", "wvt_nope", "GET", "/v1/modules", nil, 401, "bearer token"},
		{"wrong token on upload", "wvt_nope", "PUT", "/v1/modules", tool, 401, ""},
		{"list", "alice", "GET", "/v1/modules", nil, 200, toolID},
		{"list of another tenant", "bob", "GET", "/v1/modules", nil, 200, `"ids": []`},
		{"get", "alice", "GET", "/v1/modules/" + toolID, nil, 200, "wasi_snapshot_preview1.fd_write"},
		{"get foreign", "bob", "GET", "/v1/modules/" + toolID, nil, 404, "no module"},
		{"run foreign", "bob", "POST", "/v1/modules/" + toolID + "/run", nil, 404, "no module"},
		{"delete foreign", "bob", "DELETE", "/v1/modules/" + toolID, nil, 404, "no module"},
		{"upload again", "alice", "PUT", "/v1/modules", tool, 200, toolID},
		{"invalid", "alice", "PUT", "/v1/modules", []byte("\x00asm\x01\x00\x00\x00\x01"), 400, "unexpected end"},
		{"not a module", "alice", "PUT", "/v1/modules", []byte("hello"), 400, "magic header"},
		{"policy: memory", "bob", "PUT", "/v1/modules", readFile(t, "bigmem.wasm"), 422, "-W max-memory-size=65536"},
		{"policy: size", "bob", "PUT", "/v1/modules", tool, 422, "-W max-module-size=20000"},
		{"over the daemon's bound", "alice", "PUT", "/v1/modules", make([]byte, 200<<10), 413, "limit of 102400 bytes"},
		{"unknown endpoint", "alice", "GET", "/v1/nothing", nil, 404, "no such endpoint"},
		{"unknown endpoint, no token", "", "GET", "/v1/nothing", nil, 401, ""},
		{"reserved route", "alice", "POST", "/v1/routes", []byte(`{"path": "/metrics", "module": "` + toolID + `"}`), 400, "reserved"},
		{"route to foreign module", "bob", "POST", "/v1/routes", []byte(`{"path": "/b", "module": "` + toolID + `"}`), 404, ""},
		{"healthz", "", "GET", "/healthz", nil, 200, "ok"},
		{"metrics", "", "GET", "/metrics", nil, 200, "wasmvisor_compiles_total"},
		{"pool metrics", "", "GET", "/metrics", nil, 200, "wasmvisor_vm_pool_live"},
		{"no route", "", "GET", "/nowhere", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, hdr := ts.do(t, tt.tenant, tt.method, tt.path, tt.body)
			if status != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%d %s, want %d and a body containing %q", status, body, tt.wantStatus, tt.wantBody)
			}
			if status == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	// Quotas: alice may hold 3 modules; the third upload fits, the
	// fourth does not.
	ts.upload(t, "alice", "wagi.wasm")
	ts.upload(t, "alice", "hello.wasm")
	status, body, _ := ts.do(t, "alice", "PUT", "/v1/modules", readFile(t, "bigmem.wasm"))
	if status != http.StatusForbidden || !strings.Contains(string(body), "--max-modules") {
		t.Errorf("upload past the quota: %d %s", status, body)
	}
	if status, body, _ := ts.do(t, "alice", "DELETE", "/v1/modules/"+toolID, nil); status != http.StatusNoContent {
		t.Errorf("delete: %d %s", status, body)
	}
	if status, _, _ := ts.do(t, "alice", "GET", "/v1/modules/"+toolID, nil); status != http.StatusNotFound {
		t.Errorf("get after delete: %d", status)
	}
	ts.upload(t, "alice", "bigmem.wasm") // fits again
}

func TestServer_Run(t *testing.T) {
	ts := startServer(t, Config{MaxOutputBytes: 4096}, Tenant{Name: "alice", Policy: "timeout=20s"})
	id := ts.upload(t, "alice", "tool.wasm")
	tests := []struct {
		name      string
		req       runRequest
		wantExit  int
		wantTrap  string
		wantOut   string
		truncated bool
	}{
		{name: "echo", req: runRequest{Args: []string{"echo", "a b"}, Env: map[string]string{"K": "V"}, Stdin: "input"},
			wantOut: "arg a b\nenv K=V\ninput"},
		{name: "empty request", wantOut: ""},
		{name: "exit code", req: runRequest{Args: []string{"exit", "42"}}, wantExit: 42},
		{name: "trap", req: runRequest{Args: []string{"trap"}}, wantExit: 134, wantTrap: "unreachable"},
		{name: "timeout", req: runRequest{Args: []string{"loop"}, TimeoutMS: 200}, wantExit: 134, wantTrap: "timeout"},
		{name: "output bounded", req: runRequest{Args: []string{"spam", "10"}}, wantOut: strings.Repeat("x", 4096), truncated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, res := ts.run(t, "alice", id, tt.req)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			trap := ""
			if res.Trap != nil {
				trap = *res.Trap
			}
			if res.ExitCode != tt.wantExit || trap != tt.wantTrap || res.Stdout != tt.wantOut && tt.wantOut != "" ||
				res.StdoutTruncated != tt.truncated || res.StderrTruncated != tt.truncated {
				t.Errorf("got %+v", res)
			}
		})
	}
}

func TestServer_RunInVM(t *testing.T) {
	if err := wasmvisor.IsolationVM.Available(); err != nil {
		t.Skip(err)
	}
	ts := startServer(t, Config{}, Tenant{Name: "alice", Isolation: "vm"})
	id := ts.upload(t, "alice", "tool.wasm")
	for _, args := range [][]string{{"echo", "x"}, {"trap"}, {"exit", "3"}} {
		status, res := ts.run(t, "alice", id, runRequest{Args: args})
		if status != 200 || res.Stats.Isolation != "vm" || res.Stats.VMCalls == 0 {
			t.Errorf("%v: %d %+v", args, status, res)
		}
	}
}

func TestServer_WAGI(t *testing.T) {
	ts := startServer(t, Config{}, Tenant{Name: "alice"}, Tenant{Name: "bob"})
	id := ts.upload(t, "alice", "wagi.wasm")
	tool := ts.upload(t, "alice", "tool.wasm")
	for _, r := range []string{`{"path": "/api", "module": "` + id + `"}`, `{"path": "/api/raw", "module": "` + tool + `"}`} {
		if status, body, _ := ts.do(t, "alice", "POST", "/v1/routes", []byte(r)); status != http.StatusCreated {
			t.Fatalf("route: %d %s", status, body)
		}
	}
	bobs := ts.upload(t, "bob", "wagi.wasm")
	if status, _, _ := ts.do(t, "bob", "POST", "/v1/routes", []byte(`{"path": "/api", "module": "`+bobs+`"}`)); status != http.StatusConflict {
		t.Errorf("bob took alice's route: %d", status)
	}
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		wantStatus               int
		want                     []string
		wantNot                  []string
	}{
		{name: "get", method: "GET", path: "/api/items/7?a=1&b=x%20y", header: map[string]string{"X-Test": "yes", "Authorization": "Bearer secret"},
			wantStatus: 200, want: []string{
				"arg /api\narg a=1\narg b=x y\n", "env REQUEST_METHOD=GET\n", "env SCRIPT_NAME=/api\n", "env PATH_INFO=/items/7\n",
				"env QUERY_STRING=a=1&b=x%20y\n", "env HTTP_X_TEST=yes\n", "env GATEWAY_INTERFACE=CGI/1.1\n", "env SERVER_PROTOCOL=HTTP/1.1\n"},
			wantNot: []string{"secret"}},
		{name: "post body", method: "POST", path: "/api", body: "the body", header: map[string]string{"Content-Type": "text/x-test"},
			wantStatus: 200, want: []string{"env CONTENT_LENGTH=8\n", "env CONTENT_TYPE=text/x-test\n", "\nthe body"}},
		{name: "status", method: "GET", path: "/api?status=404", wantStatus: 404},
		{name: "prefix only at a boundary", method: "GET", path: "/apix", wantStatus: 404},
		{name: "longest prefix, no CGI headers", method: "GET", path: "/api/raw/x", wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.url+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == 200 && (resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("X-Handler") != "wagi") {
				t.Errorf("headers %v", resp.Header)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(string(body), w) {
					t.Errorf("body has %q:\n%s", w, body)
				}
			}
		})
	}
	// Deleting the module takes its routes with it.
	ts.do(t, "alice", "DELETE", "/v1/modules/"+id, nil)
	if resp, err := http.Get(ts.url + "/api"); err != nil || resp.StatusCode != 404 {
		t.Errorf("route of a deleted module: %v %v", resp.StatusCode, err)
	}
}

// TestServer_Backpressure fills the tenant's and the daemon's bounds on
// concurrent runs with runs that wait out their timeout, and checks
// that the next request gets 429 with Retry-After at once.
func TestServer_Backpressure(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		quota int
		fill  int
		want  string
	}{
		{name: "tenant", quota: 2, fill: 2, want: "--max-runs"},
		{name: "daemon", cfg: Config{MaxRuns: 1}, fill: 1, want: "--max-runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.cfg, Tenant{Name: "alice", Quotas: Quotas{Runs: tt.quota}})
			id := ts.upload(t, "alice", "tool.wasm")
			// The runs end when their requests are canceled: a client
			// that goes away stops its run.
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for range tt.fill {
				wg.Go(func() {
					req, _ := http.NewRequestWithContext(ctx, "POST", ts.url+"/v1/modules/"+id+"/run",
						strings.NewReader(`{"args": ["loop"], "timeout_ms": 120000}`))
					req.Header.Set("Authorization", "Bearer "+ts.tokens["alice"])
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				})
			}
			waitFor(t, func() bool { return ts.runsGoing() == tt.fill })
			status, body, hdr := ts.do(t, "alice", "POST", "/v1/modules/"+id+"/run", []byte(`{"args": ["exit"]}`))
			if status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), tt.want) {
				t.Errorf("%d %v %s", status, hdr, body)
			}
			cancel()
			wg.Wait()
			waitFor(t, func() bool { return ts.runsGoing() == 0 })
		})
	}
}

// runsGoing is how many runs are in progress.
func (s *Server) runsGoing() int { return len(s.runs) }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServer_TenantsReload(t *testing.T) {
	ts := startServer(t, Config{}, Tenant{Name: "alice"})
	id := ts.upload(t, "alice", "hello.wasm")
	token, err := AddTenant(ts.cfg.Data, Tenant{Name: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	ts.tokens["carol"] = token
	waitFor(t, func() bool {
		status, _, _ := ts.do(t, "carol", "GET", "/v1/modules", nil)
		return status == 200
	})
	if err := RemoveTenant(ts.cfg.Data, "alice"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		status, _, _ := ts.do(t, "alice", "GET", "/v1/modules", nil)
		return status == 401
	})
	if _, err := ts.store.Get("alice", id); err == nil {
		t.Error("a removed tenant's module is kept")
	}
}

// TestServer_RunDisk runs a module with a disk image of the daemon's
// --images directory as its "/".
func TestServer_RunDisk(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	src, images := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "hello.txt"), []byte("from the image\n"), 0o644)
	disktest.MakeExt4(t, src, filepath.Join(images, "root.img"), 8)
	ts := startServer(t, Config{Images: images}, Tenant{Name: "alice"})
	id := ts.upload(t, "alice", "tool.wasm")
	status, res := ts.run(t, "alice", id, runRequest{Args: []string{"cat", "/hello.txt"}, Disk: "root.img"})
	if status != http.StatusOK || res.ExitCode != 0 || res.Stdout != "from the image\n" {
		t.Errorf("%d %+v", status, res)
	}
	for _, disk := range []string{"../root.img", "missing.img"} {
		status, res := ts.run(t, "alice", id, runRequest{Args: []string{"cat", "/hello.txt"}, Disk: disk})
		if status == http.StatusOK && res.ExitCode == 0 {
			t.Errorf("disk %q: %d %+v", disk, status, res)
		}
	}
}

// TestServer_VMTurns checks --vm-parallel: a run admitted while every
// turn is taken waits for one, rather than being refused, and runs when
// the turn is given back.
func TestServer_VMTurns(t *testing.T) {
	if err := wasmvisor.IsolationVM.Available(); err != nil {
		t.Skip(err)
	}
	ts := startServer(t, Config{Isolation: wasmvisor.IsolationVM, VMParallel: 1}, Tenant{Name: "alice"})
	id := ts.upload(t, "alice", "tool.wasm")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "POST", ts.url+"/v1/modules/"+id+"/run",
			strings.NewReader(`{"args": ["loop"], "timeout_ms": 120000}`))
		req.Header.Set("Authorization", "Bearer "+ts.tokens["alice"])
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	waitFor(t, func() bool { return len(ts.vmSlots) == 1 })
	answered := make(chan int, 1)
	go func() {
		status, _ := ts.run(t, "alice", id, runRequest{Args: []string{"exit", "5"}})
		answered <- status
	}()
	waitFor(t, func() bool { return ts.runsGoing() == 2 }) // admitted, waiting
	select {
	case status := <-answered:
		t.Fatalf("answered %d while the only turn was taken", status)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if status := <-answered; status != http.StatusOK {
		t.Errorf("the waiting run: %d", status)
	}
	<-done
}

// TestServer_VMTurnsDefault checks the default --vm-parallel: a turn per
// CPU, and a run that finds every turn taken waits for one only for a
// while, then runs without it, so that long runs cannot hold up the
// daemon's others.
func TestServer_VMTurnsDefault(t *testing.T) {
	if err := wasmvisor.IsolationVM.Available(); err != nil {
		t.Skip(err)
	}
	ts := startServer(t, Config{Isolation: wasmvisor.IsolationVM}, Tenant{Name: "alice"})
	if got, want := cap(ts.vmSlots), runtime.GOMAXPROCS(0); got != want {
		t.Fatalf("%d turns, want one per CPU (%d)", got, want)
	}
	id := ts.upload(t, "alice", "tool.wasm")
	for range cap(ts.vmSlots) {
		ts.vmSlots <- struct{}{} // every turn taken, as by long runs
	}
	defer func() {
		for range cap(ts.vmSlots) {
			<-ts.vmSlots
		}
	}()
	start := time.Now()
	status, _ := ts.run(t, "alice", id, runRequest{Args: []string{"exit", "5"}})
	if status != http.StatusOK {
		t.Errorf("the run without a turn: %d", status)
	}
	if d := time.Since(start); d < defaultVMTurnWait {
		t.Errorf("answered in %v, before the wait for a turn (%v) was over", d, defaultVMTurnWait)
	}
}
