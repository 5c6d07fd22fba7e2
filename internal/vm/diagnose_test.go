package vm

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
)

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name    string
		device  string
		needKVM bool
		usable  bool
		want    map[string]string // finding name -> text its detail contains
	}{
		{"this host", "", true, true, map[string]string{"device": "opened read/write", "guest": "ran a ring-3 guest"}},
		{"missing device", "/nonexistent/kvm", false, false, map[string]string{"device": "does not exist"}},
		{"regular file", "/proc/self/status", false, false, map[string]string{"device": "not a character device"}},
		{"other character device", "/dev/null", false, false, map[string]string{"device": "KVM_GET_API_VERSION"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needKVM {
				kvmtest.Require(t)
			}
			r := Diagnose(tc.device)
			if r.Usable != tc.usable {
				t.Fatalf("Usable = %v: %+v", r.Usable, r.Findings)
			}
			for name, text := range tc.want {
				found := false
				for _, f := range r.Findings {
					if f.Name == name && strings.Contains(f.Detail, text) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s finding containing %q in %+v", name, text, r.Findings)
				}
			}
		})
	}
}

func TestExplainOpenError(t *testing.T) {
	fi, err := os.Stat("/dev/null")
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"permission", &fs.PathError{Op: "open", Path: "/dev/kvm", Err: fs.ErrPermission}, "add the user to group"},
		{"other", errors.New("boom"), "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := explainOpenError("/dev/kvm", fi, tc.err); !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want it to contain %q", got, tc.want)
			}
		})
	}
}

func TestVirtualization(t *testing.T) {
	f := virtualization()
	if !f.OK || !f.Info || f.Detail == "" {
		t.Fatalf("%+v", f)
	}
}
