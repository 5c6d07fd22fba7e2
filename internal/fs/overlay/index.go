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
	children     map[string]*node
	peakChildren int // see fs.DeleteEntry
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

// nodeCost is what the index charges for a node besides its name and
// redirect: the node, its slot in its parent's map and its share of
// that map's growth, about 140 bytes live, twice over for the garbage
// collector's headroom (measured by TestFS_MemoryBound).
const nodeCost = 320

// cost returns what the node n, named elem in its parent, is charged.
func (n *node) cost(elem string) int64 {
	return nodeCost + int64(len(elem)+len(n.redirect))
}

// treeCost returns what n, named elem, and the nodes below it are
// charged.
func (n *node) treeCost(elem string) int64 {
	c := n.cost(elem)
	for e, child := range n.children {
		c += child.treeCost(e)
	}
	return c
}

// index is the tree of nodes, rooted at the overlay's root directory.
// It counts what its nodes are charged, so that the overlay can hold
// them against a limit: whiteouts and redirects are memory that no
// upper layer accounts for.
type index struct {
	root *node
	cost int64
}

func newIndex() *index {
	ix := &index{root: &node{upper: fs.TypeDir}}
	ix.recount()
	return ix
}

// recount sets cost from the tree, after the tree was changed directly.
func (ix *index) recount() { ix.cost = ix.root.treeCost(".") }

// setMeta gives n the metadata m.
func (ix *index) setMeta(n *node, m meta) {
	ix.cost += int64(len(m.redirect) - len(n.redirect))
	n.meta = m
}

// set gives the node at name, created if need be, the metadata m.
func (ix *index) set(name string, m meta) *node {
	n := ix.ensure(name)
	ix.setMeta(n, m)
	return n
}

// clearChildren drops the nodes below n.
func (ix *index) clearChildren(n *node) {
	for e, c := range n.children {
		ix.cost -= c.treeCost(e)
	}
	n.children = nil
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
			ix.cost += next.cost(c)
		}
		n = next
	}
	return n
}

// detach removes the node at name, with its subtree, and returns it (nil
// if there is none). Nodes on the way that no longer record anything are
// dropped.
func (ix *index) detach(name string) *node {
	n := ix.take(name)
	if n != nil {
		_, elem := fs.Split(name)
		ix.cost -= n.treeCost(elem)
	}
	return n
}

// take removes the node at name like detach, but leaves its subtree
// counted, for move to put back under another name.
func (ix *index) take(name string) *node {
	if name == "." {
		return nil
	}
	dir, elem := fs.Split(name)
	parent := ix.lookup(dir)
	n := parent.child(elem)
	if n == nil {
		return nil
	}
	fs.DeleteEntry(&parent.children, &parent.peakChildren, elem)
	ix.prune(dir)
	return n
}

// move puts the node at old, with its subtree, at name, replacing
// whatever was there; the subtree's count carries over, so a move costs
// the same whatever the subtree holds.
func (ix *index) move(old, name string) {
	n := ix.take(old)
	ix.detach(name)
	if n == nil {
		return
	}
	_, oelem := fs.Split(old)
	_, elem := fs.Split(name)
	ix.cost += int64(len(elem) - len(oelem))
	ix.put(name, n)
}

// put enters n at name, where nothing is, without counting it.
func (ix *index) put(name string, n *node) {
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
		fs.DeleteEntry(&parent.children, &parent.peakChildren, elem)
		ix.cost -= n.cost(elem)
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
