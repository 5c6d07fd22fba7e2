package qcow2

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// image builds a qcow2 v3 image of 64 KiB clusters with an empty L1
// table in cluster 1, after fn has edited its header.
func image(fn func(h []byte)) []byte {
	const cluster = 64 << 10
	b := make([]byte, 3*cluster)
	be := binary.BigEndian
	be.PutUint32(b[0:], magic)
	be.PutUint32(b[4:], 3)
	be.PutUint32(b[20:], 16)      // cluster_bits
	be.PutUint64(b[24:], 1<<30)   // 1 GiB
	be.PutUint32(b[36:], 2)       // L1 entries: 2 * 512 MiB
	be.PutUint64(b[40:], cluster) // L1 offset
	be.PutUint32(b[96:], 4)       // refcount_order
	be.PutUint32(b[100:], 112)    // header_length
	if fn != nil {
		fn(b)
	}
	return b
}

func TestOpen_Header(t *testing.T) {
	be := binary.BigEndian
	featureTable := func(h []byte) {
		be.PutUint64(h[72:], 1<<9)
		ext := h[112:]
		be.PutUint32(ext[0:], extFeatureNameTable)
		be.PutUint32(ext[4:], featureNameEntrySize)
		ext[8], ext[9] = 0, 9
		copy(ext[10:], "shiny new thing")
	}
	tests := []struct {
		name    string
		edit    func(h []byte)
		wantErr string
		feature bool // a FeatureError
	}{
		{"valid", nil, "", false},
		{"v2", func(h []byte) { be.PutUint32(h[4:], 2) }, "", false},
		{"version 4", func(h []byte) { be.PutUint32(h[4:], 4) }, "version 4", true},
		{"bad magic", func(h []byte) { h[0] = 0 }, "bad magic", false},
		{"tiny clusters", func(h []byte) { be.PutUint32(h[20:], 8) }, "cluster_bits 8", false},
		{"huge clusters", func(h []byte) { be.PutUint32(h[20:], 22) }, "cluster_bits 22", false},
		{"encrypted", func(h []byte) { be.PutUint32(h[32:], 2) }, "encryption", true},
		{"marked corrupt", func(h []byte) { be.PutUint64(h[72:], incompatCorrupt) }, "qemu-img check", false},
		{"dirty is readable", func(h []byte) { be.PutUint64(h[72:], incompatDirty) }, "", false},
		{"external data file", func(h []byte) { be.PutUint64(h[72:], incompatDataFile) }, "external data file", true},
		{"unknown feature", func(h []byte) { be.PutUint64(h[72:], 1<<9) }, "incompatible feature bit 9", true},
		{"named unknown feature", featureTable, "shiny new thing", true},
		{"unknown compression", func(h []byte) {
			be.PutUint64(h[72:], incompatCompression)
			h[104] = 7
		}, "compression type 7", true},
		{"compression without its bit", func(h []byte) { h[104] = 1 }, "without the compression-type feature bit", false},
		{"L1 too small", func(h []byte) { be.PutUint32(h[36:], 1) }, "cannot map", false},
		{"L1 too large", func(h []byte) { be.PutUint32(h[36:], 1<<24) }, "exceeds", false},
		{"L1 outside the file", func(h []byte) { be.PutUint64(h[40:], 1<<40) }, "outside", false},
		{"L1 unaligned", func(h []byte) { be.PutUint64(h[40:], 4096) }, "not cluster aligned", false},
		{"header length", func(h []byte) { be.PutUint32(h[100:], 13) }, "header length", false},
		{"huge disk", func(h []byte) { be.PutUint64(h[24:], 1<<63) }, "too large", false},
		{"backing name too long", func(h []byte) {
			be.PutUint64(h[8:], 512)
			be.PutUint32(h[16:], 5000)
		}, "backing file name length", false},
		{"backing without opener", func(h []byte) {
			be.PutUint64(h[8:], 512)
			be.PutUint32(h[16:], 4)
			copy(h[512:], "base")
		}, "no way to open it", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := image(tc.edit)
			img, err := Open(mem(b), Options{})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if img.Size() != 1<<30 {
					t.Fatalf("size %d", img.Size())
				}
				buf := make([]byte, 4096)
				if n, err := img.ReadAt(buf, 1<<29); n != len(buf) || err != nil {
					t.Fatalf("ReadAt = %d, %v", n, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Open = %v, want an error containing %q", err, tc.wantErr)
			}
			var fe *FeatureError
			if errors.As(err, &fe) != tc.feature {
				t.Fatalf("FeatureError = %v for %v", !tc.feature, err)
			}
		})
	}
}

// TestReadAt_DamagedTables points L1 and L2 entries at bad places: the
// read fails with an error naming the guest offset, and nothing panics.
func TestReadAt_DamagedTables(t *testing.T) {
	be := binary.BigEndian
	const cluster = 64 << 10
	tests := []struct {
		name    string
		l1, l2  uint64
		wantErr string
	}{
		{"L2 beyond the file", 1 << 40, 0, "outside"},
		{"L2 unaligned", cluster + 512, 0, "unaligned"},
		{"data unaligned", 2 * cluster, 3*cluster + 512, "unaligned host offset"},
		{"compressed beyond the file", 2 * cluster, l2Compressed | 1<<40, "beyond"},
		{"data beyond the file reads zeros", 2 * cluster, 1 << 40, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := image(nil)
			be.PutUint64(b[cluster:], tc.l1)
			be.PutUint64(b[2*cluster:], tc.l2)
			img, err := Open(mem(b), Options{})
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			_, err = img.ReadAt(buf, 0)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "guest offset 0x0") {
				t.Fatalf("ReadAt = %v, want an error at guest offset 0 containing %q", err, tc.wantErr)
			}
		})
	}
}
