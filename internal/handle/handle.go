// Package handle lets wasmvisor's internal packages reach what the root
// package's opaque public handles hold, which their users must not see:
// the root package sets each function in an init function, and package
// wasihost calls it to mount a program's disk image.
package handle

import "github.com/wasmvisor/wasmvisor/internal/diskfs"

// DiskFS returns the file system of a *wasmvisor.DiskImage (nil for a
// closed or zero one). Its parameter is any because the root package
// imports this one.
var DiskFS func(img any) *diskfs.FS
