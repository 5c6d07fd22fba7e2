package overlay

import (
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// node is the overlay's record of one path that differs from the lower
// layer: an entry of the upper layer, a whiteout, or a directory on the
// way to either. Nodes mirror the upper tree, so that a lookup knows
// without asking the upper layer whether it holds a name.
type node struct {
	children map[string]*node
	// upper is the type of the upper layer's entry at this path;
	// TypeUnknown when the upper layer has none.
	upper fs.Type
	meta
}

// meta is what the journal keeps for a path.
type meta struct {
	// whiteout marks a deleted lower entry; the upper layer then has
	// no entry at this path.
	whiteout bool
	// opaque hides the lower directory beneath an upper directory.
	opaque bool
	// redirect, for an upper directory, is the lower directory merged
	// with it in place of the one beneath it: where a renamed lower
	// directory came from.
	redirect string
	// ino is the inode number the guest sees; 0 derives it from the
	// upper entry's.
	ino uint64
	// perm holds the permission bits the guest sees, when hasPerm.
	perm    uint32
	hasPerm bool
	// typ is the type the guest sees for an upper stand-in (an empty
	// regular file in place of a device file or FIFO); TypeUnknown
	// means the upper entry's own type.
	typ fs.Type
}

func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}
	return n.children[name]
}

// unused reports whether n records nothing and can be dropped.
func (n *node) unused() bool {
	return n.upper == fs.TypeUnknown && n.meta == meta{} && len(n.children) == 0
}

// index is the tree of nodes, rooted at the overlay's root directory.
type index struct {
	root *node
}

func newIndex() *index {
	return &index{root: &node{upper: fs.TypeDir}}
}

// lookup returns the node at name, or nil.
func (ix *index) lookup(name string) *node {
	n := ix.root
	if name == "." {
		return n
	}
	for c := range strings.SplitSeq(name, "/") {
		if n = n.child(c); n == nil {
			return nil
		}
	}
	return n
}

// ensure returns the node at name, creating it and the nodes on the way.
func (ix *index) ensure(name string) *node {
	n := ix.root
	if name == "." {
		return n
	}
	for c := range strings.SplitSeq(name, "/") {
		next := n.children[c]
		if next == nil {
			next = &node{}
			if n.children == nil {
				n.children = map[string]*node{}
			}
			// A copy: c is a piece of the whole path, which the
			// map would otherwise keep alive as its key.
			n.children[strings.Clone(c)] = next
		}
		n = next
	}
	return n
}

// detach removes the node at name, with its subtree, and returns it (nil
// if there is none). Nodes on the way that no longer record anything are
// dropped.
func (ix *index) detach(name string) *node {
	if name == "." {
		return nil
	}
	dir, elem := fs.Split(name)
	parent := ix.lookup(dir)
	n := parent.child(elem)
	if n == nil {
		return nil
	}
	delete(parent.children, elem)
	ix.prune(dir)
	return n
}

// attach puts n (with its subtree) at name, replacing whatever was there.
func (ix *index) attach(name string, n *node) {
	dir, elem := fs.Split(name)
	parent := ix.ensure(dir)
	if parent.children == nil {
		parent.children = map[string]*node{}
	}
	parent.children[strings.Clone(elem)] = n
}

// prune drops the node at name and its ancestors while they record
// nothing.
func (ix *index) prune(name string) {
	for name != "." {
		dir, elem := fs.Split(name)
		parent := ix.lookup(dir)
		n := parent.child(elem)
		if n == nil || !n.unused() {
			return
		}
		delete(parent.children, elem)
		name = dir
	}
}

// walk calls fn for every node below n, with its name relative to the
// root, parents before children.
func (n *node) walk(name string, fn func(name string, n *node)) {
	fn(name, n)
	for elem, c := range n.children {
		c.walk(fs.Join(name, elem), fn)
	}
}
