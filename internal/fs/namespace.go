package fs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Namespace is a guest's view of its files: file systems mounted at
// absolute guest paths. A path is served by the file system mounted at
// its longest mounted prefix, so a host directory mounted at "/data"
// covers whatever "/data" is in the file system mounted at "/". A mount
// point does not need to exist in the file system below it.
//
// A Namespace is safe for concurrent use.
type Namespace struct {
	mu     sync.RWMutex
	mounts []mount // deepest first, so the first prefix match is the longest
}

type mount struct {
	path  string   // clean absolute guest path
	comps []string // path split into components; empty for "/"
	fs    FS
}

// NewNamespace returns a namespace with nothing mounted.
func NewNamespace() *Namespace { return &Namespace{} }

// Mount mounts f at the absolute guest path guestPath. Mounting twice at
// the same path is an error.
func (ns *Namespace) Mount(guestPath string, f FS) error {
	if f == nil {
		return fmt.Errorf("mounting at %q: nil file system", guestPath)
	}
	if !strings.HasPrefix(guestPath, "/") {
		return fmt.Errorf("mount point %q is not an absolute path", guestPath)
	}
	clean := CleanAbs(guestPath)
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, m := range ns.mounts {
		if m.path == clean {
			return fmt.Errorf("mount point %q is already in use", clean)
		}
	}
	ns.mounts = append(ns.mounts, mount{path: clean, comps: splitClean(clean), fs: f})
	slices.SortStableFunc(ns.mounts, func(a, b mount) int { return len(b.comps) - len(a.comps) })
	return nil
}

// Loc is a place in a namespace: a file system and a name inside it.
type Loc struct {
	// Path is the clean absolute guest path.
	Path string
	// FS serves Path, under the name Name.
	FS   FS
	Name string
	// MountPath is the guest path FS is mounted at; Name is "." exactly
	// when Path == MountPath.
	MountPath string
}

// IsMountRoot reports whether l is the root of a mounted file system,
// which cannot be removed or renamed.
func (l Loc) IsMountRoot() bool { return l.Name == "." }

// Locate returns the location of the clean absolute guest path p, or
// ENOENT if no file system is mounted at or above it.
func (ns *Namespace) Locate(p string) (Loc, error) {
	return ns.locate(splitClean(CleanAbs(p)))
}

func (ns *Namespace) locate(comps []string) (Loc, error) {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, m := range ns.mounts {
		if len(m.comps) > len(comps) || !slices.Equal(m.comps, comps[:len(m.comps)]) {
			continue
		}
		name := "."
		if rest := comps[len(m.comps):]; len(rest) > 0 {
			name = strings.Join(rest, "/")
		}
		return Loc{Path: joinAbs(comps), FS: m.fs, Name: name, MountPath: m.path}, nil
	}
	return Loc{}, syscall.ENOENT
}

// ChildMounts returns the names of the mount points directly inside the
// directory at the guest path dir, so that a listing of dir can show
// them even where the file system below has no such entry.
func (ns *Namespace) ChildMounts(dir string) []string {
	comps := splitClean(CleanAbs(dir))
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	var names []string
	for _, m := range ns.mounts {
		if len(m.comps) == len(comps)+1 && slices.Equal(m.comps[:len(comps)], comps) {
			names = append(names, m.comps[len(comps)])
		}
	}
	return names
}

// Resolved is the result of resolving a path.
type Resolved struct {
	Loc
	// Exists reports whether the file exists; Stat is valid only then.
	// A missing last component is not an error, so that callers can
	// create it; a missing directory on the way is.
	Exists bool
	Stat   Stat
	// TrailingSlash reports that the path (or the target of a final
	// symbolic link that was followed) ended in a slash, so it must name
	// a directory.
	TrailingSlash bool
	// Dot reports that the path did not end in a name: it ended in "."
	// or "..", or was a symbolic link to "/". The result is then an
	// existing directory that has no name to create, remove or rename.
	Dot bool
}

// maxSteps bounds the components one resolution looks up, so that a
// chain of long symbolic links costs bounded time.
const maxSteps = 4 * MaxPath

// Resolve resolves path, relative to the directory at the clean absolute
// guest path base, the way WASI path arguments are resolved:
//
//   - path is relative; an absolute path, or ".." above base, gives
//     ErrNotCapable, as does any other step that would end outside base.
//   - Symbolic links in every component but the last are followed; the
//     last is followed only if follow is true. A relative target is
//     resolved from the link's directory, an absolute one from the
//     namespace root (it must still lead back beneath base). More than
//     MaxSymlinks links give ELOOP.
//   - A component that is not a directory gives ENOTDIR, a missing one
//     ENOENT; a missing last component gives a result with Exists false.
//   - An empty path gives ENOENT, a NUL byte EINVAL, and a path longer
//     than MaxPath or a component longer than MaxName ENAMETOOLONG.
func (ns *Namespace) Resolve(base, path string, follow bool) (Resolved, error) {
	switch {
	case path == "":
		return Resolved{}, syscall.ENOENT
	case len(path) > MaxPath:
		return Resolved{}, syscall.ENAMETOOLONG
	case strings.IndexByte(path, 0) >= 0:
		return Resolved{}, syscall.EINVAL
	case path[0] == '/':
		return Resolved{}, ErrNotCapable
	}
	baseComps := splitClean(CleanAbs(base))
	if r, ok := ns.resolveFast(baseComps, path, follow); ok && fastResolve {
		return r, nil
	}
	comps := slices.Clip(slices.Clone(baseComps))
	pending, trailing := splitPending(nil, path)
	links, steps := 0, 0
	for len(pending) > 0 {
		c := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		final := len(pending) == 0
		if steps++; steps > maxSteps {
			return Resolved{}, syscall.ELOOP
		}
		switch c {
		case ".":
			continue
		case "..":
			// Above base, a ".." would leave the starting directory;
			// below it, the parent is a directory already walked.
			if len(comps) <= len(baseComps) {
				return Resolved{}, ErrNotCapable
			}
			comps = comps[:len(comps)-1]
			continue
		}
		if len(c) > MaxName {
			return Resolved{}, syscall.ENAMETOOLONG
		}
		// Above base (after an absolute symbolic link) the walk may only
		// retrace the path down to base.
		if len(comps) < len(baseComps) && c != baseComps[len(comps)] {
			return Resolved{}, ErrNotCapable
		}
		comps = append(comps, c)
		loc, err := ns.locate(comps)
		if err != nil {
			return Resolved{}, err
		}
		st, err := loc.FS.Lstat(loc.Name)
		if err != nil {
			if final && Errno(err) == syscall.ENOENT {
				if len(comps) < len(baseComps) {
					return Resolved{}, ErrNotCapable
				}
				return Resolved{Loc: loc, TrailingSlash: trailing}, nil
			}
			return Resolved{}, err
		}
		if st.Type == TypeSymlink && (!final || follow) {
			if links++; links > MaxSymlinks {
				return Resolved{}, syscall.ELOOP
			}
			target, err := loc.FS.Readlink(loc.Name)
			if err != nil {
				return Resolved{}, err
			}
			switch {
			case target == "":
				return Resolved{}, syscall.ENOENT
			case len(target) > MaxPath:
				return Resolved{}, syscall.ENAMETOOLONG
			case strings.IndexByte(target, 0) >= 0:
				return Resolved{}, syscall.EINVAL
			}
			comps = comps[:len(comps)-1]
			if target[0] == '/' {
				comps = comps[:0]
			}
			var targetTrailing bool
			pending, targetTrailing = splitPending(pending, target)
			if final {
				trailing = trailing || targetTrailing
			}
			continue
		}
		if !final {
			if st.Type != TypeDir {
				return Resolved{}, syscall.ENOTDIR
			}
			continue
		}
		if len(comps) < len(baseComps) {
			return Resolved{}, ErrNotCapable
		}
		return Resolved{Loc: loc, Exists: true, Stat: st, TrailingSlash: trailing}, nil
	}
	// The path ended in ".", ".." or a link to "/": it names the
	// directory reached so far.
	if len(comps) < len(baseComps) {
		return Resolved{}, ErrNotCapable
	}
	loc, err := ns.locate(comps)
	if err != nil {
		return Resolved{}, err
	}
	st, err := loc.FS.Lstat(loc.Name)
	if err != nil {
		return Resolved{}, err
	}
	if st.Type != TypeDir {
		return Resolved{}, syscall.ENOTDIR
	}
	return Resolved{Loc: loc, Exists: true, Stat: st, TrailingSlash: trailing, Dot: true}, nil
}

// fastResolve lets tests compare resolveFast with the full walk.
var fastResolve = true

// resolveFast handles the common case in one Lstat: a path of plain names
// that stays in the file system of base. FS methods refuse symbolic links
// on the way (ELOOP), so a successful Lstat proves that every directory
// on the way is real, and the component-by-component walk would reach the
// same result. Anything else, including every error, is left to it.
func (ns *Namespace) resolveFast(baseComps []string, path string, follow bool) (Resolved, bool) {
	if strings.HasSuffix(path, "/") {
		return Resolved{}, false
	}
	comps := slices.Clip(slices.Clone(baseComps))
	for c := range strings.SplitSeq(path, "/") {
		if c == "" || c == "." || c == ".." || len(c) > MaxName {
			return Resolved{}, false
		}
		comps = append(comps, c)
	}
	loc, err := ns.locate(comps)
	if err != nil {
		return Resolved{}, false
	}
	baseLoc, err := ns.locate(baseComps)
	if err != nil || baseLoc.MountPath != loc.MountPath {
		return Resolved{}, false
	}
	st, err := loc.FS.Lstat(loc.Name)
	if err != nil || (st.Type == TypeSymlink && follow) {
		return Resolved{}, false
	}
	return Resolved{Loc: loc, Exists: true, Stat: st}, true
}

// splitPending pushes the components of p onto the stack pending, last
// component first so that the next one to resolve is on top. Empty
// components ("a//b") are dropped; "." and ".." are kept. It also
// reports whether p ends in a slash.
func splitPending(pending []string, p string) ([]string, bool) {
	trailing := strings.HasSuffix(p, "/")
	end := len(p)
	for i := len(p) - 1; i >= -1; i-- {
		if i >= 0 && p[i] != '/' {
			continue
		}
		if c := p[i+1 : end]; c != "" {
			pending = append(pending, c)
		}
		end = i
	}
	return pending, trailing
}

// CleanAbs returns the shortest absolute path equivalent to p, handling
// ".." lexically (it never goes above "/"). The result starts with "/"
// and has no trailing slash unless it is "/".
func CleanAbs(p string) string {
	return joinAbs(splitClean(p))
}

// splitClean splits p into components, resolving "." and ".."
// lexically and dropping empty components.
func splitClean(p string) []string {
	var comps []string
	for c := range strings.SplitSeq(p, "/") {
		switch c {
		case "", ".":
		case "..":
			if len(comps) > 0 {
				comps = comps[:len(comps)-1]
			}
		default:
			comps = append(comps, c)
		}
	}
	return comps
}

func joinAbs(comps []string) string {
	return "/" + strings.Join(comps, "/")
}

// Join returns the name of the entry elem in the directory dir, both FS
// names in the form FS methods take.
func Join(dir, elem string) string {
	if dir == "." {
		return elem
	}
	return dir + "/" + elem
}

// Split splits the FS name into its directory and last element: "a/b/c"
// gives "a/b" and "c", "c" gives "." and "c".
func Split(name string) (dir, elem string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return ".", name
	}
	return name[:i], name[i+1:]
}

// ValidName reports whether name has the form FS methods take: "." or
// slash-separated components none of which is empty, "." or "..".
func ValidName(name string) bool {
	if name == "." {
		return true
	}
	if name == "" || strings.IndexByte(name, 0) >= 0 {
		return false
	}
	for c := range strings.SplitSeq(name, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}
