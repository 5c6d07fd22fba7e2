package disk_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
)

// memDevice is a Device over bytes.
type memDevice struct{ *bytes.Reader }

func (m memDevice) Close() error { return nil }

func newMem(b []byte) disk.Device { return memDevice{bytes.NewReader(b)} }

// extMagic marks the byte range at sector start as holding an ext file
// system, which is all Volume looks for.
func extMagic(d []byte, sector uint64) {
	binary.LittleEndian.PutUint16(d[sector*512+1024+56:], 0xef53)
}

func TestVolume(t *testing.T) {
	const size = 8 << 20
	whole := make([]byte, size)
	extMagic(whole, 0)

	gpt := make([]byte, size)
	disktest.GPT(gpt, []disktest.Part{
		{Type: disktest.EFIGUID, Start: 2048, Size: 2048},
		{Type: disktest.LinuxGUID, Start: 4096, Size: 4096},
	})
	extMagic(gpt, 4096)

	// An MBR whose ext file system is in a logical partition of a
	// non-Linux type: found by its superblock.
	mbr := make([]byte, size)
	disktest.MBR(mbr, []disktest.Part{
		{MBRType: 0x0c, Start: 2048, Size: 1024},
		{MBRType: 0x82, Start: 4096, Size: 1024},
		{MBRType: 0x07, Start: 6144, Size: 1024},
		{MBRType: 0x07, Start: 8193, Size: 4000},
	})
	extMagic(mbr, 8193)

	beyond := make([]byte, size)
	disktest.GPT(beyond, []disktest.Part{{Type: disktest.LinuxGUID, Start: 4096, Size: 1 << 20}})

	tests := []struct {
		name      string
		disk      []byte
		part      int
		wantStart int64 // offset of the volume's first byte in the disk
		wantSize  int64
		wantErr   string
	}{
		{"whole disk", whole, 0, 0, size, ""},
		{"gpt first linux partition", gpt, 0, 4096 * 512, 4096 * 512, ""},
		{"gpt chosen partition", gpt, 1, 2048 * 512, 2048 * 512, ""},
		{"gpt missing partition", gpt, 3, 0, 0, "no partition 3"},
		{"mbr logical partition by superblock", mbr, 0, 8193 * 512, 4000 * 512, ""},
		{"mbr chosen logical partition", mbr, 5, 8193 * 512, 4000 * 512, ""},
		{"partition past the end", beyond, 0, 0, 0, "outside device"},
		{"no file system", make([]byte, size), 0, 0, 0, "neither an ext2/3/4 file system nor a partition table"},
		{"part on unpartitioned disk", whole, 1, 0, 0, "no partition table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vol, err := disk.Volume(newMem(tc.disk), tc.part)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if vol.Size() != tc.wantSize {
				t.Fatalf("size = %d, want %d", vol.Size(), tc.wantSize)
			}
			disktest.CheckReaderAt(t, vol, tc.disk[tc.wantStart:tc.wantStart+tc.wantSize])
		})
	}
}
