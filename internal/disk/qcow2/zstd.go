package qcow2

func decompressZstd(dst, src []byte) error {
	return &FeatureError{Feature: "zstd compression"}
}
