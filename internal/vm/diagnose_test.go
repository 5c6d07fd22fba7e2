package vm

import (
	"errors"
	"io/fs"
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/kvm/kvmtest"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name    string
		device  string
		needKVM bool
		usable  bool
		want    map[string]string // finding name -> text its detail contains
	}{
		{"this host", "", true, true, map[string]string{"device": "opened read/write", "guest": "ran a ring-3 guest", "TSS": "TR holds"}},
		{"missing device", "/nonexistent/kvm", false, false, map[string]string{"device": "does not exist", "meaning": "inside the wasmvisor process", "to get KVM": "group kvm"}},
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

func TestHostKVM(t *testing.T) {
	tests := []struct {
		name     string
		host     hostKVM
		kind     string
		tss      x86.TSSType // 0: the kind does not determine it
		describe string
		advice   []string // what withoutKVM says, for a host without the device
	}{
		{
			name: "PVM in a VM", host: hostKVM{registered: true, module: "kvm_pvm", nested: true},
			kind: "PVM, nested", tss: x86.TSSBusy, describe: "KVM is PVM (kvm_pvm)",
		},
		{
			name: "Intel bare metal", host: hostKVM{registered: true, module: "kvm_intel", hwvirt: "vmx"},
			kind: "Intel VT-x", tss: x86.TSSBusy, describe: "bare metal",
		},
		{
			name: "AMD bare metal", host: hostKVM{registered: true, module: "kvm_amd", hwvirt: "svm"},
			kind: "AMD-V", tss: x86.TSSBusy, describe: "KVM uses AMD-V (kvm_amd); bare metal",
		},
		{
			name: "AMD nested", host: hostKVM{registered: true, module: "kvm_amd", hwvirt: "svm", nested: true},
			kind: "AMD-V, nested", describe: "nested",
		},
		{
			name: "QEMU's emulated SVM", host: hostKVM{registered: true, module: "kvm_amd", hwvirt: "svm", nested: true, emulated: true},
			kind: "AMD-V emulated by QEMU, nested", tss: x86.TSSAvailable, describe: "QEMU emulates in software",
		},
		{
			name: "module without device", host: hostKVM{module: "kvm_pvm", nested: true},
			advice: []string{"module kvm_pvm is loaded but registered no KVM device", "turn on nested virtualization", "docker run --device"},
		},
		{
			name: "device node missing", host: hostKVM{registered: true, module: "kvm_amd"},
			advice: []string{"but /dev/kvm is missing", "mknod /dev/kvm c 10 232"},
		},
		{
			name: "CPU with VT-x, no module", host: hostKVM{hwvirt: "vmx"},
			advice: []string{"no KVM device", "modprobe kvm_intel", "inside the wasmvisor process"},
		},
		{
			name: "bare metal without virtualization", host: hostKVM{},
			advice: []string{"firmware", "group kvm"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.advice != nil {
				var text []string
				for _, f := range tc.host.withoutKVM("/dev/kvm") {
					if !f.OK || !f.Info {
						t.Errorf("finding %+v is not informational", f)
					}
					text = append(text, f.Detail)
				}
				all := strings.Join(text, "\n")
				for _, w := range tc.advice {
					if !strings.Contains(all, w) {
						t.Errorf("advice does not say %q:\n%s", w, all)
					}
				}
				return
			}
			if got := tc.host.String(); got != tc.kind {
				t.Errorf("kind %q, want %q", got, tc.kind)
			}
			if got := tc.host.describe(); !strings.Contains(got, tc.describe) {
				t.Errorf("description %q does not contain %q", got, tc.describe)
			}
			got, known := tc.host.expectTSS()
			if got != tc.tss || known != (tc.tss != 0) {
				t.Errorf("expected TSS %v (%v), want %v", got, known, tc.tss)
			}
		})
	}
}
