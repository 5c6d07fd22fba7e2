package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/disk/part"
	"github.com/wasmvisor/wasmvisor/internal/disk/qcow2"
	"github.com/wasmvisor/wasmvisor/internal/disk/vmdk"
)

// MaxChain bounds the images in a qcow2 backing chain. QEMU sets no
// limit, but real chains are a handful of snapshots deep, and a bound
// stops a chain that loops through files Open cannot recognize as the same
// (such as one file reached through different hard links on different
// file systems).
const MaxChain = 64

// Options configure Open.
type Options struct {
	// Format skips detection and reads the image as this format.
	Format Format
	// AllowedDirs are the directories (with their subdirectories) that
	// files named inside an image, qcow2 backing files and VMDK extents,
	// may be in. Empty means the directory that holds the image. A name
	// elsewhere is refused: an image is untrusted, and a backing file
	// such as /etc/shadow or /dev/sda would otherwise put host data into
	// the guest's disk. Files are opened through os.Root, so a symlink
	// inside an allowed directory cannot lead out of it either.
	AllowedDirs []string
}

// Open opens the disk image at path read-only and returns its virtual
// contents. Backing files and extent files named inside the image are
// resolved relative to the directory of the file that names them, as
// QEMU does, and opened read-only from opts.AllowedDirs.
func Open(path string, opts Options) (Device, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dirs := opts.AllowedDirs
	if len(dirs) == 0 {
		dirs = []string{filepath.Dir(abs)}
	}
	o := &opener{}
	// The roots are needed only while opening: the files stay open.
	defer o.closeRoots()
	for _, d := range dirs {
		d, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		r, err := os.OpenRoot(d)
		if err != nil {
			return nil, fmt.Errorf("allowed directory: %w", err)
		}
		o.roots = append(o.roots, r)
	}
	f, err := OpenFile(abs)
	if err != nil {
		return nil, err
	}
	dev, err := o.openFormat(f, abs, opts.Format)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return dev, nil
}

// opener opens one image and, through the callbacks it gives the format
// readers, the files that image refers to.
type opener struct {
	roots []*os.Root    // where referenced files may be
	chain []os.FileInfo // images opened so far, to detect backing loops
}

func (o *opener) closeRoots() {
	for _, r := range o.roots {
		r.Close()
	}
	o.roots = nil
}

// openReferenced opens a file an image names, from the allowed
// directories.
func (o *opener) openReferenced(dir, name string) (*File, string, error) {
	p, err := referencedPath(dir, name)
	if err != nil {
		return nil, "", err
	}
	for _, r := range o.roots {
		rel, err := filepath.Rel(r.Name(), p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		f, err := r.OpenFile(rel, openFlags, 0)
		if err != nil {
			return nil, "", err
		}
		d, err := NewFile(f)
		if err != nil {
			f.Close()
			return nil, "", err
		}
		return d, p, nil
	}
	var names []string
	for _, r := range o.roots {
		names = append(names, r.Name())
	}
	return nil, "", fmt.Errorf("%s is outside the directories images may refer to (%s)", p, strings.Join(names, ", "))
}

func (o *opener) openFormat(f *File, path string, format Format) (Device, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return nil, err
	}
	for _, prev := range o.chain {
		if os.SameFile(fi, prev) {
			return nil, errors.New("backing chain loops back to this file")
		}
	}
	if len(o.chain) == MaxChain {
		return nil, fmt.Errorf("backing chain longer than %d images", MaxChain)
	}
	o.chain = append(o.chain, fi)
	if format == "" {
		if format, err = Detect(f, f.Size()); err != nil {
			return nil, err
		}
	}
	dir := filepath.Dir(path)
	switch format {
	case Raw:
		return f, nil
	case QCOW2:
		return qcow2.Open(f, qcow2.Options{
			OpenBacking: func(name, format string) (qcow2.Device, error) {
				bf, p, err := o.openReferenced(dir, name)
				if err != nil {
					return nil, err
				}
				dev, err := o.openFormat(bf, p, Format(format))
				if err != nil {
					bf.Close()
					return nil, fmt.Errorf("%s: %w", p, err)
				}
				return dev, nil
			},
		})
	case VMDK:
		return vmdk.Open(f, vmdk.Options{
			OpenExtent: func(name string) (vmdk.Device, error) {
				ef, _, err := o.openReferenced(dir, name)
				return ef, err
			},
		})
	case VHD:
		return fixedVHD(f)
	}
	return nil, &UnsupportedFormatError{Format: format}
}

// referencedPath resolves a file name stored in an image against the
// directory of that image. Names that are QEMU protocol strings (json:,
// nbd:, ...) are refused: only files are opened.
func referencedPath(dir, name string) (string, error) {
	name = strings.TrimPrefix(name, "file:")
	if i := strings.IndexByte(name, ':'); i > 0 && !strings.ContainsRune(name[:i], '/') {
		return "", fmt.Errorf("%q is not a file name (protocol %q is not supported)", name, name[:i])
	}
	if filepath.IsAbs(name) {
		return filepath.Clean(name), nil
	}
	return filepath.Join(dir, name), nil
}

// Spec says which disk image to open and which part of it to mount, as
// written on the command line: PATH[,part=N][,format=F].
type Spec struct {
	Path   string
	Part   int    // 0: automatic (see Volume); N ≥ 1: partition N
	Format Format // "": detect
}

// ParseSpec parses PATH[,part=N][,format=F]. Options are taken from the
// end, so a path may itself contain commas.
func ParseSpec(s string) (Spec, error) {
	spec := Spec{Path: s}
	for {
		i := strings.LastIndexByte(spec.Path, ',')
		if i < 0 {
			break
		}
		key, value, ok := strings.Cut(spec.Path[i+1:], "=")
		if !ok {
			break
		}
		switch key {
		case "part":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return Spec{}, fmt.Errorf("disk %q: part=%s is not a partition number (1, 2, ...)", s, value)
			}
			spec.Part = n
		case "format":
			spec.Format = Format(value)
		default:
			return spec, checkPath(s, spec)
		}
		spec.Path = spec.Path[:i]
	}
	return spec, checkPath(s, spec)
}

func checkPath(s string, spec Spec) error {
	if spec.Path == "" {
		return fmt.Errorf("disk %q: no image path", s)
	}
	return nil
}

// OpenVolume opens the image spec names with opts (whose Format spec
// overrides when it has one) and returns the part of it that holds the
// file system (see Volume). Closing the volume closes the image.
func OpenVolume(spec Spec, opts Options) (Device, error) {
	if spec.Format != "" {
		opts.Format = spec.Format
	}
	dev, err := Open(spec.Path, opts)
	if err != nil {
		return nil, err
	}
	vol, err := Volume(dev, spec.Part)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("%s: %w", spec.Path, err)
	}
	if vol == dev {
		return dev, nil
	}
	return ownedSection{vol.(*Section), dev}, nil
}

// Volume returns the part of dev that holds the file system to mount.
// With partition 0 it is the whole device when that holds an ext2/3/4
// file system, and otherwise the first partition of a Linux file-system
// type (or, failing that, the first partition that holds an ext2/3/4
// file system). With partition N ≥ 1 it is partition N. The result reads
// through dev; closing it does not close dev.
func Volume(dev Device, partition int) (Device, error) {
	if partition == 0 {
		ok, err := hasExtSuperblock(dev)
		if err != nil {
			return nil, err
		}
		if ok {
			return dev, nil
		}
	}
	t, err := part.Read(dev, dev.Size())
	if errors.Is(err, part.ErrNoTable) {
		if partition != 0 {
			return nil, fmt.Errorf("partition %d requested, but the disk has no partition table", partition)
		}
		return nil, errors.New("the disk holds neither an ext2/3/4 file system nor a partition table")
	}
	if err != nil {
		return nil, fmt.Errorf("partition table: %w", err)
	}
	if partition != 0 {
		for _, p := range t.Partitions {
			if p.Number == partition {
				return partitionSection(dev, p)
			}
		}
		return nil, fmt.Errorf("no partition %d in the %s partition table (%s)", partition, t.Scheme, describe(t))
	}
	for _, p := range t.Partitions {
		if p.Linux {
			return partitionSection(dev, p)
		}
	}
	for _, p := range t.Partitions {
		sec, err := partitionSection(dev, p)
		if err != nil {
			continue
		}
		if ok, _ := hasExtSuperblock(sec); ok {
			return sec, nil
		}
	}
	return nil, fmt.Errorf("no Linux file-system partition in the %s partition table (%s); pick one with part=N", t.Scheme, describe(t))
}

func partitionSection(dev Device, p part.Partition) (*Section, error) {
	s, err := NewSection(dev, p.Start, p.Size)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", p.Number, err)
	}
	return s, nil
}

// describe lists a table's partitions for an error message.
func describe(t *part.Table) string {
	if len(t.Partitions) == 0 {
		return "no partitions"
	}
	var b strings.Builder
	for i, p := range t.Partitions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: type %s, %d bytes", p.Number, p.Type, p.Size)
	}
	return b.String()
}

// hasExtSuperblock reports whether dev starts with an ext2/3/4 file
// system: the superblock at byte 1024 has the magic 0xEF53 at offset 56.
func hasExtSuperblock(dev Device) (bool, error) {
	var m [2]byte
	if dev.Size() < 1024+58 {
		return false, nil
	}
	if _, err := dev.ReadAt(m[:], 1024+56); err != nil {
		return false, fmt.Errorf("read superblock: %w", err)
	}
	return binary.LittleEndian.Uint16(m[:]) == 0xef53, nil
}
