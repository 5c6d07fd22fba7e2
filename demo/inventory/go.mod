module github.com/wasmvisor/wasmvisor/demo/inventory

go 1.26.0
