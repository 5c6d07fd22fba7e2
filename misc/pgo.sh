#!/usr/bin/env bash
# Makes cmd/wasmvisor/default.pgo, the CPU profile that `go build` uses
# to optimize the wasmvisor command (profile-guided optimization): the
# profiles of the commands whose speed is measured, merged. Compiling a
# large module dominates; runs on both tiers keep the interpreter's and
# the WASI kernel's hot paths in it. Run it again after large changes
# to those paths: a stale profile loses part of the gain, never
# correctness.
#
#	bash misc/pgo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -pgo=off -o "$tmp/wasmvisor" ./cmd/wasmvisor
GOOS=wasip1 GOARCH=wasm go build -o "$tmp/compile.wasm" cmd/compile
GOOS=wasip1 GOARCH=wasm go build -o "$tmp/gofmt.wasm" cmd/gofmt
src=$(go env GOROOT)/src

profile() { # NAME ARGS...: runs wasmvisor ARGS, profiled into NAME.prof
	WASMVISOR_CPUPROFILE="$tmp/$1.prof" "$tmp/wasmvisor" "${@:2}" >/dev/null
}
# Everything twice: a profile of a few thousand samples decides which
# call sites count as hot by chance near the threshold, and profiles made
# one after another inlined differently enough to be measured.
for round in 1 2; do
	for i in 1 2 3; do
		profile "compile$round-$i" compile -o "$tmp/compile.cwasm" "$tmp/compile.wasm"
		rm "$tmp/compile.cwasm"
	done
	profile "gofmt-compiled$round" run --no-cache --dir "$src/net/http::/src" "$tmp/gofmt.wasm" -l /src
	profile "gofmt-interp$round" run --tier=interp --dir "$src/go/ast::/src" "$tmp/gofmt.wasm" -l /src
done
go tool pprof -proto "$tmp"/*.prof >cmd/wasmvisor/default.pgo
echo "cmd/wasmvisor/default.pgo: $(wc -c <cmd/wasmvisor/default.pgo) bytes"
