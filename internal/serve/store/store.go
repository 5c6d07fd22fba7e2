package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// IDPrefix starts every module ID: the digest's algorithm, as OCI
// digests name it.
const IDPrefix = "sha256:"

// ID returns the ID of a module binary: "sha256:" and its digest in
// hexadecimal.
func ID(bin []byte) string {
	sum := sha256.Sum256(bin)
	return IDPrefix + hex.EncodeToString(sum[:])
}

// ValidID reports whether id has the form ID returns, so that it can
// name a file.
func ValidID(id string) bool {
	h, ok := strings.CutPrefix(id, IDPrefix)
	if !ok || len(h) != 2*sha256.Size {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Module is a tenant's record of a module.
type Module struct {
	ID      string    `json:"id"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

// Route maps the path prefix Path to the module of a tenant that
// answers its requests.
type Route struct {
	Path   string `json:"path"`
	Tenant string `json:"tenant"`
	Module string `json:"module"`
}

// Errors the store's callers tell apart.
var (
	// ErrNotFound is a module or route the tenant does not hold.
	ErrNotFound = errors.New("not found")
	// ErrRouteTaken is a path another tenant's route has.
	ErrRouteTaken = errors.New("path is another tenant's route")
	// ErrDamaged is a blob whose contents no longer match its name.
	ErrDamaged = errors.New("blob damaged")
)

// Bucket names. modules holds a bucket per tenant, module ID → Module
// in JSON; refs counts, per ID, the tenants holding the blob; routes
// maps a path to a Route in JSON.
var (
	bucketModules = []byte("modules")
	bucketRefs    = []byte("refs")
	bucketRoutes  = []byte("routes")
)

// Store is the daemon's module store. It is safe for concurrent use; one
// process at a time opens a directory (bbolt locks its file).
type Store struct {
	db    *bolt.DB
	blobs string // directory of the blobs, one file per ID

	// locks serializes, per ID, writing or removing its blob with the
	// transaction that counts its holders, so that a Delete dropping
	// the last holder never removes a blob a concurrent Put is about to
	// record.
	mu    sync.Mutex
	locks map[string]*idLock
}

type idLock struct {
	sync.Mutex
	users int // under Store.mu
}

// Open opens the store in dir, creating it if needed, and removes what a
// crash left half done. It fails after a few seconds if another process
// has the store open.
func Open(dir string) (*Store, error) {
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, "modules.db"), 0o600, &bolt.Options{Timeout: 3 * time.Second})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s is in use by another process (a daemon running on it?)", dir)
	}
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, blobs: blobs, locks: map[string]*idLock{}}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketModules, bucketRefs, bucketRoutes} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = s.recover()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// recover removes the temporary files of writes a crash interrupted and
// the blobs no committed record refers to (written, but the crash came
// before their record, or after a Delete's commit and before the
// removal).
func (s *Store) recover() error {
	entries, err := os.ReadDir(s.blobs)
	if err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		refs := tx.Bucket(bucketRefs)
		for _, e := range entries {
			id := IDPrefix + e.Name()
			if ValidID(id) && refs.Get([]byte(id)) != nil {
				continue
			}
			if err := os.Remove(filepath.Join(s.blobs, e.Name())); err != nil {
				return err
			}
		}
		return nil
	})
}

// lock locks the blob id and returns its unlock.
func (s *Store) lock(id string) (unlock func()) {
	s.mu.Lock()
	l := s.locks[id]
	if l == nil {
		l = &idLock{}
		s.locks[id] = l
	}
	l.users++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, id)
		}
		s.mu.Unlock()
	}
}

// blobPath is the file of blob id (which ValidID accepts).
func (s *Store) blobPath(id string) string {
	return filepath.Join(s.blobs, strings.TrimPrefix(id, IDPrefix))
}

// Usage is what a tenant stores, which quotas bound.
type Usage struct {
	Modules int
	Bytes   int64
}

// Put records that tenant holds the module bin, writing its blob if no
// tenant had it, and returns its record and whether it is new to the
// tenant. admit is asked, with the tenant's usage before this module,
// whether a new module fits its quotas; its error is returned as is.
// When Put returns nil, the module survives a crash.
func (s *Store) Put(tenant string, bin []byte, admit func(Usage) error) (m Module, created bool, err error) {
	id := ID(bin)
	unlock := s.lock(id)
	defer unlock()
	// The blob is written first (skipped if it exists: its name is its
	// contents), so that a record never names a missing one.
	wrote := false
	if _, err := os.Stat(s.blobPath(id)); errors.Is(err, os.ErrNotExist) {
		if err := s.writeBlob(id, bin); err != nil {
			return Module{}, false, err
		}
		wrote = true
	} else if err != nil {
		return Module{}, false, err
	}
	m = Module{ID: id, Size: int64(len(bin)), Created: time.Now().UTC().Truncate(time.Second)}
	err = s.db.Update(func(tx *bolt.Tx) error {
		mods, err := tx.Bucket(bucketModules).CreateBucketIfNotExists([]byte(tenant))
		if err != nil {
			return err
		}
		if v := mods.Get([]byte(id)); v != nil {
			return json.Unmarshal(v, &m)
		}
		if admit != nil {
			if err := admit(usage(mods)); err != nil {
				return err
			}
		}
		v, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := mods.Put([]byte(id), v); err != nil {
			return err
		}
		created = true
		return addRef(tx, id, 1)
	})
	if err != nil && wrote {
		os.Remove(s.blobPath(id)) // recorded nowhere; Open would remove it too
	}
	return m, created, err
}

// writeBlob writes bin as blob id: to a temporary file, synced, renamed
// into place, and the directory synced, so that after a crash the blob
// is whole or absent.
func (s *Store) writeBlob(id string, bin []byte) error {
	f, err := os.CreateTemp(s.blobs, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(bin)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, s.blobPath(id))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(s.blobs)
}

// SyncDir makes the entries of dir durable: what a rename into it
// needs before it is acknowledged.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// usage sums a tenant's modules bucket.
func usage(mods *bolt.Bucket) (u Usage) {
	mods.ForEach(func(_, v []byte) error {
		var m Module
		if json.Unmarshal(v, &m) == nil {
			u.Modules++
			u.Bytes += m.Size
		}
		return nil
	})
	return u
}

// addRef adds delta to the count of tenants holding blob id, removing
// the count at zero; it returns ErrNotFound past zero.
func addRef(tx *bolt.Tx, id string, delta int64) error {
	refs := tx.Bucket(bucketRefs)
	var n int64
	if v := refs.Get([]byte(id)); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	switch {
	case n < 0:
		return ErrNotFound
	case n == 0:
		return refs.Delete([]byte(id))
	}
	return refs.Put([]byte(id), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// Get returns tenant's record of module id, or ErrNotFound.
func (s *Store) Get(tenant, id string) (m Module, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		mods := tx.Bucket(bucketModules).Bucket([]byte(tenant))
		if mods == nil {
			return ErrNotFound
		}
		v := mods.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		return json.Unmarshal(v, &m)
	})
	return m, err
}

// List returns tenant's modules, by ID.
func (s *Store) List(tenant string) (list []Module, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		mods := tx.Bucket(bucketModules).Bucket([]byte(tenant))
		if mods == nil {
			return nil
		}
		return mods.ForEach(func(_, v []byte) error {
			var m Module
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			list = append(list, m)
			return nil
		})
	})
	return list, err
}

// Usage returns what tenant stores.
func (s *Store) Usage(tenant string) (u Usage, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		if mods := tx.Bucket(bucketModules).Bucket([]byte(tenant)); mods != nil {
			u = usage(mods)
		}
		return nil
	})
	return u, err
}

// Tenants returns the tenants that hold modules or routes.
func (s *Store) Tenants() (names []string, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		tx.Bucket(bucketModules).ForEachBucket(func(k []byte) error {
			names = append(names, string(k))
			return nil
		})
		return tx.Bucket(bucketRoutes).ForEach(func(_, v []byte) error {
			var r Route
			if json.Unmarshal(v, &r) == nil && !slices.Contains(names, r.Tenant) {
				names = append(names, r.Tenant)
			}
			return nil
		})
	})
	return names, err
}

// Blob returns the binary of module id, checked against its name.
func (s *Store) Blob(id string) ([]byte, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	bin, err := os.ReadFile(s.blobPath(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if ID(bin) != id {
		return nil, fmt.Errorf("%s: %w", id, ErrDamaged)
	}
	return bin, nil
}

// Delete removes tenant's record of module id, and the routes of the
// tenant that lead to it (returned), and removes the blob when no
// tenant holds it any more. It returns ErrNotFound if the tenant does
// not hold the module.
func (s *Store) Delete(tenant, id string) (dropped []Route, err error) {
	unlock := s.lock(id)
	defer unlock()
	last := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		mods := tx.Bucket(bucketModules).Bucket([]byte(tenant))
		if mods == nil || mods.Get([]byte(id)) == nil {
			return ErrNotFound
		}
		if err := mods.Delete([]byte(id)); err != nil {
			return err
		}
		routes := tx.Bucket(bucketRoutes)
		var keys [][]byte
		routes.ForEach(func(k, v []byte) error {
			var r Route
			if json.Unmarshal(v, &r) == nil && r.Tenant == tenant && r.Module == id {
				keys = append(keys, bytes.Clone(k))
				dropped = append(dropped, r)
			}
			return nil
		})
		for _, k := range keys {
			if err := routes.Delete(k); err != nil {
				return err
			}
		}
		if err := addRef(tx, id, -1); err != nil {
			return err
		}
		last = tx.Bucket(bucketRefs).Get([]byte(id)) == nil
		return nil
	})
	if err == nil && last {
		// After the commit: a crash before this leaves an unreferenced
		// blob, which Open removes.
		os.Remove(s.blobPath(id))
	}
	return dropped, err
}

// DeleteTenant removes everything tenant holds: its modules (and the
// blobs no one else holds) and its routes.
func (s *Store) DeleteTenant(tenant string) error {
	mods, err := s.List(tenant)
	if err != nil {
		return err
	}
	for _, m := range mods {
		if _, err := s.Delete(tenant, m.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	routes, err := s.Routes()
	if err != nil {
		return err
	}
	for _, r := range routes {
		if r.Tenant == tenant {
			if err := s.DeleteRoute(tenant, r.Path); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(bucketModules).DeleteBucket([]byte(tenant))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// PutRoute records r, replacing the tenant's route at the same path. It
// returns ErrNotFound if the tenant does not hold the module, and
// ErrRouteTaken if another tenant has the path.
func (s *Store) PutRoute(r Route) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		mods := tx.Bucket(bucketModules).Bucket([]byte(r.Tenant))
		if mods == nil || mods.Get([]byte(r.Module)) == nil {
			return ErrNotFound
		}
		routes := tx.Bucket(bucketRoutes)
		if v := routes.Get([]byte(r.Path)); v != nil {
			var old Route
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			if old.Tenant != r.Tenant {
				return ErrRouteTaken
			}
		}
		v, err := json.Marshal(r)
		if err != nil {
			return err
		}
		return routes.Put([]byte(r.Path), v)
	})
}

// DeleteRoute removes tenant's route at path, or returns ErrNotFound.
func (s *Store) DeleteRoute(tenant, path string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		routes := tx.Bucket(bucketRoutes)
		v := routes.Get([]byte(path))
		if v == nil {
			return ErrNotFound
		}
		var r Route
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Tenant != tenant {
			return ErrNotFound
		}
		return routes.Delete([]byte(path))
	})
}

// Routes returns every route, by path.
func (s *Store) Routes() (list []Route, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRoutes).ForEach(func(_, v []byte) error {
			var r Route
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			list = append(list, r)
			return nil
		})
	})
	return list, err
}
