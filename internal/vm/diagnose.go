package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
	"github.com/wasmvisor/wasmvisor/internal/vm/x86"
)

// Finding is one thing Diagnose checked.
type Finding struct {
	// Name is what was checked: "device", "API version", "capabilities",
	// "virtualization" or "guest".
	Name string
	// OK is false for a problem that stops the monitor from working.
	OK bool
	// Info marks a finding that only describes the host.
	Info bool
	// Detail says what was found and, for a problem, what to do.
	Detail string
}

// Report is the outcome of Diagnose.
type Report struct {
	// Usable is true when the monitor can run guests on this host.
	Usable   bool
	Findings []Finding
}

// Diagnose checks whether the monitor can run guests on this host and
// explains why not: no KVM device, no permission to open it, an
// unexpected API version, missing capabilities. Where the device opens, it
// says what kind of KVM it is (PVM, Intel VT-x, AMD-V, emulated), runs a
// small guest and says how the guest's TSS is loaded; where there is no
// device, what that means and how to get one. device is the KVM device;
// empty means /dev/kvm.
func Diagnose(device string) Report {
	if device == "" {
		device = kvm.DevicePath
	}
	var r Report
	add := func(name string, ok bool, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	host := probeHost()

	fi, err := os.Stat(device)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		add("device", false, "%s does not exist", device)
		r.Findings = append(r.Findings, host.withoutKVM(device)...)
		return r
	case err != nil:
		add("device", false, "%v", err)
		return r
	case fi.Mode()&fs.ModeCharDevice == 0:
		add("device", false, "%s is not a character device (%v)", device, fi.Mode())
		return r
	}
	sys, err := kvm.OpenPath(device)
	if err != nil {
		add("device", false, "%s", explainOpenError(device, fi, err))
		return r
	}
	defer sys.Close()
	add("device", true, "%s opened read/write", device)
	add("API version", true, "%d", kvm.APIVersion)
	virt := Finding{Name: "virtualization", OK: true, Info: true, Detail: host.describe()}

	var have, missing []string
	for _, c := range requiredCaps {
		n, err := sys.CheckExtension(c.cap)
		ok := err == nil && ((c.mask && n&c.need == c.need) || (!c.mask && n >= c.need))
		desc := c.cap.String()
		if c.cap == kvm.CapNrMemslots {
			desc += "=" + strconv.Itoa(n)
		}
		if ok {
			have = append(have, desc)
		} else {
			missing = append(missing, fmt.Sprintf("%s (%s: the kernel reports %d, need %d)", c.cap, c.why, n, c.need))
		}
	}
	if len(missing) > 0 {
		add("capabilities", false, "missing %s; a newer kernel is needed", strings.Join(missing, ", "))
		r.Findings = append(r.Findings, virt)
		return r
	}
	add("capabilities", true, "%s", strings.Join(have, ", "))
	r.Findings = append(r.Findings, virt)

	start := time.Now()
	got, tss, err := runProbe(device)
	if err != nil {
		add("guest", false, "could not run a guest: %v", err)
		return r
	}
	add("guest", true, "ran a ring-3 guest with a hypercall in %v (result %#x)", time.Since(start).Round(time.Microsecond), got)
	tssDetail := tss.String()
	if want, known := host.expectTSS(); known && want != tss.Type {
		tssDetail += fmt.Sprintf("; unexpected on %s, which should take a %v", host, want)
	}
	r.Findings = append(r.Findings, Finding{Name: "TSS", OK: true, Info: true, Detail: tssDetail})
	r.Usable = true
	return r
}

// runProbe creates a VM and runs a guest that makes one hypercall and
// returns what the host answered, plus one. It also returns how the VM
// loads TR.
func runProbe(device string) (uint64, TSSSetup, error) {
	m, err := NewMonitor(Config{PoolSize: -1, Device: device, CodeSize: hugePage})
	if err != nil {
		return 0, TSSSetup{}, err
	}
	defer m.Close()
	v, err := m.Get()
	if err != nil {
		return 0, TSSSetup{}, err
	}
	tss, _ := m.TSS() // known once a VM exists
	defer m.Put(v)
	// mov eax, 1; out 0xf0, al; inc rax; ret
	code, err := benchCode(func(a *amd64.Asm) {
		a.MovImm(amd64.W32, amd64.RAX, 1)
		a.Out(HypercallPort)
		a.Inc(amd64.W64, amd64.RAX)
		a.Ret()
	})
	if err != nil {
		return 0, tss, err
	}
	if err := v.LoadCode(code); err != nil {
		return 0, tss, err
	}
	var tab Table
	tab.Register(1, func(c *Call) (uint64, error) { return 0x2a, nil })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := v.Run(ctx, &Entry{Hypercalls: &tab})
	if err != nil {
		return 0, tss, err
	}
	if res[0] != 0x2b {
		return res[0], tss, fmt.Errorf("the guest returned %#x, want 0x2b", res[0])
	}
	return res[0], tss, nil
}

// explainOpenError turns a failure to open the device into advice that
// fits its mode: join the group that may open it, or have one made.
func explainOpenError(device string, fi fs.FileInfo, err error) string {
	if !errors.Is(err, fs.ErrPermission) {
		return err.Error()
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Sprintf("permission denied opening %s: give the user read/write access to it", device)
	}
	name := func(id uint32, lookup func(string) (string, error)) string {
		s := strconv.FormatUint(uint64(id), 10)
		if n, err := lookup(s); err == nil {
			return n
		}
		return s
	}
	owner := name(st.Uid, func(s string) (string, error) {
		u, err := user.LookupId(s)
		if err != nil {
			return "", err
		}
		return u.Username, nil
	})
	group := name(st.Gid, func(s string) (string, error) {
		g, err := user.LookupGroupId(s)
		if err != nil {
			return "", err
		}
		return g.Name, nil
	})
	what := fmt.Sprintf("permission denied opening %s (mode %#o, owner %s, group %s)", device, fi.Mode().Perm(), owner, group)
	if fi.Mode().Perm()&0o060 == 0o060 {
		return fmt.Sprintf("%s: add the user to group %s (usermod -aG %s USER, then log in again) or run as root", what, group, group)
	}
	return fmt.Sprintf("%s: only %s may open it; let a group in (for example the udev rule "+
		`KERNEL=="kvm", GROUP="kvm", MODE="0660" and usermod -aG kvm USER) or run as root`, what, owner)
}

// hostKVM is what the kernel and the CPU say about this host's KVM.
type hostKVM struct {
	// registered is true when a KVM module registered the KVM device
	// (/sys/class/misc/kvm); module is the vendor module loaded, which
	// provides it then.
	registered bool
	module     string
	// emulated is true when QEMU emulates the CPU (TCG): the kvm_amd of a
	// machine whose SVM is software.
	emulated bool
	// nested is true when the CPU reports a hypervisor: the host is a VM.
	nested bool
	// hwvirt is the CPU's virtualization flag ("vmx" or "svm"), or "".
	hwvirt string
}

// kvmModules are the vendor modules that provide /dev/kvm, PVM first: it
// can be loaded beside kvm_intel or kvm_amd.
var kvmModules = []string{"kvm_pvm", "kvm_intel", "kvm_amd"}

func probeHost() hostKVM {
	var h hostKVM
	h.registered = exists("/sys/class/misc/kvm")
	for _, m := range kvmModules {
		if exists("/sys/module/" + m) {
			h.module = m
			break
		}
	}
	info := cpuInfo()
	h.emulated = strings.HasPrefix(info["model name"], "QEMU TCG CPU")
	flags := strings.Fields(info["flags"])
	h.nested = slices.Contains(flags, "hypervisor")
	for _, f := range []string{"vmx", "svm"} {
		if slices.Contains(flags, f) {
			h.hwvirt = f
		}
	}
	return h
}

// String names the kind of KVM, for a host whose device opened.
func (h hostKVM) String() string {
	var kind string
	switch h.module {
	case "kvm_pvm":
		kind = "PVM"
	case "kvm_intel":
		kind = "Intel VT-x"
	case "kvm_amd":
		kind = "AMD-V"
		if h.emulated {
			kind = "AMD-V emulated by QEMU"
		}
	default:
		kind = "KVM of an unknown vendor module"
	}
	if h.nested {
		kind += ", nested"
	}
	return kind
}

// describe says what the KVM of a host whose device opened is. It is
// informational: each kind works.
func (h hostKVM) describe() string {
	var parts []string
	switch h.module {
	case "kvm_pvm":
		parts = append(parts, "KVM is PVM (kvm_pvm): software virtualization; guest ring 3 runs at native "+
			"speed, ring 0 is emulated and each exit to the host costs tens of microseconds")
	case "kvm_intel":
		parts = append(parts, "KVM uses Intel VT-x (kvm_intel)")
	case "kvm_amd":
		if h.emulated {
			parts = append(parts, "KVM uses AMD-V (kvm_amd) of a CPU that QEMU emulates in software (TCG): "+
				"guests run correctly, but many times slower than on hardware")
		} else {
			parts = append(parts, "KVM uses AMD-V (kvm_amd)")
		}
	default:
		parts = append(parts, "no kvm_pvm, kvm_intel or kvm_amd module is loaded: the kernel has KVM built in or from another module")
	}
	if h.nested {
		parts = append(parts, "nested: this host is itself a virtual machine (the CPU reports a hypervisor)")
	} else {
		parts = append(parts, "bare metal: no hypervisor below this host")
	}
	return strings.Join(parts, "; ")
}

// expectTSS returns the TR type the probe should find on this kind of
// KVM, and whether the kind determines it (see TSSSetup): a nested AMD-V
// depends on the hypervisor below, which may be hardware or an emulator
// that does not say so.
func (h hostKVM) expectTSS() (x86.TSSType, bool) {
	switch {
	case h.module == "kvm_pvm", h.module == "kvm_intel":
		return x86.TSSBusy, true
	case h.module == "kvm_amd" && h.emulated:
		return x86.TSSAvailable, true
	case h.module == "kvm_amd" && !h.nested:
		return x86.TSSBusy, true
	}
	return 0, false
}

// withoutKVM explains a host without the KVM device: what runs instead,
// and how to get one on a host like this.
func (h hostKVM) withoutKVM(device string) []Finding {
	var why string
	switch {
	case h.registered:
		why = fmt.Sprintf("the kernel has a KVM device (/sys/class/misc/kvm) but %s is missing: "+
			"in a container, start it with the device (docker run --device /dev/kvm); "+
			"elsewhere, let udev create it or run mknod %s c 10 232", device, device)
	case h.module != "":
		why = fmt.Sprintf("module %s is loaded but registered no KVM device (/sys/class/misc/kvm is absent): "+
			"it found no virtualization it can use", h.module)
	default:
		why = "the kernel has no KVM device (/sys/class/misc/kvm is absent)"
	}
	var how []string
	switch {
	case h.registered:
		how = append(how, "create the device node as above")
	case h.hwvirt == "vmx":
		how = append(how, "the CPU has Intel VT-x: load its module (modprobe kvm_intel)")
	case h.hwvirt == "svm":
		how = append(how, "the CPU has AMD-V: load its module (modprobe kvm_amd)")
	case h.nested:
		how = append(how, "this host is a virtual machine whose CPU shows no VT-x or AMD-V: "+
			"turn on nested virtualization for it (a setting or an instance type of the cloud provider, "+
			"or nested=1 for kvm_intel or kvm_amd on the host below)")
	default:
		how = append(how, "the CPU shows no VT-x or AMD-V: turn virtualization on in the firmware (BIOS/UEFI), "+
			"then load kvm_intel or kvm_amd")
	}
	if !h.registered {
		how = append(how, "in a container, also pass the device (docker run --device /dev/kvm)")
	}
	how = append(how, "then let the user open it read/write (group kvm)")
	return []Finding{
		{Name: "no KVM", OK: true, Info: true, Detail: why},
		{Name: "meaning", OK: true, Info: true, Detail: "instances run inside the wasmvisor process, on the execution tier " +
			"above, confined by the runtime's own checks; KVM micro-VMs, which add a hardware boundary " +
			"around each instance, need a KVM device"},
		{Name: "to get KVM", OK: true, Info: true, Detail: strings.Join(how, "; ")},
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cpuInfo returns the fields /proc/cpuinfo lists for the first CPU.
func cpuInfo() map[string]string {
	info := map[string]string{}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return info
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if !ok {
			break // the blank line after the first CPU
		}
		info[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return info
}
