package vm

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/kvm"
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
// unexpected API version, missing capabilities. It also says what kind of
// virtualization it found (nested, PVM), and finally runs a small guest.
// device is the KVM device; empty means /dev/kvm.
func Diagnose(device string) Report {
	if device == "" {
		device = kvm.DevicePath
	}
	var r Report
	add := func(name string, ok bool, format string, args ...any) {
		r.Findings = append(r.Findings, Finding{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	}
	virt := virtualization()

	fi, err := os.Stat(device)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		add("device", false, "%s does not exist: the kernel has no KVM (load kvm_intel or kvm_amd, "+
			"or enable virtualization in the firmware), or this container was started without "+
			"the device (docker run --device %s)", device, device)
		r.Findings = append(r.Findings, virt)
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
		r.Findings = append(r.Findings, virt)
		return r
	}
	defer sys.Close()
	add("device", true, "%s opened read/write", device)
	add("API version", true, "%d", kvm.APIVersion)

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
	got, err := runProbe(device)
	if err != nil {
		add("guest", false, "could not run a guest: %v", err)
		return r
	}
	add("guest", true, "ran a ring-3 guest with a hypercall in %v (result %#x)", time.Since(start).Round(time.Microsecond), got)
	r.Usable = true
	return r
}

// runProbe creates a VM and runs a guest that makes one hypercall and
// returns what the host answered, plus one.
func runProbe(device string) (uint64, error) {
	m, err := NewMonitor(Config{PoolSize: -1, Device: device, CodeSize: hugePage})
	if err != nil {
		return 0, err
	}
	defer m.Close()
	v, err := m.Get()
	if err != nil {
		return 0, err
	}
	defer m.Put(v)
	// mov eax, 1; out 0xf0, al; inc rax; ret
	code, err := benchCode(func(a *amd64.Asm) {
		a.MovImm(amd64.W32, amd64.RAX, 1)
		a.Out(HypercallPort)
		a.Inc(amd64.W64, amd64.RAX)
		a.Ret()
	})
	if err != nil {
		return 0, err
	}
	if err := v.LoadCode(code); err != nil {
		return 0, err
	}
	var tab Table
	tab.Register(1, func(c *Call) (uint64, error) { return 0x2a, nil })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := v.Run(ctx, &Entry{Hypercalls: &tab})
	if err != nil {
		return 0, err
	}
	if res[0] != 0x2b {
		return res[0], fmt.Errorf("the guest returned %#x, want 0x2b", res[0])
	}
	return res[0], nil
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

// virtualization describes the KVM this host has: PVM (software
// virtualization that runs guest user mode natively), nested (this host
// is itself a VM), or bare metal. It is informational: each kind works.
func virtualization() Finding {
	f := Finding{Name: "virtualization", OK: true, Info: true}
	nested := cpuFlag("hypervisor")
	pvm := moduleLoaded("kvm_pvm")
	var parts []string
	switch {
	case pvm:
		parts = append(parts, "KVM is PVM (kvm_pvm): software virtualization; guest ring 3 runs at native "+
			"speed, ring 0 is emulated and each exit to the host costs tens of microseconds")
	case moduleLoaded("kvm_intel"):
		parts = append(parts, "KVM uses Intel VT-x (kvm_intel)")
	case moduleLoaded("kvm_amd"):
		parts = append(parts, "KVM uses AMD-V (kvm_amd)")
	}
	if nested {
		parts = append(parts, "nested: this host is itself a virtual machine (the CPU reports a hypervisor)")
	} else {
		parts = append(parts, "bare metal: no hypervisor below this host")
	}
	f.Detail = strings.Join(parts, "; ")
	return f
}

func moduleLoaded(name string) bool {
	_, err := os.Stat("/sys/module/" + name)
	return err == nil
}

// cpuFlag reports whether /proc/cpuinfo lists flag for the first CPU.
func cpuFlag(flag string) bool {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, "flags") {
			continue
		}
		_, list, _ := strings.Cut(line, ":")
		for _, fl := range strings.Fields(list) {
			if fl == flag {
				return true
			}
		}
		return false
	}
	return false
}
