package serve

import (
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/serve/store"
)

// TestServer_Soak runs a bounded loop of mixed runs, WAGI requests,
// uploads and deletes, and checks that goroutines, file descriptors and
// micro-VMs come back to where they were after a warm-up: a run, an upload or a
// delete that leaked either would grow them by the loop's length.
func TestServer_Soak(t *testing.T) {
	for _, iso := range isolationsHere() {
		t.Run(iso.String(), func(t *testing.T) {
			ts := startServer(t, Config{Isolation: iso}, Tenant{Name: "alice", Quotas: Quotas{Modules: 10}})
			tool := ts.upload(t, "alice", "tool.wasm")
			hello := ts.upload(t, "alice", "hello.wasm")
			squares := readFile(t, "squares.wasm")
			ts.do(t, "alice", "POST", "/v1/routes", []byte(`{"path": "/hello", "module": "`+hello+`"}`))
			round := func(i int) {
				ts.run(t, "alice", tool, runRequest{Args: []string{"echo", "x"}, Stdin: "in"})
				ts.run(t, "alice", tool, runRequest{Args: []string{"trap"}})
				if resp, err := http.Get(ts.url + "/hello"); err == nil {
					resp.Body.Close()
				}
				// A module, and one pre-initialized at upload whose
				// snapshot its delete releases.
				for _, bin := range [][]byte{customModule(i, 1024), withCustomSection(squares, i, 64)} {
					status, body, _ := ts.do(t, "alice", "PUT", "/v1/modules", bin)
					if status != http.StatusCreated {
						t.Fatalf("upload: %d %s", status, body)
					}
					ts.run(t, "alice", store.ID(bin), runRequest{})
					ts.do(t, "alice", "DELETE", "/v1/modules/"+store.ID(bin), nil)
				}
			}
			for i := range 20 {
				round(i)
			}
			http.DefaultClient.CloseIdleConnections()
			g0, fd0 := settle(t)
			rss0, vms0 := rss(), wasmvisor.MicroVMPool().Live
			for i := 20; i < 20+soakRounds(); i++ {
				round(i)
			}
			http.DefaultClient.CloseIdleConnections()
			g1, fd1 := settle(t)
			vms1 := wasmvisor.MicroVMPool().Live
			t.Logf("%d rounds: goroutines %d → %d, descriptors %d → %d, micro-VMs %d → %d, RSS %s → %s",
				soakRounds(), g0, g1, fd0, fd1, vms0, vms1, rss0, rss())
			// Slack for the runtime's and net/http's own background work,
			// and for a VM the pool's worker has yet to tear down.
			if g1 > g0+10 || fd1 > fd0+10 || vms1 > vms0+2 {
				t.Errorf("after the rounds: goroutines %d → %d, descriptors %d → %d, micro-VMs %d → %d", g0, g1, fd0, fd1, vms0, vms1)
			}
		})
	}
}

// settle lets closing connections finish and returns the goroutines and
// open descriptors of the process.
func settle(t *testing.T) (goroutines, fds int) {
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return runtime.NumGoroutine(), len(es)
}

// isolationsHere are the isolations this host offers: the process, and
// micro-VMs where KVM works.
func isolationsHere() []wasmvisor.Isolation {
	out := []wasmvisor.Isolation{wasmvisor.IsolationProcess}
	if wasmvisor.IsolationVM.Available() == nil {
		out = append(out, wasmvisor.IsolationVM)
	}
	return out
}

// soakRounds is how many rounds the soak runs: 200, or what
// WASMVISOR_SOAK_ROUNDS says (a longer soak, by hand).
func soakRounds() int {
	if n, err := strconv.Atoi(os.Getenv("WASMVISOR_SOAK_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 200
}

// rss is the process's resident set, as /proc says it (RSS moves with
// the Go heap's own decisions too, so it is reported, not checked).
func rss() string {
	b, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
