package ext4_test

import (
	"fmt"
	"io"
	"log"

	"github.com/wasmvisor/wasmvisor/internal/disk"
	"github.com/wasmvisor/wasmvisor/internal/fs/ext4"
)

// Mount the file system of a disk image given as --disk IMAGE,part=N and
// read a file from it.
func Example() {
	spec, err := disk.ParseSpec("app.qcow2,part=1")
	if err != nil {
		log.Fatal(err)
	}
	vol, err := disk.OpenVolume(spec, disk.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer vol.Close()
	fsys, err := ext4.Open(vol, vol.Size(), ext4.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ino, err := fsys.Walk(fsys.Root(), "/etc/app.conf", true)
	if err != nil {
		log.Fatal(err)
	}
	f, err := fsys.Open(ino)
	if err != nil {
		log.Fatal(err)
	}
	conf, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s", conf)
}
