package wasmvisor

import (
	"errors"
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/handle"
)

// DiskImage is the ext2/3/4 file system of a disk image, which WASI
// programs find as their "/" (ModuleConfig.DiskImage), as `wasmvisor
// run --disk` gives it. The image is never written: a program's changes
// go to an overlay, in memory or in a host directory that the next
// opening of the same image finds again. Several programs may share one
// DiskImage, and see each other's changes; it is safe for concurrent
// use.
type DiskImage struct {
	mu sync.Mutex
	fs *diskfs.FS // nil once closed
}

// DiskImageConfig configures OpenDiskImage. The zero value keeps
// changes in memory.
type DiskImageConfig struct {
	// OverlayDir, if not empty, is the host directory that keeps the
	// programs' changes across runs. It is created if missing, and
	// refused if it was made over another image or is in use.
	OverlayDir string
}

// OpenDiskImage opens the disk image that spec names, as
// PATH[,part=N][,format=F]: a raw, qcow2, VMDK or fixed VHD file
// (detected, unless format= names it as qemu-img does: raw, qcow2,
// vmdk, vpc),
// whole or its partition N (by default the first Linux partition of a
// partitioned disk). A qcow2 backing file or VMDK extent is opened only
// from the image's own directory.
func OpenDiskImage(spec string, cfg DiskImageConfig) (*DiskImage, error) {
	f, err := diskfs.Open(spec, diskfs.Options{OverlayDir: cfg.OverlayDir})
	if err != nil {
		return nil, err
	}
	return &DiskImage{fs: f}, nil
}

// Close releases the image and its overlay, after the programs that use
// it are closed.
func (d *DiskImage) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fs == nil {
		return errors.New("disk image already closed")
	}
	err := d.fs.Close()
	d.fs = nil
	return err
}

func init() {
	handle.DiskFS = func(img any) *diskfs.FS {
		d := img.(*DiskImage)
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.fs
	}
}
