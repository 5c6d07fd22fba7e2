package hostfs

import (
	"encoding/binary"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// readDirents lists the open directory fd with getdents64(2), which,
// unlike os.File.ReadDir, gives each entry's inode number without a
// stat per entry.
func readDirents(fd int) ([]fs.DirEntry, error) {
	buf := make([]byte, 32<<10)
	var out []fs.DirEntry
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return out, nil
		}
		if out, err = parseDirents(out, buf[:n], fd); err != nil {
			return nil, err
		}
	}
}

// direntHeader is the size of struct linux_dirent64 before d_name:
// d_ino (8), d_off (8), d_reclen (2), d_type (1).
const direntHeader = 19

// parseDirents appends the entries in buf, a getdents64 result, to out,
// skipping "." and "..". Entries whose type the host file system does
// not report are stat'ed relative to the directory dirfd.
func parseDirents(out []fs.DirEntry, buf []byte, dirfd int) ([]fs.DirEntry, error) {
	for len(buf) > 0 {
		if len(buf) < direntHeader {
			return nil, syscall.EIO
		}
		ino := binary.NativeEndian.Uint64(buf[0:])
		reclen := int(binary.NativeEndian.Uint16(buf[16:]))
		dtype := buf[18]
		if reclen < direntHeader || reclen > len(buf) {
			return nil, syscall.EIO
		}
		name := buf[direntHeader:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		buf = buf[reclen:]
		if s := string(name); s != "." && s != ".." && s != "" {
			t := direntType(dtype)
			if t == fs.TypeUnknown {
				var st unix.Stat_t
				if err := unix.Fstatat(dirfd, s, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
					t = modeType(st.Mode)
				}
			}
			out = append(out, fs.DirEntry{Name: s, Type: t, Ino: ino})
		}
	}
	return out, nil
}

func direntType(t uint8) fs.Type {
	switch t {
	case unix.DT_REG:
		return fs.TypeRegular
	case unix.DT_DIR:
		return fs.TypeDir
	case unix.DT_LNK:
		return fs.TypeSymlink
	case unix.DT_CHR:
		return fs.TypeCharDevice
	case unix.DT_BLK:
		return fs.TypeBlockDevice
	case unix.DT_FIFO:
		return fs.TypeFIFO
	case unix.DT_SOCK:
		return fs.TypeSocket
	}
	return fs.TypeUnknown
}
