package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// Device is a read-only block device: an image's virtual contents, read
// with [io.ReaderAt] semantics. A read that reaches Size returns the bytes
// before it and io.EOF. Implementations are safe for concurrent use.
type Device interface {
	io.ReaderAt
	// Size is the virtual size in bytes; it never changes.
	Size() int64
	// Close releases the files behind the device, including backing
	// images and extents it opened.
	Close() error
}

// File is a [Device] that reads an image file as raw bytes. Reads go
// straight to the file, so it is as fast as the host's page cache.
type File struct {
	f    *os.File
	size int64
}

// openFlags open an image without waiting: opening a FIFO for reading
// blocks until someone writes, so O_NONBLOCK lets NewFile see what the
// file is and refuse it first.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// OpenFile opens the file at path read-only as a raw device.
func OpenFile(path string) (*File, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	d, err := NewFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return d, nil
}

// NewFile makes a raw device of an open file; closing the device closes
// f. The size is taken once: a regular file's length, or the end of a
// block device (whose Stat size is zero).
func NewFile(f *os.File) (*File, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	// A FIFO, socket or terminal would make reads wait for ever or never
	// end; only regular files and block devices hold images.
	if m := fi.Mode(); !m.IsRegular() && (m&os.ModeDevice == 0 || m&os.ModeCharDevice != 0) {
		return nil, fmt.Errorf("%s: not a regular file or block device (%v)", f.Name(), m.Type())
	}
	size := fi.Size()
	if !fi.Mode().IsRegular() {
		if size, err = f.Seek(0, io.SeekEnd); err != nil {
			return nil, fmt.Errorf("%s: size of device: %w", f.Name(), err)
		}
	}
	return &File{f: f, size: size}, nil
}

// ReadAt reads from the file, clipped to the size it had when opened.
func (d *File) ReadAt(p []byte, off int64) (int, error) {
	return readClipped(d.f, d.size, p, off)
}

// Size returns the file's size.
func (d *File) Size() int64 { return d.size }

// Close closes the file.
func (d *File) Close() error { return d.f.Close() }

// Name returns the file's path as given to OpenFile.
func (d *File) Name() string { return d.f.Name() }

// readClipped reads from r as if it ended at size: bytes past size read as
// io.EOF even when the file has grown, and a file that shrank reads as
// io.ErrUnexpectedEOF, not as a short read the caller could miss.
func readClipped(r io.ReaderAt, size int64, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at negative offset %d", off)
	}
	if off >= size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > size-off {
		p = p[:size-off]
		eof = io.EOF
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return n, eof
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Section is a [Device] that reads a byte range of another device, such as
// a partition. Closing it does not close the parent.
type Section struct {
	dev       io.ReaderAt
	off, size int64
}

// NewSection returns the size bytes of dev starting at off. The range
// must lie inside dev.
func NewSection(dev Device, off, size int64) (*Section, error) {
	if off < 0 || size < 0 || off > dev.Size() || size > dev.Size()-off {
		return nil, fmt.Errorf("section [%d, +%d) outside device of %d bytes", off, size, dev.Size())
	}
	return &Section{dev: dev, off: off, size: size}, nil
}

// ReadAt reads from the section.
func (s *Section) ReadAt(p []byte, off int64) (int, error) {
	return readClipped(offsetReader{s.dev, s.off}, s.size, p, off)
}

// Size returns the length of the section.
func (s *Section) Size() int64 { return s.size }

// Close does nothing: the parent device owns the files.
func (s *Section) Close() error { return nil }

type offsetReader struct {
	r   io.ReaderAt
	off int64
}

func (o offsetReader) ReadAt(p []byte, off int64) (int, error) {
	return o.r.ReadAt(p, o.off+off)
}

// ownedSection is a Section that owns its parent: closing it closes the
// parent. It is how a format that is a header or footer around raw data is
// returned from Open.
type ownedSection struct {
	*Section
	parent Device
}

func (o ownedSection) Close() error { return o.parent.Close() }
