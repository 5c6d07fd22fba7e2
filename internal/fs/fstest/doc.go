// Package fstest checks that an fs.FS implementation keeps the contract
// the namespace and the WASI kernel rely on: POSIX errors as
// syscall.Errno values, stable non-zero inode numbers, stable directory
// order, nanosecond timestamps and rename/link/unlink semantics. Every
// writable file system runs Run in its tests.
package fstest
