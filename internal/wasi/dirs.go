package wasi

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/hostfs"
)

// DirSpec maps a host directory into the guest, as wasmtime's
// --dir HOST[::GUEST] does.
type DirSpec struct {
	Host     string
	Guest    string // as the guest sees it: "/", "/data", "." …
	ReadOnly bool
}

// ParseDirSpec parses HOST[::GUEST]. Without a guest part the guest path
// is the host path as written, so "--dir ." preopens "." and "--dir=/"
// maps the host root to "/".
func ParseDirSpec(s string) (DirSpec, error) {
	host, guest, found := strings.Cut(s, "::")
	if !found {
		guest = host
	}
	if host == "" || guest == "" {
		return DirSpec{}, fmt.Errorf("directory mapping %q: want HOST[::GUEST]", s)
	}
	return DirSpec{Host: host, Guest: guest}, nil
}

// MountDirs opens the host directories of specs and returns a preopen for
// each, in order. Mappings to absolute guest paths share one namespace,
// so that a directory mapped at "/data" also appears inside one mapped at
// "/"; ns, if not nil, is that namespace (for example with a disk image
// mounted at "/" already). A mapping to a relative guest path such as
// "." is a tree of its own. The returned function closes the host
// directories.
func MountDirs(ns *fs.Namespace, specs []DirSpec) ([]Preopen, func() error, error) {
	var opened []*hostfs.FS
	closeAll := func() error {
		var errs []error
		for _, h := range opened {
			errs = append(errs, h.Close())
		}
		return errors.Join(errs...)
	}
	if ns == nil {
		ns = fs.NewNamespace()
	}
	var preopens []Preopen
	for _, d := range specs {
		h, err := hostfs.New(d.Host, hostfs.Options{ReadOnly: d.ReadOnly})
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("--dir %s: %w", d.Host, err)
		}
		opened = append(opened, h)
		target, path := ns, fs.CleanAbs(d.Guest)
		if !strings.HasPrefix(d.Guest, "/") {
			target, path = fs.NewNamespace(), "/"
		}
		if err := target.Mount(path, h); err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("--dir %s::%s: %w", d.Host, d.Guest, err)
		}
		preopens = append(preopens, Preopen{Name: d.Guest, NS: target, Path: path})
	}
	return preopens, closeAll, nil
}
