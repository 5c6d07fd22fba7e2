package lru

// Cache maps keys to values and evicts the least recently used entries
// when the total cost of its entries exceeds its capacity. Each entry's
// cost is given when it is added (a byte count, or 1 to bound the number of
// entries). It is not safe for concurrent use; its users hold their own
// lock, which they need anyway to make a lookup and its fill atomic.
type Cache[K comparable, V any] struct {
	capacity int64
	cost     int64
	items    map[K]*entry[K, V]
	// head is a sentinel of a circular list: head.next is the most
	// recently used entry, head.prev the least.
	head entry[K, V]
}

type entry[K comparable, V any] struct {
	key        K
	value      V
	cost       int64
	prev, next *entry[K, V]
}

// New returns a cache that holds entries of total cost up to capacity.
func New[K comparable, V any](capacity int64) *Cache[K, V] {
	c := &Cache[K, V]{capacity: capacity, items: make(map[K]*entry[K, V])}
	c.head.prev, c.head.next = &c.head, &c.head
	return c
}

// Get returns the value for key and marks it recently used.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	e, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.value, true
}

// Add inserts or replaces the value for key. An entry that costs more than
// the whole capacity is not kept.
func (c *Cache[K, V]) Add(key K, value V, cost int64) {
	if e, ok := c.items[key]; ok {
		c.unlink(e)
		c.cost -= e.cost
		delete(c.items, key)
	}
	if cost > c.capacity {
		return
	}
	e := &entry[K, V]{key: key, value: value, cost: cost}
	c.items[key] = e
	c.pushFront(e)
	c.cost += cost
	for c.cost > c.capacity {
		old := c.head.prev
		c.unlink(old)
		c.cost -= old.cost
		delete(c.items, old.key)
	}
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int { return len(c.items) }

func (c *Cache[K, V]) unlink(e *entry[K, V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
}

func (c *Cache[K, V]) pushFront(e *entry[K, V]) {
	e.prev = &c.head
	e.next = c.head.next
	c.head.next.prev = e
	c.head.next = e
}
