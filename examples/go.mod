module github.com/wasmvisor/wasmvisor/examples

go 1.26.0

require github.com/wasmvisor/wasmvisor v0.0.0

require golang.org/x/sys v0.50.0 // indirect

replace github.com/wasmvisor/wasmvisor => ..
