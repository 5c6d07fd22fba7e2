# Build and test entry points; README.md documents them.
GO ?= go

.PHONY: build run test vet fuzz-smoke wasi-conformance

build:
	$(GO) build -o bin/wasmvisor ./cmd/wasmvisor

test: vet
	$(GO) test -timeout 60m ./...
	$(MAKE) wasi-conformance

# The WASI kernel against real programs (wasi-testsuite, C, Go, Go's own
# package tests) on wazero and on wasmvisor. A separate Go module, so
# that wazero stays out of the product's dependencies.
wasi-conformance:
	cd internal/wasi/conformance && $(GO) vet ./... && $(GO) test -timeout 30m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

run: build
	./bin/wasmvisor wast $${WASMVISOR_SHARED:-../shared}/testdata/spec/json/*.json
