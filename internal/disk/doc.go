// Package disk reads virtual machine disk images as read-only block
// devices: random-access bytes of a fixed size (a [Device]).
//
// [Open] detects the image format (raw, qcow2, VMDK, fixed VHD) and stacks
// the right reader on the file; formats it cannot read are named in an
// [UnsupportedFormatError] that suggests converting with qemu-img.
// [Volume] then picks the file system inside the device: the whole disk,
// or a partition from its GPT or MBR partition table.
//
// Nothing here ever writes to an image. Every size, offset and count read
// from an image is checked before it is used, so a corrupt or hostile image
// gives an error rather than a panic, a hang or an unbounded allocation.
package disk
