package shim

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

func TestProgramFromSpec(t *testing.T) {
	dataDir := t.TempDir()
	file := dataDir + "/file"
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	limit := int64(64 << 20)
	for _, tc := range []struct {
		name     string
		spec     specs.Spec
		module   string
		argv0    string
		args     []string
		env      []string
		dirs     []wasi.DirSpec
		pages    uint64 // 0: no memory limit
		timeout  time.Duration
		skipped  int
		disk     string
		errorHas string
	}{
		{
			name:   "absolute",
			spec:   specs.Spec{Process: &specs.Process{Args: []string{"/app.wasm", "a", "b"}, Env: []string{"A=1"}, Cwd: "/"}},
			module: "/app.wasm", argv0: "/app.wasm", args: []string{"a", "b"}, env: []string{"A=1"},
			dirs: []wasi.DirSpec{{Host: "/rootfs", Guest: "/"}},
		},
		{
			name:   "relative to cwd, which becomes PWD",
			spec:   specs.Spec{Process: &specs.Process{Args: []string{"bin/app.wasm"}, Cwd: "/srv"}},
			module: "/srv/bin/app.wasm", argv0: "bin/app.wasm", env: []string{"PWD=/srv"},
			dirs: []wasi.DirSpec{{Host: "/rootfs", Guest: "/"}},
		},
		{
			name:   "PWD from the image wins",
			spec:   specs.Spec{Process: &specs.Process{Args: []string{"app.wasm"}, Cwd: "/srv", Env: []string{"PWD=/x"}}},
			module: "/srv/app.wasm", argv0: "app.wasm", env: []string{"PWD=/x"},
			dirs: []wasi.DirSpec{{Host: "/rootfs", Guest: "/"}},
		},
		{
			name: "mounts, read-only root, limits",
			spec: specs.Spec{
				Process: &specs.Process{Args: []string{"/app.wasm"}, Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_CPU", Soft: 5, Hard: 5}}},
				Root:    &specs.Root{Path: "rootfs", Readonly: true},
				Mounts: []specs.Mount{
					{Destination: "/proc", Type: "proc", Source: "proc"},
					{Destination: "/data", Type: "bind", Source: dataDir, Options: []string{"rbind", "ro"}},
					{Destination: "/data2/", Source: dataDir, Options: []string{"rbind"}},
					{Destination: "/etc/hosts", Type: "bind", Source: file},
				},
				Linux: &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}},
			},
			module: "/app.wasm", argv0: "/app.wasm",
			dirs: []wasi.DirSpec{
				{Host: "/rootfs", Guest: "/", ReadOnly: true},
				{Host: dataDir, Guest: "/data", ReadOnly: true},
				{Host: dataDir, Guest: "/data2"},
			},
			pages: 1024, timeout: 5 * time.Second, skipped: 2,
		},
		{
			name:  "no args: the module is a layer",
			spec:  specs.Spec{Process: &specs.Process{Env: []string{"A=1"}}},
			argv0: "module.wasm", env: []string{"A=1"},
			dirs: []wasi.DirSpec{{Host: "/rootfs", Guest: "/"}},
		},
		{
			name:   "a disk image from the image's environment",
			spec:   specs.Spec{Process: &specs.Process{Args: []string{"/app.wasm"}, Env: []string{"A=1", "WASMVISOR_DISK=/app.img,part=1", "B=2"}}},
			module: "/app.wasm", argv0: "/app.wasm", env: []string{"A=1", "B=2"}, disk: "/app.img,part=1",
		},
		{
			name: "a disk image from an annotation",
			spec: specs.Spec{Process: &specs.Process{Args: []string{"/app.wasm"}, Env: []string{"WASMVISOR_DISK=/other.img"}},
				Annotations: map[string]string{"io.wasmvisor.disk": "/app.qcow2"}},
			module: "/app.wasm", argv0: "/app.wasm", disk: "/app.qcow2",
		},
		{name: "no process", spec: specs.Spec{}, errorHas: "no process"},
		{name: "terminal", spec: specs.Spec{Process: &specs.Process{Args: []string{"/a.wasm"}, Terminal: true}}, errorHas: "terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skipped := 0
			p, module, disk, err := programFromSpec(&tc.spec, "/rootfs", func(string) { skipped++ })
			if tc.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
					t.Fatalf("error %v, want one saying %q", err, tc.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if disk != tc.disk {
				t.Errorf("disk %q, want %q", disk, tc.disk)
			}
			if module != tc.module || p.Name != tc.argv0 {
				t.Errorf("module %q, argv[0] %q; want %q, %q", module, p.Name, tc.module, tc.argv0)
			}
			if len(p.Args)+len(tc.args) > 0 && !reflect.DeepEqual(p.Args, tc.args) {
				t.Errorf("args %q, want %q", p.Args, tc.args)
			}
			if len(p.Env)+len(tc.env) > 0 && !reflect.DeepEqual(p.Env, tc.env) {
				t.Errorf("env %q, want %q", p.Env, tc.env)
			}
			if !reflect.DeepEqual(p.Dirs, tc.dirs) {
				t.Errorf("dirs %+v, want %+v", p.Dirs, tc.dirs)
			}
			want := launch.NewLimits().Policy.MaxMemoryPages
			if tc.pages != 0 {
				want = wasmvisor.LimitOf(tc.pages)
			}
			if got := p.Limits.Policy.MaxMemoryPages; got != want {
				t.Errorf("memory limit %v, want %v", got, want)
			}
			if p.Limits.Timeout != tc.timeout {
				t.Errorf("timeout %v, want %v", p.Limits.Timeout, tc.timeout)
			}
			if skipped != tc.skipped {
				t.Errorf("%d mounts left out, want %d", skipped, tc.skipped)
			}
			if p.Isolation != wasmvisor.IsolationAuto {
				t.Errorf("isolation %v, want auto", p.Isolation)
			}
		})
	}
}

// FuzzProgramFromSpec feeds the mapping of a container's OCI spec onto
// a run the config.json an image's author and containerd make: it must
// map or refuse, never panic, and a module it names stays inside the
// container's root.
func FuzzProgramFromSpec(f *testing.F) {
	for _, s := range []string{
		`{"process": {"args": ["/app.wasm", "a"], "env": ["A=1"], "cwd": "/"}}`,
		`{"process": {"args": ["app.wasm"], "cwd": "/work"}, "root": {"readonly": true}}`,
		`{"process": {"args": ["/a.wasm"], "rlimits": [{"type": "RLIMIT_CPU", "hard": 5, "soft": 5}]},
		  "linux": {"resources": {"memory": {"limit": 67108864}}},
		  "mounts": [{"destination": "/data", "type": "bind", "source": "/tmp", "options": ["rbind", "ro"]}]}`,
		`{"process": {"args": ["/../../etc/passwd"]}}`,
		`{"process": {"terminal": true, "args": ["/a.wasm"]}}`,
	} {
		f.Add([]byte(s))
	}
	root := f.TempDir()
	f.Fuzz(func(t *testing.T, config []byte) {
		var s specs.Spec
		if json.Unmarshal(config, &s) != nil {
			return
		}
		_, module, _, err := programFromSpec(&s, root, func(string) {})
		if err == nil && module != "" && (!strings.HasPrefix(module, "/") || strings.Contains(module, "/../")) {
			t.Fatalf("module %q is not a clean path inside the root", module)
		}
	})
}
