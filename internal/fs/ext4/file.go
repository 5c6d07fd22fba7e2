package ext4

import (
	"fmt"
	"io"
	"sync"
	"syscall"
)

// File reads the contents of a regular file or a symlink's target with
// io.ReaderAt semantics. It is safe for concurrent use.
type File struct {
	fsys   *FS
	in     *inode
	inline []byte // the contents, for inline-data files

	mu   sync.Mutex
	last run // the run the previous read ended in, to skip tree walks when streaming
}

// Open opens the regular file or symlink ino for reading. Directories give
// EISDIR (use ReadDir), device files, FIFOs and sockets EINVAL: they have
// no contents in an image.
func (fsys *FS) Open(ino Ino) (*File, error) {
	in, err := fsys.inode(ino)
	if err != nil {
		return nil, err
	}
	switch in.fileType() {
	case TypeRegular, TypeSymlink:
	case TypeDir:
		return nil, fmt.Errorf("ext4: open inode %d: %w", ino, syscall.EISDIR)
	default:
		return nil, fmt.Errorf("ext4: open inode %d (%s): %w", ino, in.fileType(), syscall.EINVAL)
	}
	return fsys.openInode(ino, in)
}

func (fsys *FS) openInode(ino Ino, in *inode) (*File, error) {
	if in.flags&flagEncrypt != 0 {
		return nil, fmt.Errorf("ext4: inode %d is encrypted: %w", ino, syscall.EACCES)
	}
	f := &File{fsys: fsys, in: in}
	if in.flags&flagInlineData != 0 {
		b, err := inlineData(ino, in)
		if err != nil {
			return nil, err
		}
		f.inline = b
	} else if in.fileType() == TypeSymlink && fsys.isFastSymlink(in) {
		if in.size >= iBlockSize {
			return nil, corrupt(ino, "fast symlink of %d bytes does not fit in i_block", in.size)
		}
		f.inline = in.block[:in.size]
	}
	return f, nil
}

// Ino returns the file's inode number.
func (f *File) Ino() Ino { return f.in.Ino }

// Size returns the file's size in bytes.
func (f *File) Size() int64 { return int64(f.in.size) }

// Stat returns the file's metadata.
func (f *File) Stat() Stat { return f.in.Stat }

// ReadAt reads len(p) bytes at offset off. Holes and unwritten extents
// read as zeros; a read that reaches the end of the file returns io.EOF.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("ext4: read at negative offset %d: %w", off, syscall.EINVAL)
	}
	size := f.in.size
	if uint64(off) >= size {
		return 0, io.EOF
	}
	var eof error
	if uint64(len(p)) > size-uint64(off) {
		p = p[:size-uint64(off)]
		eof = io.EOF
	}
	if f.inline != nil {
		return copy(p, f.inline[off:]), eof
	}
	bs := f.fsys.sb.blockSize
	done := 0
	for done < len(p) {
		pos := uint64(off) + uint64(done)
		lblk := pos / bs
		r, err := f.runAt(lblk)
		if err != nil {
			return done, err
		}
		n := int(min(uint64(len(p)-done), (r.lblk+r.n)*bs-pos))
		if r.zero {
			clear(p[done : done+n])
		} else {
			phys := (r.pblk+lblk-r.lblk)*bs + pos%bs
			if _, err := f.fsys.dev.ReadAt(p[done:done+n], int64(phys)); err != nil {
				return done, readError(f.in.Ino, phys/bs, err)
			}
		}
		done += n
	}
	return done, eof
}

// NextData returns the first range [start, end) at or after off that
// is mapped to written blocks, io.EOF if there is none before the end of
// the file. Holes and unwritten extents read as zeros, so copying a file
// needs only these ranges; each call walks the block map once per run it
// skips, however long a hole is.
func (f *File) NextData(off int64) (start, end int64, err error) {
	size := int64(f.in.size)
	if off < 0 {
		return 0, 0, fmt.Errorf("ext4: data at negative offset %d: %w", off, syscall.EINVAL)
	}
	if off >= size {
		return 0, 0, io.EOF
	}
	if f.inline != nil {
		return off, size, nil
	}
	bs := int64(f.fsys.sb.blockSize)
	for pos := off; pos < size; {
		lblk := uint64(pos / bs)
		if lblk >= maxLogical {
			break // no block map reaches this far
		}
		r, err := f.runAt(lblk)
		if err != nil {
			return 0, 0, err
		}
		runEnd := int64(min(r.lblk+r.n, maxLogical)) * bs
		if !r.zero {
			return pos, min(runEnd, size), nil
		}
		pos = runEnd
	}
	return 0, 0, io.EOF
}

// runAt returns the run that holds logical block lblk, starting at lblk.
func (f *File) runAt(lblk uint64) (run, error) {
	f.mu.Lock()
	last := f.last
	f.mu.Unlock()
	if lblk >= last.lblk && lblk < last.lblk+last.n {
		skip := lblk - last.lblk
		last.lblk, last.n = lblk, last.n-skip
		if !last.zero {
			last.pblk += skip
		}
		return last, nil
	}
	r, err := f.fsys.mapBlock(f.in.Ino, f.in, lblk)
	if err != nil {
		return r, err
	}
	f.mu.Lock()
	f.last = r
	f.mu.Unlock()
	return r, nil
}

// isFastSymlink reports whether a symlink's target is stored in i_block
// rather than in a data block: it has no data blocks, not counting an
// extended attribute block. This is the kernel's test
// (ext4_inode_is_fast_symlink); the target length alone cannot tell,
// because old tools wrote short targets to data blocks too.
func (fsys *FS) isFastSymlink(in *inode) bool {
	if in.flags&flagEAInode != 0 {
		return in.size > 0 && in.size < iBlockSize
	}
	blocks := uint64(in.Blocks)
	if in.xattrBlock != 0 {
		// Blocks counts 512-byte units; the attribute block takes one
		// cluster.
		ea := fsys.sb.clusterSize / 512
		if blocks < ea {
			return false
		}
		blocks -= ea
	}
	return blocks == 0
}
