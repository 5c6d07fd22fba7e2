package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestContainerdStartLatency measures `ctr run --rm` of a hello world on
// wasmvisor against the same program built as a static Linux binary on
// runc: the median of 20 runs each, after one to warm up. It runs only
// with WASMVISOR_SHIM_LATENCY=1, since it measures and checks nothing.
func TestContainerdStartLatency(t *testing.T) {
	if os.Getenv("WASMVISOR_SHIM_LATENCY") != "1" {
		t.Skip("set WASMVISOR_SHIM_LATENCY=1 to measure the start latency of ctr run")
	}
	d := needDaemon(t)
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc is not installed")
	}
	native := filepath.Join(t.TempDir(), "prog")
	cmd := exec.Command("go", "build", "-o", native, "./testdata/prog")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(native)
	if err != nil {
		t.Fatal(err)
	}
	const linuxImage = "wasmvisor.test/prog:linux"
	if err := d.importImage(testNamespace, imageSpec{name: linuxImage, platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		files: map[string][]byte{"prog": bin}, entrypoint: []string{"/prog"}, cmd: []string{"hello"}}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	measure := func(name string, args ...string) time.Duration {
		var times []time.Duration
		for i := range n + 1 {
			id := fmt.Sprintf("lat-%s-%d", name, i)
			start := time.Now()
			cmdline := append([]string{"run", "--rm"}, args...)
			out, err := d.ctr(context.Background(), append(cmdline, id)...)
			el := time.Since(start)
			if err != nil || out != "hello from a Wasm container\n" {
				t.Fatalf("%s: %v, %q", name, err, out)
			}
			if i > 0 {
				times = append(times, el)
			}
		}
		slices.Sort(times)
		med := (times[n/2-1] + times[n/2]) / 2
		t.Logf("%s: median %v, min %v, max %v of %d", name, med.Round(time.Millisecond), times[0].Round(time.Millisecond), times[n-1].Round(time.Millisecond), n)
		return med
	}
	measure("runc", linuxImage)
	measure("wasmvisor", "--runtime", RuntimeName, "--platform", wasmPlatform, helloImage)
	t.Logf("the shim's account of the last run:\n%s", strings.Join(d.shimLog(fmt.Sprintf("lat-wasmvisor-%d", n)), "\n"))
}
