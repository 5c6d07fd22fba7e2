package vmdk

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

type memDevice struct{ *bytes.Reader }

func (memDevice) Close() error { return nil }

func mem(b []byte) Device { return memDevice{bytes.NewReader(b)} }

func TestParseDescriptor(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []extentDesc
		create  string
		wantErr string
	}{
		{"monolithicFlat", `# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 2048 FLAT "disk-flat.vmdk" 0

# The Disk Data Base
#DDB
ddb.virtualHWVersion = "4"
`, []extentDesc{{access: "RW", sectors: 2048, typ: extentFlat, file: "disk-flat.vmdk"}}, "monolithicFlat", ""},
		{"several extents", "createType=\"twoGbMaxExtentFlat\"\nRW 100 FLAT \"a b.vmdk\" 7\nRDONLY 50 ZERO\nRW 10 SPARSE \"s.vmdk\"\n",
			[]extentDesc{
				{access: "RW", sectors: 100, typ: extentFlat, file: "a b.vmdk", offset: 7},
				{access: "RDONLY", sectors: 50, typ: extentZero},
				{access: "RW", sectors: 10, typ: extentSparse, file: "s.vmdk"},
			}, "twoGbMaxExtentFlat", ""},
		{"nul padding", "createType=\"monolithicSparse\"\nRW 8 SPARSE \"x\"\n\x00\x00garbage", []extentDesc{{access: "RW", sectors: 8, typ: extentSparse, file: "x"}}, "monolithicSparse", ""},
		{"unterminated quote", "RW 8 FLAT \"x\n", nil, "", "unterminated"},
		{"bad size", "RW x FLAT \"x\"\n", nil, "", "extent size"},
		{"flat without file", "RW 8 FLAT\n", nil, "", "without a file name"},
		{"unknown type", "RW 8 VMFSSPARSE \"x\"\n", nil, "", "unsupported extent type"},
		{"huge extent", "RW 99999999999999999 FLAT \"x\"\n", nil, "", "too large"},
		{"garbage line", "hello\n", nil, "", "neither key=value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseDescriptor([]byte(tc.text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.createType != tc.create || len(d.extents) != len(tc.want) {
				t.Fatalf("got %+v", d)
			}
			for i := range tc.want {
				if d.extents[i] != tc.want[i] {
					t.Errorf("extent %d = %+v, want %+v", i, d.extents[i], tc.want[i])
				}
			}
		})
	}
}

func TestOpen_Descriptor(t *testing.T) {
	a := bytes.Repeat([]byte("A"), 1024)
	b := bytes.Repeat([]byte("B"), 2048)
	files := map[string][]byte{"a.flat": a, "b.flat": b}
	open := func(name string) (Device, error) {
		f, ok := files[name]
		if !ok {
			return nil, os.ErrNotExist
		}
		return mem(f), nil
	}
	tests := []struct {
		name    string
		desc    string
		want    []byte
		wantErr string
	}{
		{"flat zero flat", "RW 2 FLAT \"a.flat\" 0\nRW 1 ZERO\nRW 2 FLAT \"b.flat\" 1\n",
			append(append(bytes.Clone(a), make([]byte, 512)...), b[512:1536]...), ""},
		{"extent past its file reads zeros", "RW 4 FLAT \"a.flat\" 0\n", append(bytes.Clone(a), make([]byte, 1024)...), ""},
		{"missing file", "RW 2 FLAT \"nope\" 0\n", nil, "nope"},
		{"delta disk", "parentCID=12345678\nparentFileNameHint=\"base.vmdk\"\nRW 2 FLAT \"a.flat\" 0\n", nil, "delta disk"},
		{"no extents", "createType=\"monolithicFlat\"\n", nil, "no extents"},
		{"raw device mapping", "createType=\"vmfsRawDeviceMap\"\nRW 2 FLAT \"a.flat\" 0\n", nil, "raw device mapping"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Open(mem([]byte(tc.desc)), Options{OpenExtent: open})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				var ue *UnsupportedError
				if strings.Contains(tc.wantErr, "disk") || strings.Contains(tc.wantErr, "mapping") {
					if !errors.As(err, &ue) {
						t.Fatalf("err = %v, want an UnsupportedError", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			disktest.CheckReaderAt(t, d, tc.want)
		})
	}
}

const seedDir = "testdata/seeds"

func seedDisk() []byte { return disktest.SparseDisk(5, 256<<10) }

// TestSeeds checks that the fuzz seeds read as the disk they were made
// from; with -update-seeds it rebuilds them with qemu-img.
func TestSeeds(t *testing.T) {
	if *disktest.UpdateSeeds {
		disktest.Need(t, "qemu-img")
		dir := t.TempDir()
		raw := disktest.WriteFile(t, dir, "disk.raw", seedDisk())
		for _, sub := range []string{"monolithicSparse", "streamOptimized"} {
			img := filepath.Join(dir, sub+".vmdk")
			disktest.Convert(t, raw, img, "vmdk", "-o", "subformat="+sub)
			b, err := os.ReadFile(img)
			if err != nil {
				t.Fatal(err)
			}
			disktest.WriteSeed(t, filepath.Join(seedDir, sub+".vmdk.gz"), b)
		}
	}
	for name, img := range disktest.Seeds(t, seedDir) {
		t.Run(name, func(t *testing.T) {
			d, err := Open(mem(img), Options{})
			if err != nil {
				t.Fatal(err)
			}
			disktest.CheckReaderAt(t, d, seedDisk())
		})
	}
}

// FuzzOpen opens arbitrary bytes as a VMDK (sparse extent or descriptor,
// whose extent files all read as the seed disk) and reads it at
// spread-out offsets.
func FuzzOpen(f *testing.F) {
	for _, img := range disktest.Seeds(f, seedDir) {
		f.Add(img)
	}
	f.Add([]byte("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 512 FLAT \"x-flat.vmdk\" 0\nRW 8 ZERO\n"))
	disk := seedDisk()
	f.Fuzz(func(t *testing.T, img []byte) {
		d, err := Open(mem(img), Options{OpenExtent: func(string) (Device, error) { return mem(disk), nil }})
		if err != nil {
			return
		}
		defer d.Close()
		buf := make([]byte, 8<<10)
		for i := int64(0); i <= 17; i++ {
			off := d.Size() / 16 * i
			if i == 17 {
				off = d.Size() - 100
			}
			n, err := d.ReadAt(buf, max(off, 0))
			if n > len(buf) || (n < len(buf) && err == nil) {
				t.Fatalf("ReadAt at %d = %d, %v", off, n, err)
			}
		}
	})
}
