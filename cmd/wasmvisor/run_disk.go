package main

import (
	"errors"
	"io"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// mountDisk mounts the file system of the disk image spec
// (IMAGE[,part=N]) at "/" in ns, with its changes kept in overlayDir if
// that is not empty. The returned Closer releases the image.
//
// This build has no disk support yet.
func mountDisk(ns *fs.Namespace, spec, overlayDir string) (io.Closer, error) {
	return nil, errors.New("--disk: not available in this build")
}
