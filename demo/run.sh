#!/usr/bin/env bash
# The README's run command (`make run`): build the inventory program
# (demo/inventory) for WASI, pack demo/data into an ext4 disk image, and
# run the program with wasmvisor on that image as its root file system,
# in a KVM micro-VM where KVM works and in-process elsewhere. Then show
# the report it wrote and check that the image was not written.
#
# WASMVISOR names the wasmvisor binary (default: bin/wasmvisor, built
# here if missing); GO the Go command. Needs nothing from ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
go=${GO:-go}
wasmvisor=${WASMVISOR:-$root/bin/wasmvisor}
if [ ! -x "$wasmvisor" ]; then
  "$go" build -o "$wasmvisor" ./cmd/wasmvisor
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wasmvisor-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/out"

echo "== building demo/inventory for GOOS=wasip1 GOARCH=wasm"
(cd demo/inventory && GOOS=wasip1 GOARCH=wasm "$go" build -o "$tmp/inventory.wasm" .)

root_fs=()
img=""
if command -v mkfs.ext4 >/dev/null 2>&1; then
  img=$tmp/inventory.img
  echo "== packing demo/data into an ext4 disk image"
  mkfs.ext4 -q -d demo/data -F "$img" 8M >/dev/null
  sum_before=$(sha256sum "$img" | cut -d' ' -f1)
  echo "image: $img, 8 MiB, sha256 $sum_before"
  root_fs=(--disk "$img")
  shown="--disk inventory.img"
else
  echo "== mkfs.ext4 not found (install e2fsprogs): mapping a copy of demo/data as / with --dir instead of a disk image"
  cp -R demo/data "$tmp/data"
  root_fs=(--dir "$tmp/data::/")
  shown="--dir data::/"
fi

if check=$("$wasmvisor" check 2>&1); then
  isolation=vm
  echo "== isolation: vm, because wasmvisor check found working KVM"
else
  isolation=process
  why=$(grep -m1 'FAIL' <<<"$check" | sed 's/^ *FAIL *//; s/  */ /g' || true)
  echo "== isolation: process, because wasmvisor check found no working KVM (${why:-see wasmvisor check})"
fi

run=("$wasmvisor" run --isolation="$isolation" "${root_fs[@]}" --dir "$tmp/out::/out"
  --env ISOLATION="$isolation" "$tmp/inventory.wasm")
echo "\$ wasmvisor run --isolation=$isolation $shown --dir out::/out --env ISOLATION=$isolation inventory.wasm"
"${run[@]}"

echo "== out/report.txt"
cat "$tmp/out/report.txt"

if [ -n "$img" ]; then
  sum_after=$(sha256sum "$img" | cut -d' ' -f1)
  if [ "$sum_after" != "$sum_before" ]; then
    echo "image changed: sha256 $sum_before before the run, $sum_after after" >&2
    exit 1
  fi
  echo "== image unchanged: sha256 $sum_after"
fi
