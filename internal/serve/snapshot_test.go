package serve

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor"
)

// wantSquares is what squares.wasm writes when it starts from its
// snapshot; a run that saw another's writes says "stale".
const wantSquares = "Content-Type: text/plain\n\nok\n"

// TestServer_Snapshot uploads squares.wasm, which the daemon
// pre-initializes, and checks that runs and WAGI requests, one after
// another, each start from the snapshot, in each isolation; that a
// module whose initializer traps is refused at upload; and that a
// deleted module's snapshot releases its descriptor.
func TestServer_Snapshot(t *testing.T) {
	for _, iso := range isolationsHere() {
		t.Run(iso.String(), func(t *testing.T) {
			ts := startServer(t, Config{Isolation: iso}, Tenant{Name: "alice"})
			_, fd0 := settle(t)
			status, body, _ := ts.do(t, "alice", "PUT", "/v1/modules", readFile(t, "squares.wasm"))
			var info moduleInfo
			json.Unmarshal(body, &info)
			if status != http.StatusCreated || info.Snapshot == nil || len(info.Snapshot.MemoryPages) != 1 ||
				info.Snapshot.MemoryPages[0] != 17 || info.Snapshot.Bytes < 1<<20 {
				t.Fatalf("upload: %d %s", status, body)
			}
			id := info.ID
			for i := range 3 {
				status, res := ts.run(t, "alice", id, runRequest{})
				if status != 200 || res.Stdout != wantSquares || res.Stats.Isolation != iso.String() {
					t.Fatalf("run %d: %d %+v", i, status, res)
				}
			}
			if status, body, _ := ts.do(t, "alice", "POST", "/v1/routes", []byte(`{"path": "/sq", "module": "`+id+`"}`)); status != http.StatusCreated {
				t.Fatalf("route: %d %s", status, body)
			}
			for i := range 3 {
				resp, err := http.Get(ts.url + "/sq")
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ok\n" {
					t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
				}
			}
			status, body, _ = ts.do(t, "alice", "GET", "/v1/modules/"+id, nil)
			var shown moduleInfo
			json.Unmarshal(body, &shown)
			if status != 200 || !reflect.DeepEqual(shown.Snapshot, info.Snapshot) {
				t.Errorf("show: %d %s", status, body)
			}
			status, body, _ = ts.do(t, "alice", "PUT", "/v1/modules", readFile(t, "initfail.wasm"))
			if status != http.StatusUnprocessableEntity || !strings.Contains(string(body), "wizer.initialize failed: unreachable") {
				t.Errorf("a trapping initializer: %d %s", status, body)
			}
			if status, _, _ := ts.do(t, "alice", "DELETE", "/v1/modules/"+id, nil); status != http.StatusNoContent {
				t.Fatalf("delete: %d", status)
			}
			http.DefaultClient.CloseIdleConnections()
			if _, fd1 := settle(t); fd1 > fd0+2 {
				t.Errorf("descriptors %d → %d after the module's delete", fd0, fd1)
			}
		})
	}
}

// TestServer_SnapshotAfterRestart checks that a daemon restarted on the
// same data directory takes the snapshot again, on the module's first
// run: its runs start from it, and the module's info shows it.
func TestServer_SnapshotAfterRestart(t *testing.T) {
	cfg := Config{Data: t.TempDir(), Isolation: wasmvisor.IsolationProcess,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	token, err := AddTenant(cfg.Data, Tenant{Name: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for round := range 2 {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		ts := &testServer{Server: s, url: hs.URL, tokens: map[string]string{"alice": token}}
		if round == 0 {
			id = ts.upload(t, "alice", "squares.wasm")
		}
		for range 2 {
			if status, res := ts.run(t, "alice", id, runRequest{}); status != 200 || res.Stdout != wantSquares {
				t.Errorf("round %d: %d %+v", round, status, res)
			}
		}
		if _, body, _ := ts.do(t, "alice", "GET", "/v1/modules/"+id, nil); !strings.Contains(string(body), `"snapshot"`) {
			t.Errorf("round %d: %s", round, body)
		}
		hs.Close()
		s.Close()
	}
}
