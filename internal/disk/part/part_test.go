package part_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/disk/part"
)

const diskSize = 8 << 20

func gptDisk() []byte {
	d := make([]byte, diskSize)
	disktest.GPT(d, []disktest.Part{
		{Type: disktest.EFIGUID, Name: "EFI", Start: 2048, Size: 2048},
		{Type: disktest.LinuxGUID, Name: "root ü", Start: 4096, Size: 8192},
	})
	return d
}

func mbrDisk() []byte {
	d := make([]byte, diskSize)
	disktest.MBR(d, []disktest.Part{
		{MBRType: 0x0c, Start: 2048, Size: 1024},
		{MBRType: 0x83, Start: 4096, Size: 1024},
		{MBRType: 0x82, Start: 6144, Size: 1024},
		{MBRType: 0x83, Start: 8193, Size: 1000},
		{MBRType: 0x07, Start: 10241, Size: 500},
	})
	return d
}

func TestRead(t *testing.T) {
	damagedPrimary := gptDisk()
	damagedPrimary[512+30] ^= 0xff // inside the header: CRC mismatch
	damagedBoth := bytes.Clone(damagedPrimary)
	damagedBoth[diskSize-512+30] ^= 0xff
	protectiveOnly := gptDisk()
	clear(protectiveOnly[512:1024])
	badArrayCRC := gptDisk()
	badArrayCRC[1024+5] ^= 1
	badArrays := bytes.Clone(badArrayCRC)
	badArrays[(diskSize/512-33)*512+5] ^= 1
	// Make the last EBR link to the one before it.
	ebrSelf := mbrDisk()
	ebrSelf[10240*512+446+16+4] = 0x05
	binary.LittleEndian.PutUint32(ebrSelf[10240*512+446+16+8:], 10240-8192)
	bootSector := make([]byte, diskSize)
	bootSector[0] = 0xeb
	bootSector[446] = 0x12 // not a status byte
	bootSector[510], bootSector[511] = 0x55, 0xaa

	type want struct {
		number int
		start  int64
		size   int64
		linux  bool
		name   string
	}
	tests := []struct {
		name    string
		disk    []byte
		scheme  part.Scheme
		want    []want
		wantErr string
	}{
		{"gpt", gptDisk(), part.GPT, []want{{1, 2048 * 512, 2048 * 512, false, "EFI"}, {2, 4096 * 512, 8192 * 512, true, "root ü"}}, ""},
		{"gpt backup header", damagedPrimary, part.GPT, []want{{1, 2048 * 512, 2048 * 512, false, "EFI"}, {2, 4096 * 512, 8192 * 512, true, "root ü"}}, ""},
		{"gpt both headers damaged", damagedBoth, "", nil, "CRC32"},
		{"gpt primary entry array damaged", badArrayCRC, part.GPT, []want{{1, 2048 * 512, 2048 * 512, false, "EFI"}, {2, 4096 * 512, 8192 * 512, true, "root ü"}}, ""},
		{"gpt both entry arrays damaged", badArrays, "", nil, "partition entry array CRC32"},
		{"protective mbr without gpt", protectiveOnly, "", nil, "protective MBR"},
		{"mbr with logical partitions", mbrDisk(), part.MBR, []want{
			{1, 2048 * 512, 1024 * 512, false, ""},
			{2, 4096 * 512, 1024 * 512, true, ""},
			{3, 6144 * 512, 1024 * 512, false, ""},
			{5, 8193 * 512, 1000 * 512, true, ""},
			{6, 10241 * 512, 500 * 512, false, ""},
		}, ""},
		{"ebr chain loops", ebrSelf, "", nil, "loops"},
		{"boot sector is not an mbr", bootSector, "", nil, part.ErrNoTable.Error()},
		{"empty disk", make([]byte, diskSize), "", nil, part.ErrNoTable.Error()},
		{"tiny disk", make([]byte, 100), "", nil, part.ErrNoTable.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := part.Read(bytes.NewReader(tc.disk), int64(len(tc.disk)))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tab.Scheme != tc.scheme || len(tab.Partitions) != len(tc.want) {
				t.Fatalf("got %s with %+v", tab.Scheme, tab.Partitions)
			}
			for i, w := range tc.want {
				p := tab.Partitions[i]
				if p.Number != w.number || p.Start != w.start || p.Size != w.size || p.Linux != w.linux || p.Name != w.name {
					t.Errorf("partition %d = %+v, want %+v", i, p, w)
				}
			}
		})
	}
}

func TestRead_GPTTypeText(t *testing.T) {
	tab, err := part.Read(bytes.NewReader(gptDisk()), diskSize)
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Partitions[1].Type; got != disktest.LinuxGUID {
		t.Fatalf("type = %s, want %s", got, disktest.LinuxGUID)
	}
}

func FuzzRead(f *testing.F) {
	small := func(d []byte) []byte {
		// Keep seeds small: the tables and their first sectors.
		out := make([]byte, 64<<10)
		copy(out, d[:34*512])
		copy(out[len(out)-33*512:], d[len(d)-33*512:])
		return out
	}
	f.Add(small(gptDisk()))
	f.Add(mbrDisk()[:12<<10])
	f.Add(make([]byte, 1024))
	f.Fuzz(func(t *testing.T, d []byte) {
		tab, err := part.Read(bytes.NewReader(d), int64(len(d)))
		if err == nil && tab == nil {
			t.Fatal("nil table without an error")
		}
	})
}
