package store

import (
	"fmt"
	"sync"

	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TypeID identifies a function type across every module of a Store:
// two functions have the same TypeID exactly when their types are equal,
// so call_indirect compares one integer instead of two signatures.
type TypeID uint32

// Limits bound what instantiation may allocate at run time.
type Limits struct {
	// MaxMemoryPages caps every memory's size in pages, below its type's
	// maximum. Zero means 65536 (4 GiB).
	MaxMemoryPages uint32
	// MaxTableElements caps every table's size, and the sizes of all
	// the tables an instance defines together. Zero means
	// DefaultMaxTableElements.
	MaxTableElements uint32
}

// DefaultMaxTableElements is the table size cap when Limits sets none. A
// table element takes 8 bytes, so this bounds an instance's tables at 80
// MB (160 MB while a slice grows): a guest asking table.grow for
// billions of elements, or declaring hundreds of large tables, gets -1
// or an instantiation error, not allocations that bring the host down.
const DefaultMaxTableElements = 10_000_000

func (l Limits) memoryPages() uint32 {
	if l.MaxMemoryPages == 0 || l.MaxMemoryPages > wasm.MemoryMaxPages {
		return wasm.MemoryMaxPages
	}
	return l.MaxMemoryPages
}

func (l Limits) tableElements() uint32 {
	if l.MaxTableElements == 0 {
		return DefaultMaxTableElements
	}
	return l.MaxTableElements
}

// Store is a set of instances that can link to each other by name.
type Store struct {
	mu      sync.Mutex
	names   map[string]*Instance // guarded by mu
	typeIDs map[string]TypeID    // guarded by mu
	calls   callSet
}

// New returns an empty store.
func New() *Store {
	return &Store{names: map[string]*Instance{}, typeIDs: map[string]TypeID{}}
}

// TypeID returns the store-wide identifier of ft.
func (s *Store) TypeID(ft *wasm.FuncType) TypeID {
	key := make([]byte, 0, len(ft.Params)+len(ft.Results)+1)
	for _, t := range ft.Params {
		key = append(key, byte(t))
	}
	key = append(key, '|')
	for _, t := range ft.Results {
		key = append(key, byte(t))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.typeIDs[string(key)]
	if !ok {
		id = TypeID(len(s.typeIDs))
		s.typeIDs[string(key)] = id
	}
	return id
}

// Lookup returns the instance registered as name, or nil.
func (s *Store) Lookup(name string) *Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names[name]
}

// Register makes inst importable as name. Each name is taken at most
// once; an instance may have several names. Unregister frees them.
func (s *Store) Register(name string, inst *Instance) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.names[name]; ok {
		return fmt.Errorf("module %q is already instantiated", name)
	}
	s.names[name] = inst
	return nil
}

// Unregister frees every name that refers to inst.
func (s *Store) Unregister(inst *Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[inst.Name] == inst {
		delete(s.names, inst.Name)
	}
	for name, i := range s.names {
		if i == inst {
			delete(s.names, name)
		}
	}
}

// NameTaken reports whether name is registered.
func (s *Store) NameTaken(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.names[name]
	return ok
}

// Instances returns the registered instances.
func (s *Store) Instances() []*Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Instance, 0, len(s.names))
	for _, inst := range s.names {
		out = append(out, inst)
	}
	return out
}
