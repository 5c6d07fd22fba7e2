package sightglass

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildTools builds the wasmvisor and wazero CLIs into dir with the go
// command: wasmvisor from this checkout (the bench module's replace
// directive points at it), wazero's cmd/wazero at the version the bench
// module requires. It runs in the current directory, which must be inside
// the bench module.
func BuildTools(dir string) (Tools, error) {
	gomod, err := command("go", "env", "GOMOD")
	if err != nil {
		return Tools{}, err
	}
	if got := strings.TrimSpace(string(gomod)); filepath.Base(filepath.Dir(got)) != "bench" {
		return Tools{}, fmt.Errorf("building the CLIs needs the bench module as the working directory, not %q", got)
	}
	t := Tools{Wasmvisor: filepath.Join(dir, "wasmvisor"), Wazero: filepath.Join(dir, "wazero")}
	for _, b := range []struct{ out, pkg string }{
		{t.Wasmvisor, "github.com/wasmvisor/wasmvisor/cmd/wasmvisor"},
		{t.Wazero, "github.com/tetratelabs/wazero/cmd/wazero"},
	} {
		if _, err := command("go", "build", "-o", b.out, b.pkg); err != nil {
			return Tools{}, fmt.Errorf("building %s: %w", b.pkg, err)
		}
	}
	return t, nil
}

// CheckTools reports an error if a CLI the engines need cannot run
// programs: wasmvisor before it had a run command, for instance.
func CheckTools(t Tools, engines []*Engine) error {
	for _, e := range engines {
		if e == wasmvisorEngine || e == wasmvisorVM {
			var help bytes.Buffer
			cmd := exec.Command(t.Wasmvisor, "help")
			cmd.Stdout, cmd.Stderr = &help, &help
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s help: %w", t.Wasmvisor, err)
			}
			if !strings.Contains(help.String(), "\n  run ") {
				return fmt.Errorf("%s has no run command yet; measure the wazero CLIs alone with -engines", t.Wasmvisor)
			}
		}
	}
	return nil
}
