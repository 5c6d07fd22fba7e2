package clitest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	wv "github.com/wasmvisor/wasmvisor"
)

// requireVM skips t where micro-VMs cannot run, except where the run
// asks for them (WASMVISOR_ISOLATION=vm, as CI sets where KVM works):
// there it fails.
func requireVM(t *testing.T) {
	t.Helper()
	if err := wv.IsolationVM.Available(); err != nil {
		if os.Getenv("WASMVISOR_ISOLATION") == "vm" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// TestIsolationVM checks from outside the process that a program run
// with --isolation=vm runs in a micro-VM: while it waits for input the
// process holds a KVM virtual CPU; every exit it made came from user
// mode (--stats says so, and the engine refuses any other); and its
// read outside its memory ends in the spec's trap with the backtrace
// in-process runs give. (That ring 3 cannot execute privileged
// instructions or reach other I/O ports is TestVM_Run_Traps in
// internal/vm, on hand-written guests: compiled WebAssembly cannot
// express either.)
func TestIsolationVM(t *testing.T) {
	requireVM(t)
	t.Run("holds a vCPU while it runs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, wasmvisorBin, "run", "--isolation=vm", "--stats", wat(t, "waitstdin"))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var fds []string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			fds = openFiles(cmd.Process.Pid)
			if containsPrefix(fds, "anon_inode:kvm-vcpu") {
				break
			}
		}
		stdin.Write([]byte{42})
		stdin.Close()
		err = cmd.Wait()
		if !containsPrefix(fds, "anon_inode:kvm-vcpu") || !containsPrefix(fds, "anon_inode:kvm-vm") {
			t.Errorf("while the program waited, its process held no KVM VM and vCPU; open files: %q", fds)
		}
		if code := cmd.ProcessState.ExitCode(); code != 42 {
			t.Errorf("exit status %d (%v), want 42\n%s", code, err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "isolation vm") || !strings.Contains(stderr.String(), "wasi_snapshot_preview1.fd_read") {
			t.Errorf("--stats does not show a run in a micro-VM that read its input through a hypercall:\n%s", stderr.String())
		}
	})
	t.Run("a read outside its memory traps", func(t *testing.T) {
		r := wasmvisor(t, proc{}, "run", "--isolation=vm", wat(t, "oob"))
		if r.code != 134 || !strings.Contains(r.stderr, "wasm trap: out of bounds memory access") || !strings.Contains(r.stderr, "peek") {
			t.Fatalf("want the out-of-bounds trap in $peek, exit 134\n%v", r)
		}
	})
}

// openFiles returns what the open descriptors of process pid refer to.
func openFiles(pid int) []string {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil {
			out = append(out, l)
		}
	}
	return out
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
