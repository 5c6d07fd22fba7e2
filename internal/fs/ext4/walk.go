package ext4

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"
)

// Path limits, as Linux sets them.
const (
	// MaxSymlinks is how many symlinks one path resolution may follow
	// before it fails with ELOOP (Linux's MAXSYMLINKS).
	MaxSymlinks = 40
	// MaxPathLen bounds a path and a symlink target (PATH_MAX).
	MaxPathLen = 4096
)

// Stat returns the metadata of inode ino.
func (fsys *FS) Stat(ino Ino) (Stat, error) {
	in, err := fsys.inode(ino)
	if err != nil {
		return Stat{}, err
	}
	return in.Stat, nil
}

// Readlink returns the target of symlink ino. It fails with EINVAL if ino
// is not a symlink.
func (fsys *FS) Readlink(ino Ino) (string, error) {
	in, err := fsys.inode(ino)
	if err != nil {
		return "", err
	}
	if in.fileType() != TypeSymlink {
		return "", fmt.Errorf("ext4: readlink of inode %d (%s): %w", ino, in.fileType(), syscall.EINVAL)
	}
	fsys.mu.Lock()
	target, ok := in.target, in.hasTarget
	fsys.mu.Unlock()
	if ok {
		return target, nil
	}
	if in.size >= MaxPathLen {
		return "", corrupt(ino, "symlink target of %d bytes exceeds %d", in.size, MaxPathLen-1)
	}
	f, err := fsys.openInode(ino, in)
	if err != nil {
		return "", err
	}
	b := make([]byte, in.size)
	if n, err := f.ReadAt(b, 0); n < len(b) && err != nil && err != io.EOF {
		return "", err
	}
	target = string(b)
	fsys.mu.Lock()
	in.target, in.hasTarget = target, true
	fsys.inodes.Add(ino, in, in.cost()) // account for the target
	fsys.mu.Unlock()
	return target, nil
}

// Walk resolves path to an inode as a chroot at the file system's root
// would: a relative path starts at directory start, an absolute one at the
// root; ".." in the root stays there; symlinks are followed (absolute ones
// from the root) except as the last component when follow is false; a
// trailing slash requires a directory. Errors are *fs.PathError holding
// syscall.ENOENT, ENOTDIR, ELOOP (more than MaxSymlinks symlinks),
// ENAMETOOLONG, or the error of a damaged directory or inode (EIO).
func (fsys *FS) Walk(start Ino, path string, follow bool) (Ino, error) {
	ino, err := fsys.walk(start, path, follow)
	if err != nil {
		return 0, &fs.PathError{Op: "walk", Path: path, Err: unwrapErrno(err)}
	}
	return ino, nil
}

func (fsys *FS) walk(start Ino, path string, follow bool) (Ino, error) {
	switch {
	case path == "":
		return 0, syscall.ENOENT
	case len(path) >= MaxPathLen:
		return 0, syscall.ENAMETOOLONG
	}
	cur := start
	rest := path
	links := 0
	for {
		if strings.HasPrefix(rest, "/") {
			// Only the path itself and absolute symlink targets
			// start with a slash: between components the slashes
			// are trimmed below.
			cur = rootIno
			rest = strings.TrimLeft(rest, "/")
		}
		dir, err := fsys.dirInode(cur)
		if err != nil {
			return 0, err
		}
		if rest == "" {
			return cur, nil
		}
		name, after, _ := strings.Cut(rest, "/")
		after = strings.TrimLeft(after, "/")
		last := after == ""
		// A trailing slash makes the last component a directory, so a
		// symlink there is followed.
		trailing := last && strings.HasSuffix(rest, "/")
		switch name {
		case ".":
		case "..":
			if cur, err = fsys.parent(cur, dir); err != nil {
				return 0, err
			}
		default:
			child, err := fsys.Lookup(cur, name)
			if err != nil {
				return 0, err
			}
			in, err := fsys.inode(child)
			if err != nil {
				return 0, err
			}
			if in.fileType() == TypeSymlink && (!last || follow || trailing) {
				if links++; links > MaxSymlinks {
					return 0, syscall.ELOOP
				}
				target, err := fsys.Readlink(child)
				if err != nil {
					return 0, err
				}
				if target == "" {
					return 0, syscall.ENOENT
				}
				// The rest is at most MaxSymlinks targets long.
				switch {
				case trailing:
					rest = target + "/"
				case last:
					rest = target
				default:
					rest = target + "/" + after
				}
				continue
			}
			if last {
				if trailing && in.fileType() != TypeDir {
					return 0, syscall.ENOTDIR
				}
				return child, nil
			}
			cur = child
		}
		rest = after
	}
}

// unwrapErrno returns the bare errno of an error the path explains
// (ENOENT, ENOTDIR, ENAMETOOLONG, EINVAL, ELOOP), so that the PathError
// holds it directly; other errors, such as damaged metadata, are kept
// whole for their message.
func unwrapErrno(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ENOENT, syscall.ENOTDIR, syscall.ENAMETOOLONG, syscall.EINVAL, syscall.ELOOP:
			return errno
		}
	}
	return err
}
