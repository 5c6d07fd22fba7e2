package linmem

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Image is the initial contents of linear memories: a snapshot of a
// memory that many memories start from. It is kept in a sealed memory
// file (memfd), which every memory made from it maps privately over its
// first pages: a memory starts in a few system calls whatever the
// image's size, shares the image's pages until it writes them, and pays
// a page copy only for each page it writes (copy-on-write).
//
// Only the BaseAlign chunks that hold a non-zero byte are mapped from
// the file; the others stay anonymous zero memory, which the host may
// back with huge pages, and in the file they are holes that take no
// memory. An Image is safe for concurrent use, and closing it does not
// affect the memories made from it (their mappings keep the file).
type Image struct {
	mu      sync.RWMutex // excludes Close from mapping
	file    *os.File     // nil after Close
	pages   uint32
	extents []extent // the chunks mapped from the file, coalesced
	stored  uint64   // bytes of the non-zero host pages written
}

// extent is a run of the image mapped from the file: [off, off+n).
type extent struct{ off, n uint64 }

// hostPage is the unit in which an image keeps non-zero contents.
const hostPage = 4096

var zeroPage [hostPage]byte

// ErrImageClosed is returned for a memory made from a closed image.
var ErrImageClosed = errors.New("memory image is closed")

// NewImage copies b, a memory's contents (a whole number of pages), into
// a new image. Only its non-zero 4 KiB pages are stored.
func NewImage(b []byte) (*Image, error) {
	if len(b)%PageSize != 0 || uint64(len(b)) > uint64(MaxPages)*PageSize {
		return nil, fmt.Errorf("memory image of %d bytes is not a whole number of pages up to %d", len(b), MaxPages)
	}
	fd, err := unix.MemfdCreate("wasmvisor-image", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("creating a memory image: %w", err)
	}
	f := os.NewFile(uintptr(fd), "wasmvisor-image")
	img := &Image{file: f, pages: uint32(len(b) / PageSize)}
	if err := img.fill(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("writing a memory image: %w", err)
	}
	// A forgotten Close leaks nothing: an unreachable os.File closes
	// its descriptor.
	return img, nil
}

// fill writes b's non-zero pages to the file, records the chunks that
// hold them, and seals the file: no one may change it afterwards, so
// that what memories see of it never changes under them.
func (img *Image) fill(b []byte) error {
	if err := img.file.Truncate(int64(len(b))); err != nil {
		return err
	}
	for chunk := 0; chunk < len(b); chunk += BaseAlign {
		end := min(chunk+BaseAlign, len(b))
		used := false
		for p := chunk; p < end; p += hostPage {
			if bytes.Equal(b[p:p+hostPage], zeroPage[:]) {
				continue
			}
			if _, err := img.file.WriteAt(b[p:p+hostPage], int64(p)); err != nil {
				return err
			}
			used = true
			img.stored += hostPage
		}
		if !used {
			continue
		}
		if n := len(img.extents); n > 0 && img.extents[n-1].off+img.extents[n-1].n == uint64(chunk) {
			img.extents[n-1].n += uint64(end - chunk)
		} else {
			img.extents = append(img.extents, extent{uint64(chunk), uint64(end - chunk)})
		}
	}
	_, err := unix.FcntlInt(img.file.Fd(), unix.F_ADD_SEALS,
		unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE|unix.F_SEAL_SEAL)
	return err
}

// Pages returns the image's size in pages: the size of a memory made
// from it.
func (img *Image) Pages() uint32 { return img.pages }

// Stored returns the bytes the image keeps: its non-zero 4 KiB pages.
func (img *Image) Stored() uint64 { return img.stored }

// ReadAt reads the image's contents at off, zeros included.
func (img *Image) ReadAt(p []byte, off int64) (int, error) {
	img.mu.RLock()
	defer img.mu.RUnlock()
	if img.file == nil {
		return 0, ErrImageClosed
	}
	return img.file.ReadAt(p, off)
}

// mapInto maps the image's non-zero chunks over mapping, copy-on-write.
func (img *Image) mapInto(mapping []byte) error {
	img.mu.RLock()
	defer img.mu.RUnlock()
	if img.file == nil {
		return ErrImageClosed
	}
	fd := int(img.file.Fd())
	for _, e := range img.extents {
		_, err := unix.MmapPtr(fd, int64(e.off), unsafe.Pointer(&mapping[e.off]), uintptr(e.n),
			unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED)
		if err != nil {
			return fmt.Errorf("mapping memory image [%#x, %#x): %w", e.off, e.off+e.n, err)
		}
	}
	return nil
}

// Close releases the image. Memories made from it are not affected;
// no more can be made.
func (img *Image) Close() error {
	img.mu.Lock()
	defer img.mu.Unlock()
	if img.file == nil {
		return nil
	}
	err := img.file.Close()
	img.file = nil
	return err
}
