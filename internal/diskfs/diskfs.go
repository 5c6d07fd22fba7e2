package diskfs

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4fs"
	"github.com/wasmvisor/wasmvisor/internal/fs/memfs"
	"github.com/wasmvisor/wasmvisor/internal/fs/overlay"
)

// Options configures Open. The zero value mounts the image with an
// in-memory overlay and default limits.
type Options struct {
	// OverlayDir, if not empty, is the host directory that keeps the
	// overlay's upper layer across runs (see overlay.OpenDir). It is
	// created if missing, and refused if it was made over another file
	// system or is in use by another process.
	OverlayDir string
	// MaxMemory bounds the bytes the in-memory upper layer holds: file
	// contents written or copied up, names and link targets. Writes
	// beyond it fail with ENOSPC. 0 means memfs.DefaultMaxBytes.
	MaxMemory int64
	// Disk configures how the image is opened, such as which
	// directories its backing files and extents may be in.
	Disk disk.Options
	// Ext4 configures the ext4 reader's caches.
	Ext4 ext4.Options
}

// FS is a disk image's file system with a copy-on-write overlay. It
// implements fs.FS and is safe for concurrent use.
type FS struct {
	*overlay.FS
	vol  disk.Device
	info ext4.Info
}

// Open mounts the file system of the disk image that spec names, as
// PATH[,part=N][,format=F] (see disk.ParseSpec): the whole disk, the
// first Linux partition or partition N. The image is opened read-only.
func Open(spec string, opts Options) (*FS, error) {
	s, err := disk.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	vol, err := disk.OpenVolume(s, opts.Disk)
	if err != nil {
		return nil, err
	}
	f, err := mount(vol, opts)
	if err != nil {
		vol.Close()
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	return f, nil
}

func mount(vol disk.Device, opts Options) (*FS, error) {
	e, err := ext4.Open(vol, vol.Size(), opts.Ext4)
	if err != nil {
		return nil, err
	}
	lower := ext4fs.New(e)
	info := e.Info()
	var o *overlay.FS
	if opts.OverlayDir != "" {
		o, err = overlay.OpenDir(lower, opts.OverlayDir, overlay.Options{LowerID: lowerID(info)})
	} else {
		o, err = overlay.New(lower, memfs.New(memfs.Options{MaxBytes: opts.MaxMemory}))
	}
	if err != nil {
		return nil, err
	}
	return &FS{FS: o, vol: vol, info: info}, nil
}

// lowerID names the file system for an overlay directory: by its UUID,
// which mkfs makes new for every file system, so that an overlay made
// over one image is not laid over a rebuilt one whose inode numbers
// differ.
func lowerID(info ext4.Info) string {
	return "ext4 " + hex.EncodeToString(info.UUID[:])
}

// Info describes the mounted ext2/3/4 file system.
func (f *FS) Info() ext4.Info { return f.info }

// Close releases the overlay and the image. Files still open must not
// be used after.
func (f *FS) Close() error {
	return errors.Join(f.FS.Close(), f.vol.Close())
}
