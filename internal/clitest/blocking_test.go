package clitest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRun_timeoutWhileBlocked checks that -W timeout ends a program that
// waits for the host in ways other than a read of standard input: a read
// of a FIFO no one writes, and writes to a standard output no one reads.
func TestRun_timeoutWhileBlocked(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A writer that never writes: a read waits instead of seeing the end.
	writer, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	p, spam := probe(t), wat(t, "spam")
	tests := []struct {
		name       string
		args       []string
		stdoutPipe bool // a pipe no one reads, instead of a buffer
	}{
		{"reading a FIFO", []string{"--dir", dir + "::/", p, "read", "/fifo"}, false},
		{"writing a full pipe", []string{spam}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			args := append([]string{"run", "-W", "timeout=300ms"}, tt.args...)
			cmd := exec.CommandContext(ctx, wasmvisorBin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if tt.stdoutPipe {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				defer w.Close()
				cmd.Stdout = w
			}
			start := time.Now()
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("still running after 30 s; stderr:\n%s", stderr.String())
			}
			exit, ok := errors.AsType[*exec.ExitError](err)
			if !ok || exit.ExitCode() != 134 || !strings.Contains(stderr.String(), "wasm trap: timeout") {
				t.Fatalf("ended with %v after %v, want status 134 and a timeout trap; stderr:\n%s", err, time.Since(start), stderr.String())
			}
		})
	}
}

// TestRun_closedStdout checks that a program whose standard output was
// closed by its reader gets EPIPE and ends as it chooses, rather than the
// runtime dying of SIGPIPE without a word.
func TestRun_closedStdout(t *testing.T) {
	p := probe(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(wasmvisorBin, "run", p, "read", "/nonexistent", "exit", "7")
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if exit, ok := errors.AsType[*exec.ExitError](err); !ok || exit.ExitCode() != 7 {
		t.Fatalf("ended with %v, want the program's exit status 7; stderr:\n%s", err, stderr.String())
	}
}
