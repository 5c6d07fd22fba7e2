// Package disktest builds disk images for tests with the tools users
// build them with (mkfs.ext4, debugfs, e2fsck, qemu-img) and compares
// what the readers return with the bytes the tools were given.
package disktest
