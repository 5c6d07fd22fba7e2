package launch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
)

// TestHost_Run runs one compiled module many times, concurrently, each
// run with its own arguments, streams and outcome.
func TestHost_Run(t *testing.T) {
	ctx := context.Background()
	bin, err := os.ReadFile("testdata/tool.wasm")
	if err != nil {
		t.Fatal(err)
	}
	limits := NewLimits()
	limits.Timeout = time.Minute
	h, err := NewHost(ctx, HostConfig{Limits: *limits, Isolation: wasmvisor.IsolationProcess})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	c, err := h.Compile(ctx, "tool", bin)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		timeout    time.Duration
		wantStatus int
		wantOut    string
		wantTrap   api.TrapKind
	}{
		{name: "echo", args: []string{"echo", "a"}, stdin: "in\n", wantOut: "arg a\nenv K=V\nin\n"},
		{name: "exit", args: []string{"exit", "7"}, wantStatus: 7},
		{name: "trap", args: []string{"trap"}, wantStatus: ExitTrap, wantTrap: api.TrapUnreachable},
		{name: "timeout", args: []string{"loop"}, timeout: 100 * time.Millisecond, wantStatus: ExitTrap, wantTrap: api.TrapTimeout},
	}
	// Parallel subtests end before the group does, and the Host is
	// closed after the group.
	t.Run("group", func(t *testing.T) {
		for range 2 { // the same compiled module, again
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					var out bytes.Buffer
					p := &Program{File: "tool", Args: tt.args, Env: []string{"K=V"}, Stdin: strings.NewReader(tt.stdin), Stdout: &out}
					p.Limits.Timeout = tt.timeout
					res := h.Run(ctx, c, p)
					if res.Status != tt.wantStatus {
						t.Fatalf("status %d (%v), want %d", res.Status, res.Err, tt.wantStatus)
					}
					if tt.wantOut != "" && out.String() != tt.wantOut {
						t.Errorf("stdout %q, want %q", out.String(), tt.wantOut)
					}
					if tt.wantTrap != 0 {
						trap, ok := errors.AsType[*api.Trap](res.Err)
						if !ok || trap.Kind != tt.wantTrap {
							t.Errorf("err %v, want a trap of kind %v", res.Err, tt.wantTrap)
						}
					}
				})
			}
		}
	})
}

// TestHost_Compile checks what Compile refuses: what is no module, what
// the policy refuses, and imports a Host cannot link.
func TestHost_Compile(t *testing.T) {
	ctx := context.Background()
	limits := NewLimits()
	limits.Policy.MaxMemoryPages = wasmvisor.LimitOf(1)
	h, err := NewHost(ctx, HostConfig{Limits: *limits, Isolation: wasmvisor.IsolationProcess})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	header := "\x00asm\x01\x00\x00\x00"
	tests := []struct {
		name, bin, want string
	}{
		{"garbage", "not a module", "magic header not detected"},
		{"policy", header + "\x05\x03\x01\x00\x04", "-W max-memory-size=65536"},
		{"import", header + "\x01\x04\x01\x60\x00\x00\x02\x07\x01\x01m\x01f\x00\x00", "unknown import m.f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Compile(ctx, "m", []byte(tt.bin))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want one containing %q", err, tt.want)
			}
		})
	}
}
