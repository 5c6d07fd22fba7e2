// Command containerd-shim-wasmvisor-v1 is containerd's runtime v2 shim
// for wasmvisor: containerd starts it for runtime io.containerd.wasmvisor.v1
// (`ctr run --runtime io.containerd.wasmvisor.v1`, or a Kubernetes
// RuntimeClass whose handler is registered with that runtime type) and
// it runs the container's WebAssembly program, in a KVM micro-VM where
// the host has one. See package internal/shim and docs/KUBERNETES.md.
package main

import "github.com/wasmvisor/wasmvisor/internal/shim"

func main() { shim.Main() }
