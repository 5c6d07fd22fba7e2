// Package vmdk reads VMware virtual disks: a text descriptor with flat,
// sparse or zero extents (monolithicFlat, twoGbMaxExtentFlat,
// twoGbMaxExtentSparse, vmfs), and hosted sparse extents with their
// descriptor embedded (monolithicSparse, streamOptimized with compressed
// grains).
//
// The format is specified in VMware's "Virtual Disk Format 1.1"; comments
// refer to its section names. Delta disks (a descriptor naming a parent
// with parentFileNameHint), ESX sparse (COWD, vmfsSparse, seSparse) and raw
// device mappings are refused with an error naming them.
package vmdk
