package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
)

func TestCheckMain(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		needKVM  bool
		wantCode int
		want     []string // regexps the output must match
	}{
		{
			name: "works", args: nil, needKVM: true, wantCode: 0,
			want: []string{`(?m)^hardware isolation: available`, `(?m)^  ok    guest `, `(?m)^  info  TSS +TR holds an? (busy|available) TSS`},
		},
		{
			name: "bench", args: []string{"--bench", "--runs", "10"}, needKVM: true, wantCode: 0,
			want: []string{
				`(?m)^vm cold start: \d+ µs$`,
				`(?m)^vm pooled start: \d+ µs$`,
				`(?m)^hypercall round trip: \d+ µs$`,
				`(?m)^raw exit round trip: \d+ µs$`,
			},
		},
		{
			name: "no device", args: []string{"--device", "/nonexistent/kvm"}, wantCode: 1,
			want: []string{
				`(?m)^execution tier: (compiled|interp) `, `(?m)^hardware isolation: NOT available`, `FAIL  device +/nonexistent/kvm does not exist`,
				`(?m)^  info  meaning +instances run inside the wasmvisor process`, `(?m)^  info  to get KVM +`,
			},
		},
		{
			name: "not a device", args: []string{"--device", "/proc/self/status"}, wantCode: 1,
			want: []string{`is not a character device`},
		},
		{name: "bad runs", args: []string{"--runs", "0"}, wantCode: 2},
		{name: "extra argument", args: []string{"x"}, wantCode: 2},
		{name: "help", args: []string{"-h"}, wantCode: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needKVM {
				kvmtest.Require(t)
			}
			var stdout, stderr bytes.Buffer
			code := checkMain(tc.args, &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.wantCode, &stdout, &stderr)
			}
			for _, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(stdout.String()) {
					t.Errorf("output does not match %q:\n%s", w, &stdout)
				}
			}
		})
	}
}

func TestMain_Check(t *testing.T) {
	if code := Main([]string{"check", "--device", "/nonexistent/kvm"}); code != 1 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(commands["check"].summary, "hardware isolation") {
		t.Fatalf("summary %q", commands["check"].summary)
	}
}
