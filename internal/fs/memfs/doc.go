// Package memfs is an in-memory file system: scratch space for a guest
// and, later, the upper layer of a copy-on-write overlay. Everything it
// holds is charged against a byte limit, so a guest cannot exhaust the
// host's memory through it.
package memfs
