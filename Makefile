# Build and test entry points; README.md documents them.
GO ?= go

.PHONY: build run test vet fuzz-smoke

build:
	$(GO) build -o bin/wasmvisor ./cmd/wasmvisor

test: vet
	$(GO) test -timeout 60m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

run: build
	./bin/wasmvisor wast $${WASMVISOR_SHARED:-../shared}/testdata/spec/json/*.json
