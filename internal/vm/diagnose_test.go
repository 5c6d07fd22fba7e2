package vm

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
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
	dir := t.TempDir()
	file := func(mode os.FileMode) fs.FileInfo {
		p := dir + "/kvm" + mode.String()
		if err := os.WriteFile(p, nil, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	denied := &fs.PathError{Op: "open", Path: "/dev/kvm", Err: fs.ErrPermission}
	me, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	tests := []struct {
		name string
		fi   fs.FileInfo
		err  error
		want string
	}{
		{"group may open it", file(0o660), denied, "add the user to group"},
		{"only the owner may", file(0o600), denied, "only " + me.Username + " may open it; let a group in"},
		{"other error", file(0o600), errors.New("boom"), "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := explainOpenError("/dev/kvm", tc.fi, tc.err); !strings.Contains(got, tc.want) {
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
