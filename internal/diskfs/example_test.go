package diskfs_test

import (
	"log"

	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/fs"
	"github.com/wasmvisor/wasmvisor/internal/wasi"
)

// Mount the first Linux partition of a qcow2 image as a program's root,
// keeping its changes in a host directory for the next run, with a host
// directory mapped over /data, as wasmvisor run --disk app.qcow2
// --disk-overlay state --dir data::/data does.
func ExampleOpen() {
	root, err := diskfs.Open("app.qcow2", diskfs.Options{OverlayDir: "state"})
	if err != nil {
		log.Fatal(err)
	}
	defer root.Close()
	ns := fs.NewNamespace()
	if err := ns.Mount("/", root); err != nil {
		log.Fatal(err)
	}
	dirs, closeDirs, err := wasi.MountDirs(ns, []wasi.DirSpec{{Host: "data", Guest: "/data"}})
	if err != nil {
		log.Fatal(err)
	}
	defer closeDirs()
	k, err := wasi.New(wasi.Config{
		Args:     []string{"app"},
		Preopens: append([]wasi.Preopen{{Name: "/", NS: ns, Path: "/"}}, dirs...),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer k.Close()
	// Register k's functions with a runtime and run the program.
}
