package shim

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/events"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// recorder is a publisher that keeps the events' topics.
type recorder struct {
	mu     sync.Mutex
	topics []string
	closed chan struct{}
}

func (r *recorder) Publish(ctx context.Context, topic string, event events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.topics = append(r.topics, topic)
	return nil
}

func (r *recorder) Close() error { close(r.closed); return nil }

// testBundle writes a bundle whose rootfs holds the test program, for
// the given process arguments, and returns its directory.
func testBundle(t *testing.T, args ...string) string {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return writeBundle(t, specs.Spec{Process: &specs.Process{Args: args, Cwd: "/"}, Root: &specs.Root{Path: "rootfs"}})
}

func writeBundle(t *testing.T, s specs.Spec) string {
	t.Helper()
	bundle := t.TempDir()
	if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "prog.wasm"), progWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// TestService drives the task service as containerd would, without
// containerd: create, state, start, wait, kill, delete, the calls that
// are not supported, and the events published in order.
func TestService(t *testing.T) {
	t.Setenv("WASMVISOR_CACHE_DIR", t.TempDir())
	ctx := namespaces.WithNamespace(context.Background(), "test")
	ctx, sd := shutdown.WithShutdown(ctx)
	pub := &recorder{closed: make(chan struct{})}
	s, err := newService(ctx, "", pub, sd)
	if err != nil {
		t.Fatal(err)
	}

	// A program that ends by itself, its output through a FIFO.
	fifoPath := filepath.Join(t.TempDir(), "stdout")
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil {
		t.Fatal(err)
	}
	output := make(chan string)
	go func() {
		f, err := os.OpenFile(fifoPath, os.O_RDONLY, 0)
		if err != nil {
			output <- err.Error()
			return
		}
		data, _ := io.ReadAll(f)
		f.Close()
		output <- string(data)
	}()
	bundle := testBundle(t, "/prog.wasm", "exit", "7")
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "a", Bundle: bundle, Stdout: fifoPath}); err != nil {
		t.Fatal(err)
	}
	if st, err := s.State(ctx, &taskAPI.StateRequest{ID: "a"}); err != nil || st.Status != task.Status_CREATED {
		t.Fatalf("state after create: %v, %v", st, err)
	}
	if _, err := s.Start(ctx, &taskAPI.StartRequest{ID: "a"}); err != nil {
		t.Fatal(err)
	}
	w, err := s.Wait(ctx, &taskAPI.WaitRequest{ID: "a"})
	if err != nil || w.ExitStatus != 7 || w.ExitedAt.AsTime().IsZero() {
		t.Fatalf("wait: %v, %v", w, err)
	}
	if out := <-output; out != "" {
		t.Errorf("output %q, want none", out)
	}
	if st, _ := s.State(ctx, &taskAPI.StateRequest{ID: "a"}); st.Status != task.Status_STOPPED || st.ExitStatus != 7 {
		t.Errorf("state after exit: %v", st)
	}
	if _, err := s.Kill(ctx, &taskAPI.KillRequest{ID: "a", Signal: uint32(syscall.SIGTERM)}); !errdefs.IsNotFound(errdefs.FromGRPC(err)) {
		t.Errorf("kill after exit: %v, want not found", err)
	}
	if d, err := s.Delete(ctx, &taskAPI.DeleteRequest{ID: "a"}); err != nil || d.ExitStatus != 7 {
		t.Errorf("delete: %v, %v", d, err)
	}

	// A program killed while it sleeps, and one killed before it starts.
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "b", Bundle: testBundle(t, "/prog.wasm", "sleep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, &taskAPI.StartRequest{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, &taskAPI.DeleteRequest{ID: "b"}); err == nil {
		t.Errorf("delete of a running task succeeded")
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := s.Kill(ctx, &taskAPI.KillRequest{ID: "b", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatal(err)
	}
	if w, err := s.Wait(ctx, &taskAPI.WaitRequest{ID: "b"}); err != nil || w.ExitStatus != 143 {
		t.Errorf("wait after TERM: %v, %v", w, err)
	}
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "c", Bundle: testBundle(t, "/prog.wasm", "sleep")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kill(ctx, &taskAPI.KillRequest{ID: "c", Signal: uint32(syscall.SIGKILL)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, &taskAPI.StartRequest{ID: "c"}); err == nil {
		t.Errorf("a killed task started")
	}
	if w, err := s.Wait(ctx, &taskAPI.WaitRequest{ID: "c"}); err != nil || w.ExitStatus != 137 {
		t.Errorf("wait after KILL: %v, %v", w, err)
	}
	// A pod's sandbox runs no program, until TERM stops it with 0.
	sandbox := writeBundle(t, specs.Spec{Process: &specs.Process{Args: []string{"/pause"}}, Annotations: map[string]string{containerTypeAnnotation: "sandbox"}})
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "pod", Bundle: sandbox}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(ctx, &taskAPI.StartRequest{ID: "pod"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.State(ctx, &taskAPI.StateRequest{ID: "pod"}); st.Status != task.Status_RUNNING {
		t.Errorf("sandbox state: %v", st)
	}
	if _, err := s.Stats(ctx, &taskAPI.StatsRequest{ID: "pod"}); err != nil {
		t.Errorf("sandbox stats: %v", err)
	}
	if _, err := s.Kill(ctx, &taskAPI.KillRequest{ID: "pod", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatal(err)
	}
	if w, err := s.Wait(ctx, &taskAPI.WaitRequest{ID: "pod"}); err != nil || w.ExitStatus != 0 {
		t.Errorf("sandbox wait after TERM: %v, %v", w, err)
	}
	if _, err := s.Exec(ctx, &taskAPI.ExecProcessRequest{ID: "b", ExecID: "x"}); !errdefs.IsNotImplemented(errdefs.FromGRPC(err)) {
		t.Errorf("exec: %v, want not implemented", err)
	}
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "d", Bundle: testBundle(t, "/missing.wasm")}); err == nil {
		t.Errorf("create with a missing module succeeded")
	}
	precompiled := testBundle(t, "/app.cwasm")
	if err := os.WriteFile(filepath.Join(precompiled, "rootfs", "app.cwasm"), []byte("\x00asc\x01\x00\x00\x00machine code"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, &taskAPI.CreateTaskRequest{ID: "e", Bundle: precompiled}); err == nil || !strings.Contains(err.Error(), "precompiled") {
		t.Errorf("create with a precompiled module: %v, want it refused", err)
	}
	for _, id := range []string{"b", "c", "pod"} {
		if _, err := s.Delete(ctx, &taskAPI.DeleteRequest{ID: id}); err != nil {
			t.Errorf("delete %s: %v", id, err)
		}
	}
	if _, err := s.Shutdown(ctx, &taskAPI.ShutdownRequest{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-pub.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the publisher was not closed at shutdown")
	}
	want := map[string]int{"/tasks/create": 4, "/tasks/start": 3, "/tasks/exit": 4, "/tasks/delete": 4}
	got := map[string]int{}
	for _, tp := range pub.topics {
		got[tp]++
	}
	for tp, n := range want {
		if got[tp] != n {
			t.Errorf("%d %s events, want %d (all: %v)", got[tp], tp, n, pub.topics)
		}
	}
}
