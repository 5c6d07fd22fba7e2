package shim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/oci"
	"github.com/containerd/containerd/runtime/v2/shim"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The end-to-end tests run containers through a containerd of their
// own: Debian's (installed with apt-get where it is missing), with
// root, state and socket in a temporary directory and the shim built
// by TestMain first on its PATH. They skip where they cannot be root
// or install containerd.

const (
	testNamespace = "wasmvisor-test"
	wasmPlatform  = "wasi/wasm"
	helloImage    = "wasmvisor.test/prog:hello"
	echoImage     = "wasmvisor.test/prog:echo"
	plainImage    = "wasmvisor.test/prog:plain"
	// The CRI plugin's namespace and sandbox image.
	criNamespace = "k8s.io"
	pauseImage   = "registry.k8s.io/pause:3.6"
)

var (
	shimDir   string // the directory holding the built shim binary
	shimPath  string
	progWasm  []byte // testdata/prog for GOOS=wasip1
	buildErr  error
	daemonMu  sync.Mutex
	theDaemon *daemon
	daemonErr error // why no daemon could be had: the tests skip with it
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "wvshim-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shimDir = tmp
	shimPath = filepath.Join(tmp, "containerd-shim-wasmvisor-v1")
	buildErr = buildTestBinaries(tmp)
	code := m.Run()
	if theDaemon != nil {
		theDaemon.stop()
	}
	os.RemoveAll(tmp)
	os.Exit(code)
}

// buildTestBinaries builds the shim and the test program.
func buildTestBinaries(dir string) error {
	build := func(env []string, out, pkg string) error {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
		return nil
	}
	if err := build(nil, shimPath, "github.com/wasmvisor/wasmvisor/cmd/containerd-shim-wasmvisor-v1"); err != nil {
		return err
	}
	wasm := filepath.Join(dir, "prog.wasm")
	if err := build([]string{"GOOS=wasip1", "GOARCH=wasm"}, wasm, "./testdata/prog"); err != nil {
		return err
	}
	var err error
	progWasm, err = os.ReadFile(wasm)
	return err
}

// daemon is a private containerd.
type daemon struct {
	dir, socket string
	cmd         *exec.Cmd
	log         *syncBuffer
	cacheDir    string
}

// syncBuffer is containerd's log, written by it and read by tests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// needDaemon returns the tests' containerd, started on first use with
// the test images imported, or skips t saying why there is none.
func needDaemon(t *testing.T) *daemon {
	t.Helper()
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	daemonMu.Lock()
	defer daemonMu.Unlock()
	if theDaemon == nil && daemonErr == nil {
		theDaemon, daemonErr = startDaemon()
	}
	if daemonErr != nil {
		if strings.HasPrefix(daemonErr.Error(), "skip: ") {
			t.Skip(strings.TrimPrefix(daemonErr.Error(), "skip: "))
		}
		t.Fatal(daemonErr)
	}
	return theDaemon
}

// installContainerd installs Debian's containerd where it is missing.
func installContainerd() error {
	if os.Getuid() != 0 {
		return fmt.Errorf("skip: running containerd needs root")
	}
	if _, err := exec.LookPath("containerd"); err == nil {
		if _, err := exec.LookPath("ctr"); err == nil {
			return nil
		}
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("skip: containerd is not installed and there is no apt-get to install it")
	}
	cmd := exec.Command("sh", "-c", "apt-get install -y -q containerd || (apt-get update -q && apt-get install -y -q containerd)")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("skip: apt-get install containerd failed: %v\n%s", err, out)
	}
	return nil
}

func startDaemon() (*daemon, error) {
	if err := installContainerd(); err != nil {
		return nil, err
	}
	// Short: the socket's path must fit in a sockaddr_un.
	dir, err := os.MkdirTemp("", "wvctd")
	if err != nil {
		return nil, err
	}
	d := &daemon{dir: dir, socket: filepath.Join(dir, "c.sock"), log: new(syncBuffer), cacheDir: filepath.Join(dir, "cache")}
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.monitor.v1.cgroups"]
  no_prometheus = true
[plugins."io.containerd.grpc.v1.cri"]
  # Never pulled: the tests import an image under this name.
  sandbox_image = %q
  # This machine cannot give containers' processes a lower OOM score.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmvisor]
    runtime_type = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), d.socket, d.socket+".ttrpc", pauseImage, RuntimeName)
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	d.cmd = exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	d.cmd.Env = append(os.Environ(),
		"PATH="+shimDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"WASMVISOR_CACHE_DIR="+d.cacheDir)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := d.ctr(context.Background(), "version"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			d.stop()
			return nil, fmt.Errorf("containerd did not start:\n%s", d.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	images := []imageSpec{
		{name: helloImage, entrypoint: []string{"/prog.wasm"}, cmd: []string{"hello"}},
		{name: echoImage, entrypoint: []string{"/prog.wasm", "echo"}, cmd: []string{"from-image"}, env: []string{"WV_IMAGE=image"}},
		{name: plainImage, entrypoint: []string{"/prog.wasm"}},
	}
	for _, img := range images {
		img.platform = ocispec.Platform{OS: "wasi", Architecture: "wasm"}
		img.files = map[string][]byte{"prog.wasm": progWasm}
		for _, ns := range []string{testNamespace, criNamespace} {
			if err := d.importImage(ns, img); err != nil {
				d.stop()
				return nil, err
			}
		}
	}
	// The pod sandbox's image, which the CRI plugin unpacks but the shim
	// never runs: a Linux image whose program is not one.
	pause := imageSpec{name: pauseImage, platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		files: map[string][]byte{"pause": []byte("wasmvisor runs no process for a pod's sandbox\n")}, entrypoint: []string{"/pause"}}
	if err := d.importImage(criNamespace, pause); err != nil {
		d.stop()
		return nil, err
	}
	return d, nil
}

func (d *daemon) importImage(ns string, img imageSpec) error {
	file := filepath.Join(d.dir, strings.NewReplacer("/", "_", ":", "_").Replace(img.name)+".tar")
	if err := os.WriteFile(file, ociArchive(nopTB{}, img), 0o644); err != nil {
		return err
	}
	plat := img.platform.OS + "/" + img.platform.Architecture
	if out, err := d.ctrIn(context.Background(), ns, "images", "import", "--platform", plat, file); err != nil {
		return fmt.Errorf("ctr images import %s: %v\n%s", img.name, err, out)
	}
	return nil
}

// stop ends containerd and removes what it left: its directory and the
// shims and mounts of its containers, if a test left any.
func (d *daemon) stop() {
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	for _, pid := range shimProcesses() {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, m := range mountsUnder(d.dir) {
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	os.RemoveAll(d.dir)
}

// ctr runs ctr against the daemon in the tests' namespace.
func (d *daemon) ctr(ctx context.Context, args ...string) (string, error) {
	return d.ctrIn(ctx, testNamespace, args...)
}

func (d *daemon) ctrIn(ctx context.Context, ns string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ctr", append([]string{"--address", d.socket, "--namespace", ns}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// run runs a container of image with the wasmvisor runtime and returns
// its output and exit status.
func (d *daemon) run(t *testing.T, id, image string, extra []string, args ...string) (string, int) {
	t.Helper()
	cmdline := append([]string{"run", "--rm", "--runtime", RuntimeName, "--platform", wasmPlatform}, extra...)
	cmdline = append(cmdline, image, id)
	out, err := d.ctr(context.Background(), append(cmdline, args...)...)
	return out, exitStatus(t, err, out)
}

func exitStatus(t *testing.T, err error, out string) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatalf("ctr: %v\n%s", err, out)
	return -1
}

// shimLog returns containerd's log lines about container id: the
// shim's log goes there.
func (d *daemon) shimLog(id string) []string {
	var lines []string
	for _, l := range strings.Split(d.log.String(), "\n") {
		if strings.Contains(l, "id="+id+" ") || strings.HasSuffix(l, "id="+id) {
			lines = append(lines, l)
		}
	}
	return lines
}

// shimProcesses returns the processes running the tests' shim binary.
func shimProcesses() []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && strings.TrimSuffix(exe, " (deleted)") == shimPath {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder returns the mount points below dir.
func mountsUnder(dir string) []string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var ms []string
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			ms = append(ms, f[4])
		}
	}
	return ms
}

// nopTB lets ociArchive run outside a test; its failures are the
// test's bugs, so they panic.
type nopTB struct{ testing.TB }

func (nopTB) Helper()                   {}
func (nopTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (nopTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }

func TestContainerdHello(t *testing.T) {
	d := needDaemon(t)
	out, status := d.run(t, "hello", helloImage, nil)
	if status != 0 || out != "hello from a Wasm container\n" {
		t.Fatalf("ctr run: status %d, output %q\n%s", status, out, d.log)
	}
	log := strings.Join(d.shimLog("hello"), "\n")
	if !strings.Contains(log, "isolation ") {
		t.Errorf("the shim's log does not say which isolation it used:\n%s", log)
	}
	t.Logf("shim log:\n%s", log)
}

func TestContainerdExitCode(t *testing.T) {
	d := needDaemon(t)
	for _, code := range []int{0, 3, 42} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			out, status := d.run(t, "exit-"+strconv.Itoa(code), plainImage, nil, "/prog.wasm", "exit", strconv.Itoa(code))
			if status != code {
				t.Errorf("ctr run: status %d, want %d; output %q", status, code, out)
			}
		})
	}
}

func TestContainerdArgsEnv(t *testing.T) {
	d := needDaemon(t)
	for _, tc := range []struct {
		name  string
		extra []string
		args  []string
		want  string
	}{
		{"image", nil, nil, "args=from-image\nWV_IMAGE=image\n"},
		// ctr replaces the whole process's arguments, entry point included.
		{"command-line", []string{"--env", "WV_CLI=cli"}, []string{"/prog.wasm", "echo", "x", "y z"}, "args=x,y z\nWV_IMAGE=image\nWV_CLI=cli\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, status := d.run(t, "echo-"+tc.name, echoImage, tc.extra, tc.args...)
			if status != 0 || out != tc.want {
				t.Errorf("ctr run: status %d, output %q, want %q", status, out, tc.want)
			}
		})
	}
}

// TestContainerdKill stops running programs with ctr task kill: one
// sleeping in a WASI call with TERM, one computing with KILL, and
// checks that ctr task ls and metrics see them while they run.
func TestContainerdKill(t *testing.T) {
	d := needDaemon(t)
	for _, tc := range []struct {
		mode, signal string
		want         int
	}{
		{"sleep", "SIGTERM", 143},
		{"spin", "SIGKILL", 137},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			ctx := context.Background()
			id := "kill-" + tc.mode
			if out, err := d.ctr(ctx, "run", "-d", "--runtime", RuntimeName, "--platform", wasmPlatform, plainImage, id, "/prog.wasm", tc.mode); err != nil {
				t.Fatalf("ctr run -d: %v\n%s", err, out)
			}
			defer d.ctr(ctx, "containers", "rm", id)
			waitFor(t, func() bool {
				out, _ := d.ctr(ctx, "task", "ls")
				return strings.Contains(out, id) && strings.Contains(out, "RUNNING")
			}, "the task to run")
			out, err := d.ctr(ctx, "task", "metrics", id)
			if err != nil || !strings.Contains(out, "memory.usage_in_bytes") {
				t.Errorf("ctr task metrics: %v\n%s", err, out)
			}
			out, err = d.ctr(ctx, "task", "ps", id)
			if err != nil {
				t.Errorf("ctr task ps: %v\n%s", err, out)
			}
			killArgs := []string{"task", "kill"}
			if tc.signal != "SIGTERM" { // ctr's default
				killArgs = append(killArgs, "--signal", tc.signal)
			}
			if out, err := d.ctr(ctx, append(killArgs, id)...); err != nil {
				t.Fatalf("ctr task kill: %v\n%s", err, out)
			}
			waitFor(t, func() bool {
				out, _ := d.ctr(ctx, "task", "ls")
				return strings.Contains(out, "STOPPED")
			}, "the task to stop")
			// ctr task delete warns with the task's status.
			out, err = d.ctr(ctx, "task", "delete", id)
			if want := fmt.Sprintf("exit with non-zero exit code %d", tc.want); err != nil || !strings.Contains(out, want) {
				t.Errorf("ctr task delete: %v, output %q, want %q", err, out, want)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestContainerdWritableLayer writes a file to / and finds it in the
// snapshot's upper directory: the container's writable layer.
func TestContainerdWritableLayer(t *testing.T) {
	d := needDaemon(t)
	ctx := context.Background()
	const id = "writer"
	out, err := d.ctr(ctx, "run", "--runtime", RuntimeName, "--platform", wasmPlatform, plainImage, id, "/prog.wasm", "write", "/written.txt", "in the layer")
	if err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	defer d.ctr(ctx, "containers", "rm", id)
	mounts, err := d.ctr(ctx, "snapshots", "mounts", "/mnt", id)
	if err != nil {
		t.Fatalf("ctr snapshots mounts: %v\n%s", err, mounts)
	}
	_, rest, ok := strings.Cut(mounts, "upperdir=")
	if !ok {
		t.Fatalf("no upper directory in the snapshot's mounts: %s", mounts)
	}
	upper, _, _ := strings.Cut(rest, ",")
	data, err := os.ReadFile(filepath.Join(upper, "written.txt"))
	if err != nil || string(data) != "in the layer" {
		t.Errorf("the written file in the writable layer: %q, %v", data, err)
	}
	// The image's own file is not there: only what the program wrote.
	if _, err := os.Stat(filepath.Join(upper, "prog.wasm")); err == nil {
		t.Errorf("prog.wasm was copied up into the writable layer")
	}
}

// TestContainerdCompileCache runs an image twice: the second container
// loads the module's machine code from the compilation cache.
func TestContainerdCompileCache(t *testing.T) {
	d := needDaemon(t)
	for _, id := range []string{"cache-1", "cache-2"} {
		if out, status := d.run(t, id, helloImage, nil); status != 0 {
			t.Fatalf("ctr run: status %d\n%s", status, out)
		}
	}
	log := strings.Join(d.shimLog("cache-2"), "\n")
	if !strings.Contains(log, "(cache: 1 hits, 0 misses)") {
		t.Errorf("the second container did not start from the cache:\n%s", log)
	}
	if entries, err := os.ReadDir(d.cacheDir); err != nil || len(entries) == 0 {
		t.Errorf("compilation cache %s: %v, %d entries", d.cacheDir, err, len(entries))
	}
}

// TestContainerdConcurrent runs many containers at once and checks that
// every one printed its output and that none left a shim or a mount.
func TestContainerdConcurrent(t *testing.T) {
	d := needDaemon(t)
	n := 20
	if testing.Short() {
		n = 5
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("many-%d", i)
			out, err := d.ctr(context.Background(), "run", "--rm", "--runtime", RuntimeName, "--platform", wasmPlatform, echoImage, id, "/prog.wasm", "echo", id)
			if want := "args=" + id + "\nWV_IMAGE=image\n"; err != nil || out != want {
				errs <- fmt.Errorf("%s: %v, output %q, want %q", id, err, out, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("%d containers in %v", n, time.Since(start))
	waitFor(t, func() bool { return len(shimProcesses()) == 0 }, "the shims to exit")
	if ms := mountsUnder(d.dir); len(ms) > 0 {
		t.Errorf("mounts left: %v", ms)
	}
	if out, _ := d.ctr(context.Background(), "task", "ls"); strings.Contains(out, "many-") {
		t.Errorf("tasks left:\n%s", out)
	}
}

// TestContainerdArtifact runs the OCI artifact form of a Wasm image:
// its module is a layer of its own (application/wasm) and its config
// application/vnd.wasm.config.v0+json. containerd 1.6.25+ and 1.7.7+
// run such an image with an empty root file system, which Debian's
// 1.6.20 cannot unpack; so the container is made here as those do it,
// through containerd's API with no snapshot, and the shim reads the
// module from the content store.
func TestContainerdArtifact(t *testing.T) {
	d := needDaemon(t)
	ctx := namespaces.WithNamespace(context.Background(), testNamespace)
	const name = "wasmvisor.test/prog:artifact"
	file := filepath.Join(t.TempDir(), "artifact.tar")
	if err := os.WriteFile(file, wasmArtifactArchive(t, name, progWasm), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := d.ctr(ctx, "images", "import", "--all-platforms", "--no-unpack", file); err != nil {
		t.Fatalf("ctr images import: %v\n%s", err, out)
	}
	client, err := containerd.New(d.socket, containerd.WithDefaultNamespace(testNamespace))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctr, err := client.NewContainer(ctx, "artifact",
		containerd.WithImageName(name),
		containerd.WithRuntime(RuntimeName, nil),
		containerd.WithNewSpec(oci.WithProcessArgs("prog.wasm", "echo", "from", "a layer"), oci.WithEnv([]string{"WV_X=1"})))
	if err != nil {
		t.Fatal(err)
	}
	defer ctr.Delete(ctx)
	var out syncBuffer
	task, err := ctr.NewTask(ctx, cio.NewCreator(cio.WithStreams(nil, &out, &out)))
	if err != nil {
		t.Fatal(err)
	}
	statusC, err := task.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st := <-statusC
	task.Delete(ctx)
	if code, _, _ := st.Result(); code != 0 || out.String() != "args=from,a layer\nWV_X=1\n" {
		t.Errorf("status %d, output %q\n%s", code, out.String(), strings.Join(d.shimLog("artifact"), "\n"))
	}
}

// TestContainerdShimKilled kills a running container's shim with
// SIGKILL: containerd runs the shim's delete to clean up, which unmounts
// the root file system and reports the task ended with 137.
func TestContainerdShimKilled(t *testing.T) {
	d := needDaemon(t)
	ctx := context.Background()
	const id = "shim-killed"
	if out, err := d.ctr(ctx, "run", "-d", "--runtime", RuntimeName, "--platform", wasmPlatform, plainImage, id, "/prog.wasm", "sleep"); err != nil {
		t.Fatalf("ctr run -d: %v\n%s", err, out)
	}
	defer d.ctr(ctx, "containers", "rm", id)
	var pid int
	waitFor(t, func() bool {
		out, _ := d.ctr(ctx, "task", "ls")
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 3 && f[0] == id && f[2] == "RUNNING" {
				pid, _ = strconv.Atoi(f[1])
				return true
			}
		}
		return false
	}, "the task to run")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		out, _ := d.ctr(ctx, "task", "ls")
		return !strings.Contains(out, id)
	}, "containerd to clean up after the shim")
	waitFor(t, func() bool {
		return !slices.ContainsFunc(mountsUnder(d.dir), func(m string) bool { return strings.Contains(m, "/"+id+"/") })
	}, "the root file system to be unmounted")
	address, err := shim.SocketAddress(namespaces.WithNamespace(ctx, testNamespace), d.socket, id)
	if err != nil {
		t.Fatal(err)
	}
	// containerd removes the socket as it cleans up, which may end after
	// the task is gone from its list on a loaded machine.
	waitFor(t, func() bool {
		_, err := os.Stat(strings.TrimPrefix(address, "unix://"))
		return err != nil
	}, "the dead shim's socket "+address+" to be removed")
	if !strings.Contains(d.log.String(), "cleaning up after shim disconnected") {
		t.Errorf("containerd did not clean up after the shim")
	}
}

// TestContainerdStdin gives a program input through ctr's stdin FIFO:
// input that ends at once, while ctr creates the task (when ctr never
// sends CloseIO), and input that ends after the task started (ctr sends
// CloseIO) before the program reads it.
func TestContainerdStdin(t *testing.T) {
	d := needDaemon(t)
	for _, tc := range []struct {
		name       string
		inputAfter time.Duration // how long ctr's input stays open
		readAfter  string        // how long the program waits to read
	}{
		{name: "at-once"},
		{name: "read-after-close", inputAfter: 500 * time.Millisecond, readAfter: "1500ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := []string{"--address", d.socket, "--namespace", testNamespace,
				"run", "--rm", "--runtime", RuntimeName, "--platform", wasmPlatform, plainImage, "stdin-" + tc.name, "/prog.wasm", "stdin"}
			if tc.readAfter != "" {
				args = append(args, tc.readAfter)
			}
			cmd := exec.CommandContext(ctx, "ctr", args...)
			in, w := io.Pipe()
			cmd.Stdin = in
			go func() {
				io.WriteString(w, "line one\nline two\n")
				time.Sleep(tc.inputAfter)
				w.Close()
			}()
			out, err := cmd.CombinedOutput()
			if want := "read \"line one\\nline two\\n\"\n"; err != nil || string(out) != want {
				t.Errorf("ctr run: %v, output %q, want %q", err, out, want)
			}
		})
	}
}

// TestContainerdDiskImage runs a program whose "/" is the ext4 file
// system of a disk image in the container's image (WASMVISOR_DISK in
// its config): it reads the disk's files, and its writes go to the
// container's writable layer, never to the image.
func TestContainerdDiskImage(t *testing.T) {
	d := needDaemon(t)
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Skip("mkfs.ext4 (e2fsprogs) is not installed")
	}
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "data.txt"), []byte("from the disk"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "app.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-d", tree, img, "4M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	disk, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	const name = "wasmvisor.test/prog:disk"
	if err := d.importImage(testNamespace, imageSpec{name: name, platform: ocispec.Platform{OS: "wasi", Architecture: "wasm"},
		files: map[string][]byte{"prog.wasm": progWasm, "app.img": disk}, entrypoint: []string{"/prog.wasm"}, env: []string{"WASMVISOR_DISK=/app.img"}}); err != nil {
		t.Fatal(err)
	}
	if out, status := d.run(t, "disk-read", name, nil, "/prog.wasm", "cat", "/data.txt"); status != 0 || out != "from the disk" {
		t.Errorf("reading the disk: status %d, output %q", status, out)
	}
	if out, status := d.run(t, "disk-no-rootfs", name, nil, "/prog.wasm", "cat", "/prog.wasm"); status == 0 {
		t.Errorf("the root file system is visible beside the disk: %q", out)
	}

	ctx := context.Background()
	const id = "disk-write"
	out, err := d.ctr(ctx, "run", "--runtime", RuntimeName, "--platform", wasmPlatform, name, id, "/prog.wasm", "write", "/new.txt", "written")
	if err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	defer d.ctr(ctx, "containers", "rm", id)
	mounts, err := d.ctr(ctx, "snapshots", "mounts", "/mnt", id)
	_, rest, ok := strings.Cut(mounts, "upperdir=")
	if err != nil || !ok {
		t.Fatalf("ctr snapshots mounts: %v\n%s", err, mounts)
	}
	upper, _, _ := strings.Cut(rest, ",")
	found := false
	filepath.WalkDir(filepath.Join(upper, diskOverlayDir), func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if data, _ := os.ReadFile(p); string(data) == "written" {
				found = true
			}
		}
		return nil
	})
	if !found {
		t.Errorf("the program's write is not in the writable layer's %s", diskOverlayDir)
	}
}

// TestContainerdMemoryLimit: the container's memory limit bounds the
// program's linear memory, so a program whose memory starts larger is
// refused, and one within it runs.
func TestContainerdMemoryLimit(t *testing.T) {
	d := needDaemon(t)
	for _, tc := range []struct {
		limit  string
		status int
		output string
	}{
		{"1048576", 1, "max-memory-size"},
		{"536870912", 0, "hello from a Wasm container"},
	} {
		t.Run(tc.limit, func(t *testing.T) {
			out, status := d.run(t, "memory-"+tc.limit, helloImage, []string{"--memory-limit", tc.limit})
			if status != tc.status || !strings.Contains(out, tc.output) {
				t.Errorf("ctr run --memory-limit %s: status %d, output %q; want %d and %q", tc.limit, status, out, tc.status, tc.output)
			}
		})
	}
}
