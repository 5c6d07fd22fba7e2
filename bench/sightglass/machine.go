package sightglass

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// Machine describes where a report was measured: CPU model, logical
// CPUs, whether the kernel runs under a hypervisor, the Go version, the
// commit wasmvisor was built from (go build records it) and wazero's
// version.
func Machine() string {
	model, virt := "unknown CPU", ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			switch {
			case !ok:
			case k == "model name" && model == "unknown CPU":
				model = v
			case k == "flags" && virt == "":
				virt = "bare metal"
				if strings.Contains(" "+v+" ", " hypervisor ") {
					virt = "virtual machine"
				}
			}
		}
	}
	const dirty = " (the checkout had uncommitted changes)"
	wazeroVersion, revision, modified := "unknown", "unknown", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				wazeroVersion = d.Version
			}
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				revision = s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				modified = dirty
			}
		}
	}
	if revision == "unknown" {
		// Built with -buildvcs=false: ask git about the checkout the
		// harness runs in, which is the one `go run` built.
		if out, err := command("git", "rev-parse", "--short=12", "HEAD"); err == nil {
			revision = strings.TrimSpace(string(out))
		}
		if out, err := command("git", "status", "--porcelain", "--untracked-files=no"); err == nil && len(out) > 0 {
			modified = dirty
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s, %s/%s; %s, wasmvisor at %s%s, wazero %s",
		model, runtime.NumCPU(), virt, runtime.GOOS, runtime.GOARCH, runtime.Version(), revision, modified, wazeroVersion)
}
