// Package hostfs serves a host directory as an fs.FS, confined to that
// directory: no name can reach outside it, through ".." or through a
// symbolic link, even if the tree changes while it is in use.
//
// The directory is opened with os.Root. Each operation opens the parent
// directory of its name beneath that root with openat2(2) and
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, and then acts on the last
// component alone with a *at system call that does not follow it. The
// namespace has resolved symbolic links before it calls the FS, so
// meeting one on the way means the tree changed under it: ELOOP. Where
// openat2 is unavailable, the parent is opened one component at a time
// with O_NOFOLLOW, which is just as strict.
package hostfs
