// Package shim is containerd's runtime v2 shim for wasmvisor
// (containerd-shim-wasmvisor-v1, runtime io.containerd.wasmvisor.v1):
// it runs each container's WebAssembly program through internal/launch,
// in a KVM micro-VM where the host has one and in the shim's process
// elsewhere, and serves containerd's task API for it.
//
// It is built on containerd's v1.7 shim library (runtime/v2/shim),
// which speaks to containerd 1.6 and 1.7 daemons, the ones Linux
// distributions ship; the library's v2 line needs a 2.x daemon.
//
// A container is what runwasi calls a Wasm container: its image's
// root file system holds the module, the OCI spec's first argument
// names it, and that root file system (the snapshotter's mount) is the
// program's "/". The spec's arguments, environment, working directory,
// bind mounts, read-only root, memory limit and CPU rlimit become the
// launch.Program's; see programFromSpec for each mapping and what is
// left out. Two other forms of image run too: the OCI artifact form,
// whose module is a layer of its own that the shim reads from
// containerd's content store (moduleFromImage), and, beyond runwasi,
// an image that names a disk image in its root file system whose ext4
// file system is then the program's "/" (WASMVISOR_DISK). The program
// is the container's only process: there is no
// exec, pause or checkpoint, and a signal that ends a process stops the
// instance with 128+signal, as a shell would report it (TERM 143,
// KILL 137).
//
// A pod's sandbox, which the CRI plugin runs with the pod's runtime
// handler, runs no program here: it is a task that lasts until stopped,
// as pause would, since a program in the shim's process has no use for
// the namespaces the sandbox holds. A pod's containers share one shim,
// grouped by the sandbox's ID.
//
// Compiled code is kept in the compilation cache (cacheDir), shared by
// every shim on the machine, so a second container of an image starts
// without compiling.
//
// The end-to-end tests (TestContainerd…) install Debian's containerd
// where it is missing, start a private daemon and run images built in
// the test through `ctr`, containerd's API and, for the CRI plugin,
// `crictl`. docs/KUBERNETES.md says how to deploy the shim.
package shim
