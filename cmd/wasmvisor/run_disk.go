package main

import (
	"fmt"
	"io"

	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// mountDisk mounts the file system of the disk image spec
// (IMAGE[,part=N][,format=F]) at "/" in ns, with its changes kept in
// overlayDir if that is not empty and in memory otherwise. The returned
// Closer releases the image and the overlay.
func mountDisk(ns *fs.Namespace, spec, overlayDir string) (io.Closer, error) {
	d, err := diskfs.Open(spec, diskfs.Options{OverlayDir: overlayDir})
	if err != nil {
		return nil, fmt.Errorf("--disk: %w", err)
	}
	if err := ns.Mount("/", d); err != nil {
		d.Close()
		return nil, fmt.Errorf("--disk: %w", err)
	}
	return d, nil
}
