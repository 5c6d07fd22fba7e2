// Package zstd decompresses Zstandard frames (RFC 8878) into a buffer of
// known size, as qcow2 images store zstd-compressed clusters.
//
// It implements the whole format a compressor writes without a
// dictionary: raw, RLE and compressed blocks; raw, RLE, Huffman and
// treeless literals; predefined, RLE, FSE-compressed and repeated
// sequence tables; repeat offsets; skippable frames; and the optional
// XXH64 content checksum. Frames that need a dictionary are refused.
//
// The input is untrusted: every table, size and offset is checked before
// use, output never grows past the destination buffer, and all memory
// used is bounded by the format's limits (128 KiB blocks, 11-bit Huffman
// and 9-bit FSE tables), never by a count read from the input.
package zstd
