package lru

import "testing"

func TestCache_Add(t *testing.T) {
	tests := []struct {
		name     string
		capacity int64
		adds     []int // keys added in order, each with cost 1 except key 100 (cost 3)
		gets     []int // keys looked up after the adds, in order, to refresh them
		more     []int // keys added after the gets
		want     []int // keys present at the end
		gone     []int // keys evicted at the end
	}{
		{"fits", 3, []int{1, 2, 3}, nil, nil, []int{1, 2, 3}, nil},
		{"evicts oldest", 2, []int{1, 2, 3}, nil, nil, []int{2, 3}, []int{1}},
		{"get refreshes", 2, []int{1, 2}, []int{1}, []int{3}, []int{1, 3}, []int{2}},
		{"replace keeps one entry", 2, []int{1, 1, 2}, nil, nil, []int{1, 2}, nil},
		{"costly entry evicts several", 3, []int{1, 2, 3, 100}, nil, nil, []int{100}, []int{1, 2, 3}},
		{"entry above capacity is dropped", 2, []int{1, 100}, nil, nil, []int{1}, []int{100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New[int, int](tc.capacity)
			add := func(k int) {
				cost := int64(1)
				if k == 100 {
					cost = 3
				}
				c.Add(k, k*10, cost)
			}
			for _, k := range tc.adds {
				add(k)
			}
			for _, k := range tc.gets {
				if _, ok := c.Get(k); !ok {
					t.Fatalf("Get(%d) missing", k)
				}
			}
			for _, k := range tc.more {
				add(k)
			}
			for _, k := range tc.want {
				if v, ok := c.Get(k); !ok || v != k*10 {
					t.Errorf("Get(%d) = %d, %v; want %d, true", k, v, ok, k*10)
				}
			}
			for _, k := range tc.gone {
				if _, ok := c.Get(k); ok {
					t.Errorf("Get(%d) found an evicted key", k)
				}
			}
			if c.Len() != len(tc.want) {
				t.Errorf("Len = %d, want %d", c.Len(), len(tc.want))
			}
		})
	}
}
