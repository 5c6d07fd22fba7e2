package disk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Format names a disk image format.
type Format string

// The formats [Detect] recognizes. Only Raw, QCOW2, VMDK and VHD (fixed
// disks) can be read; the others are recognized so that the error can say
// what the file is.
const (
	Raw       Format = "raw"
	QCOW2     Format = "qcow2"
	VMDK      Format = "vmdk"
	VHD       Format = "vpc" // qemu-img's name for VHD
	VHDX      Format = "vhdx"
	VDI       Format = "vdi"
	QED       Format = "qed"
	QCOW1     Format = "qcow"
	Parallels Format = "parallels"
	DMG       Format = "dmg"
	LUKS      Format = "luks"
	Bochs     Format = "bochs"
	Cloop     Format = "cloop"
)

// UnsupportedFormatError is an image in a format, or a variant of a format,
// that wasmvisor cannot read.
type UnsupportedFormatError struct {
	Format Format
	Detail string // which variant or feature, if the format itself is readable
}

func (e *UnsupportedFormatError) Error() string {
	what := string(e.Format)
	if e.Detail != "" {
		what += " (" + e.Detail + ")"
	}
	return fmt.Sprintf("unsupported disk image format %s; convert it with qemu-img convert -O qcow2 IMAGE OUT.qcow2 (or -O raw)", what)
}

// vhdFooterSize is the size of the footer that ends every VHD file.
const vhdFooterSize = 512

// Detect tells the format of the image r of size bytes from its magic
// numbers. Anything it does not recognize is Raw: a raw image has no
// header, so that is the only safe guess, and [Volume] then reports when no
// file system is found in it.
func Detect(r io.ReaderAt, size int64) (Format, error) {
	var head [512]byte
	n, err := r.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read image header: %w", err)
	}
	h := head[:n]
	magics := []struct {
		off   int
		magic string
		f     Format
	}{
		{0, "QFI\xfb", QCOW2}, // version decides between qcow and qcow2 below
		{0, "QED\x00", QED},
		{0, "KDMV", VMDK},
		{0, "COWD", VMDK},
		{0, "vhdxfile", VHDX},
		{0, "conectix", VHD},
		{0, "WithoutFreeSpace", Parallels},
		{0, "WithouFreSpacExt", Parallels},
		{0, "LUKS\xba\xbe", LUKS},
		{0, "Bochs Virtual HD Image", Bochs},
		{0, "#!/bin/sh\n#V2.0 Format\nmodprobe cloop", Cloop},
	}
	for _, m := range magics {
		if len(h) >= m.off+len(m.magic) && string(h[m.off:m.off+len(m.magic)]) == m.magic {
			if m.f == QCOW2 && len(h) >= 8 && binary.BigEndian.Uint32(h[4:]) == 1 {
				return QCOW1, nil
			}
			return m.f, nil
		}
	}
	if len(h) >= 0x44 && binary.LittleEndian.Uint32(h[0x40:]) == 0xbeda107f {
		return VDI, nil
	}
	if isVMDKDescriptor(h) {
		return VMDK, nil
	}
	if size >= vhdFooterSize {
		var tail [vhdFooterSize]byte
		if _, err := r.ReadAt(tail[:], size-vhdFooterSize); err != nil && err != io.EOF {
			return "", fmt.Errorf("read image footer: %w", err)
		}
		switch {
		case string(tail[:8]) == "conectix":
			return VHD, nil
		case string(tail[:4]) == "koly":
			return DMG, nil
		}
	}
	return Raw, nil
}

// isVMDKDescriptor reports whether h starts a VMDK text descriptor. The
// specification requires the "# Disk DescriptorFile" line, but VMware and
// qemu accept descriptors without it, so a createType line early in a small
// text file counts as well.
func isVMDKDescriptor(h []byte) bool {
	t := bytes.TrimLeft(h, " \t\r\n")
	if bytes.HasPrefix(t, []byte("# Disk DescriptorFile")) {
		return true
	}
	for _, line := range bytes.Split(t, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		return bytes.HasPrefix(line, []byte("version=")) || bytes.HasPrefix(line, []byte("CID=")) ||
			bytes.HasPrefix(line, []byte("createType="))
	}
	return false
}

// fixedVHD returns the data part of a fixed-size VHD (the image without its
// footer), or an UnsupportedFormatError for dynamic and differencing ones.
//
// See the Virtual Hard Disk Image Format Specification, "Hard Disk Footer
// Format": the disk type is a big-endian uint32 at offset 60 (2 = fixed).
func fixedVHD(dev Device) (Device, error) {
	var footer [vhdFooterSize]byte
	if _, err := dev.ReadAt(footer[:], dev.Size()-vhdFooterSize); err != nil {
		return nil, fmt.Errorf("vhd: read footer: %w", err)
	}
	if string(footer[:8]) != "conectix" {
		// A dynamic disk has a copy of the footer at the start and the
		// footer itself at the end; without it the file is damaged.
		return nil, &UnsupportedFormatError{Format: VHD, Detail: "dynamic or damaged VHD"}
	}
	switch typ := binary.BigEndian.Uint32(footer[60:]); typ {
	case 2:
		size := int64(binary.BigEndian.Uint64(footer[48:]))
		if size < 0 || size > dev.Size()-vhdFooterSize {
			return nil, fmt.Errorf("vhd: disk size %d does not fit in the %d-byte file", size, dev.Size())
		}
		sec, err := NewSection(dev, 0, size)
		if err != nil {
			return nil, err
		}
		return ownedSection{sec, dev}, nil
	case 3:
		return nil, &UnsupportedFormatError{Format: VHD, Detail: "dynamic VHD"}
	case 4:
		return nil, &UnsupportedFormatError{Format: VHD, Detail: "differencing VHD"}
	default:
		return nil, fmt.Errorf("vhd: unknown disk type %d in footer", typ)
	}
}
