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
// CPUs, whether the kernel runs under a hypervisor, and the Go and wazero
// versions of the harness.
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
	wazeroVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				wazeroVersion = d.Version
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s, %s/%s; %s, wazero %s",
		model, runtime.NumCPU(), virt, runtime.GOOS, runtime.GOARCH, runtime.Version(), wazeroVersion)
}
