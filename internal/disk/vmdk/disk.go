package vmdk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Device is what a disk is read from, and what its extent files are:
// random-access bytes of a fixed size. disk.Device satisfies it.
type Device interface {
	io.ReaderAt
	Size() int64
	Close() error
}

// Options configure Open.
type Options struct {
	// OpenExtent opens an extent file named in a text descriptor, with the
	// name as written there (relative to the descriptor's directory by
	// convention; the opener resolves it). When nil, a descriptor that
	// names extent files is refused.
	OpenExtent func(name string) (Device, error)
}

// UnsupportedError is a VMDK variant this reader does not read.
type UnsupportedError struct {
	What string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("vmdk: unsupported %s; convert the image with qemu-img convert -O qcow2 IMAGE OUT.qcow2", e.What)
}

// Disk is an open VMDK disk: its extents laid end to end. It implements
// [Device] and is safe for concurrent use.
type Disk struct {
	extents []extent
	size    int64
	f       Device   // the file Open was given
	files   []Device // extent files Open opened
}

// extent is one extent of the disk, at byte offset start.
type extent struct {
	start, size uint64
	typ         extentType
	flat        Device // FLAT and VMFS: the file, data from flatOffset
	flatOffset  uint64
	sparse      *sparseExtent
}

// Open opens a VMDK disk from f, which is either a text descriptor or a
// hosted sparse extent with an embedded descriptor. The disk owns f and
// the extent files it opens: Close closes them. When Open fails, it has
// closed the extent files and the caller still owns f.
//
// See "Virtual Disk Format 1.1", "The Descriptor" and "Hosted Sparse
// Extents".
func Open(f Device, opts Options) (*Disk, error) {
	d := &Disk{f: f}
	if err := d.open(opts); err != nil {
		d.closeExtents()
		return nil, err
	}
	return d, nil
}

func (d *Disk) open(opts Options) error {
	f := d.f
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil && err != io.EOF {
		return fmt.Errorf("vmdk: read header: %w", err)
	}
	switch string(magic[:]) {
	case "KDMV":
		return d.openMonolithicSparse(f)
	case "COWD":
		return &UnsupportedError{What: "ESX sparse extent (COWD)"}
	}
	if f.Size() > maxDescriptor {
		return fmt.Errorf("vmdk: %d-byte file is neither a sparse extent nor a descriptor", f.Size())
	}
	text := make([]byte, f.Size())
	if _, err := f.ReadAt(text, 0); err != nil && err != io.EOF {
		return fmt.Errorf("vmdk: read descriptor: %w", err)
	}
	desc, err := parseDescriptor(text)
	if err != nil {
		return err
	}
	return d.openDescriptor(desc, opts)
}

// openMonolithicSparse opens a sparse extent that is the whole disk.
func (d *Disk) openMonolithicSparse(f Device) error {
	e, err := openSparse(f)
	if err != nil {
		return err
	}
	desc, err := e.descriptor()
	if err != nil {
		return err
	}
	if desc != nil {
		if err := checkCreateType(desc); err != nil {
			return err
		}
	}
	d.extents = []extent{{size: e.size(), typ: extentSparse, sparse: e}}
	d.size = int64(e.size())
	return nil
}

// checkCreateType refuses delta disks and disk types without a reader.
func checkCreateType(desc *descriptor) error {
	if desc.parentCID != "" && !strings.EqualFold(desc.parentCID, "ffffffff") {
		return &UnsupportedError{What: fmt.Sprintf("delta disk with parent %q", desc.parentHint)}
	}
	switch strings.ToLower(desc.createType) {
	case "vmfssparse", "vmfsthin", "sesparse":
		return &UnsupportedError{What: "ESX sparse disk (" + desc.createType + ")"}
	case "vmfsraw", "vmfsrdm", "vmfsrawdevicemap", "vmfspassthroughrawdevicemap", "fulldevice", "partitioneddevice":
		return &UnsupportedError{What: "raw device mapping (" + desc.createType + ")"}
	}
	return nil
}

// openDescriptor opens the extents a text descriptor lists.
func (d *Disk) openDescriptor(desc *descriptor, opts Options) error {
	if err := checkCreateType(desc); err != nil {
		return err
	}
	if len(desc.extents) == 0 {
		return fmt.Errorf("vmdk: descriptor lists no extents")
	}
	var start uint64
	for i, ed := range desc.extents {
		if start+ed.sectors*sectorSize > maxSectors*sectorSize {
			return fmt.Errorf("vmdk: extents add up to more than %d sectors", uint64(maxSectors))
		}
		e := extent{start: start, size: ed.sectors * sectorSize, typ: ed.typ}
		if ed.typ != extentZero {
			if opts.OpenExtent == nil {
				return fmt.Errorf("vmdk: extent %d: descriptor names file %q and no way to open it was given", i, ed.file)
			}
			f, err := opts.OpenExtent(ed.file)
			if err != nil {
				return fmt.Errorf("vmdk: extent %d (%s): %w", i, ed.file, err)
			}
			d.files = append(d.files, f)
			if ed.typ == extentSparse {
				if e.sparse, err = openSparseFile(f, ed); err != nil {
					return fmt.Errorf("vmdk: extent %d (%s): %w", i, ed.file, err)
				}
			} else {
				e.flat, e.flatOffset = f, ed.offset*sectorSize
			}
		}
		d.extents = append(d.extents, e)
		start += e.size
	}
	d.size = int64(start)
	return nil
}

// openSparseFile opens a SPARSE extent a descriptor names; it must map at
// least the sectors the descriptor gives it.
func openSparseFile(f Device, ed extentDesc) (*sparseExtent, error) {
	var magic [4]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if binary.LittleEndian.Uint32(magic[:]) != sparseMagic {
		return nil, &UnsupportedError{What: "sparse extent that is not a hosted sparse extent (KDMV)"}
	}
	s, err := openSparse(f)
	if err != nil {
		return nil, err
	}
	if s.h.capacity < ed.sectors {
		return nil, fmt.Errorf("sparse extent of %d sectors is smaller than the %d the descriptor gives it", s.h.capacity, ed.sectors)
	}
	return s, nil
}

// Size returns the disk's virtual size.
func (d *Disk) Size() int64 { return d.size }

// Close closes the descriptor and every extent file.
func (d *Disk) Close() error {
	return errors.Join(d.f.Close(), d.closeExtents())
}

func (d *Disk) closeExtents() error {
	var errs []error
	for _, f := range d.files {
		errs = append(errs, f.Close())
	}
	d.files = nil
	return errors.Join(errs...)
}

// ReadAt reads the virtual disk.
func (d *Disk) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("vmdk: read at negative offset %d", off)
	}
	if off >= d.size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > d.size-off {
		p = p[:d.size-off]
		eof = io.EOF
	}
	pos := uint64(off)
	i := sort.Search(len(d.extents), func(i int) bool { return d.extents[i].start+d.extents[i].size > pos })
	done := 0
	for done < len(p) {
		if i >= len(d.extents) {
			return done, fmt.Errorf("vmdk: offset %#x beyond the last extent", pos)
		}
		e := &d.extents[i]
		in := pos - e.start
		n := min(uint64(len(p)-done), e.size-in)
		q := p[done : done+int(n)]
		var err error
		switch e.typ {
		case extentZero:
			clear(q)
		case extentSparse:
			err = e.sparse.readAt(q, in)
		default:
			err = readPadded(e.flat, q, e.flatOffset+in)
		}
		if err != nil {
			return done, err
		}
		done += int(n)
		pos += n
		i++
	}
	return done, eof
}
