# Build and test entry points; README.md documents them.
GO ?= go

.PHONY: build run spec test vet pgo fuzz-smoke wasi-conformance examples bench bench-quick bench-cli bench-cpu bench-check

build:
	$(GO) build -o bin/wasmvisor ./cmd/wasmvisor

test: vet
	$(GO) test -timeout 60m ./...
	$(MAKE) wasi-conformance
	$(MAKE) examples
	$(MAKE) bench-check

# The embedding API used from a module of its own, as a user would
# (examples/go.mod replaces the wasmvisor module with this tree): it
# builds only if everything it uses is public. Needs mkfs.ext4.
examples:
	cd examples && $(GO) vet ./... && $(GO) test ./...

# The WASI kernel against real programs (wasi-testsuite, C, Go, Go's own
# package tests) on wazero and on wasmvisor. A separate Go module, so
# that wazero stays out of the product's dependencies.
wasi-conformance:
	cd internal/wasi/conformance && $(GO) vet ./... && $(GO) test -timeout 30m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	cd demo/inventory && GOOS=wasip1 GOARCH=wasm $(GO) vet ./...

# The product's main job, on a real program: demo/run.sh builds the WASI
# program in demo/inventory and runs it on an ext4 disk image made from
# demo/data, in a KVM micro-VM where KVM works (internal/clitest runs it
# too).
run: build
	WASMVISOR=bin/wasmvisor GO=$(GO) bash demo/run.sh

# The WebAssembly spec test suite through the CLI (`make test` runs the
# same suite on every tier through internal/spectest).
spec: build
	./bin/wasmvisor wast $${WASMVISOR_SHARED:-../shared}/testdata/spec/json/*.json

# cmd/wasmvisor/default.pgo, the profile go build optimizes the command
# with: make it again after large changes to the compile or the tiers.
pgo:
	bash misc/pgo.sh

# Benchmarks (BENCHMARKS.md has the results and how long each target
# takes). bench/ is a separate Go module, so that wazero stays out of the
# product's dependencies. BENCHFLAGS passes flags to the harness, e.g.
# BENCHFLAGS='-run fib2 -rounds 3' or BENCHFLAGS='-save run.json'.
#
# bench: every sightglass program on wasmvisor's default tier (compiled
# on x86-64) and wazero's compiler, in-process, rounds chosen per program
# (BENCHFLAGS='-engines wasmvisor-interp,wazero-interp' for the
# interpreters: hours, wazero's takes minutes a run on the slow ones).
bench:
	cd bench && $(GO) run ./cmd/sightglass $(BENCHFLAGS)

# The sightglass programs that take under a second on wasmvisor (minutes).
BENCH_SLOW = base64|ctype|ed25519|fib2|heapsort|matrix|minicsv|seqhash|sieve
bench-quick:
	cd bench && $(GO) run ./cmd/sightglass -skip '$(BENCH_SLOW)' $(BENCHFLAGS)

# The same programs through the CLIs, `wasmvisor run` against `wazero
# run`, where start-up and compile time count (needs wabt).
bench-cli:
	cd bench && $(GO) run ./cmd/sightglass -cli -skip '$(BENCH_SLOW)' $(BENCHFLAGS)

# Small CPU-bound functions called in one process (bench/programs).
bench-cpu:
	cd bench && $(GO) run .

# The harness's own tests: vet, unit tests, a short run of two programs
# on every engine.
bench-check:
	cd bench && $(GO) vet ./... && $(GO) test -timeout 30m ./...
