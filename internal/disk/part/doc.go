// Package part reads the partition table of a disk: GPT (UEFI
// specification 2.10, chapter 5 "GUID Partition Table (GPT) Disk Layout")
// or MBR with extended partitions.
//
// Partitions are numbered as Linux numbers them (sda1, sda2, ...): GPT
// entries by their slot, MBR primary partitions 1-4 and logical
// partitions from 5. The table is only read; nothing checks that the
// partitions fit the disk, because [Read] reports the table as it is and
// the caller decides which partition to use.
package part
