package qcow2

import (
	"fmt"

	"github.com/wasmvisor/wasmvisor/internal/disk/zstd"
)

// decompressZstd fills dst, a whole cluster, from zstd frames, as QEMU's
// qcow2_zstd_decompress does: the data ends when the cluster is full.
func decompressZstd(dst, src []byte) error {
	n, err := zstd.Decompress(dst, src)
	if err != nil {
		return err
	}
	if n != len(dst) {
		return fmt.Errorf("zstd: %d bytes decompressed into a %d-byte cluster", n, len(dst))
	}
	return nil
}
