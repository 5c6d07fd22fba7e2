package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestStore_PutDelete(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	a, b := []byte("module a"), []byte("module b")
	errQuota := errors.New("quota")
	maxTwo := func(u Usage) error {
		if u.Modules >= 2 {
			return errQuota
		}
		return nil
	}
	steps := []struct {
		name    string
		tenant  string
		put     []byte
		del     string
		wantNew bool
		wantErr error
		blobs   int // blob files after the step
	}{
		{name: "first", tenant: "t1", put: a, wantNew: true, blobs: 1},
		{name: "again", tenant: "t1", put: a, wantNew: false, blobs: 1},
		{name: "shared", tenant: "t2", put: a, wantNew: true, blobs: 1},
		{name: "second", tenant: "t1", put: b, wantNew: true, blobs: 2},
		{name: "quota", tenant: "t1", put: []byte("module c"), wantErr: errQuota, blobs: 2},
		{name: "delete shared", tenant: "t1", del: ID(a), blobs: 2},
		{name: "delete foreign", tenant: "t1", del: ID(a), wantErr: ErrNotFound, blobs: 2},
		{name: "delete last", tenant: "t2", del: ID(a), blobs: 1},
	}
	for _, st := range steps {
		if st.put != nil {
			m, created, err := s.Put(st.tenant, st.put, maxTwo)
			if !errors.Is(err, st.wantErr) || err == nil && (created != st.wantNew || m.ID != ID(st.put)) {
				t.Errorf("%s: Put = %+v, %v, %v", st.name, m, created, err)
			}
		} else if _, err := s.Delete(st.tenant, st.del); !errors.Is(err, st.wantErr) {
			t.Errorf("%s: Delete = %v, want %v", st.name, err, st.wantErr)
		}
		if n := countBlobs(t, dir); n != st.blobs {
			t.Errorf("%s: %d blobs, want %d", st.name, n, st.blobs)
		}
	}
	if bin, err := s.Blob(ID(b)); err != nil || string(bin) != string(b) {
		t.Errorf("Blob = %q, %v", bin, err)
	}
	if _, err := s.Get("t2", ID(b)); !errors.Is(err, ErrNotFound) {
		t.Errorf("t2 sees t1's module: %v", err)
	}

	// Routes: a path is one tenant's, and goes with its module.
	if err := s.PutRoute(Route{Path: "/x", Tenant: "t1", Module: ID(b)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRoute(Route{Path: "/y", Tenant: "t2", Module: ID(b)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("route to a foreign module: %v", err)
	}
	s.Put("t2", b, nil)
	if err := s.PutRoute(Route{Path: "/x", Tenant: "t2", Module: ID(b)}); !errors.Is(err, ErrRouteTaken) {
		t.Errorf("route over another tenant's: %v", err)
	}
	if dropped, err := s.Delete("t1", ID(b)); err != nil || len(dropped) != 1 {
		t.Errorf("Delete dropped %v, %v", dropped, err)
	}
	if rs, _ := s.Routes(); len(rs) != 0 {
		t.Errorf("routes left: %v", rs)
	}

	// What a crash leaves: a temporary file and a blob without a
	// record. Reopening removes both and keeps the recorded one.
	os.WriteFile(filepath.Join(dir, "blobs", ".tmp-1"), []byte("half"), 0o600)
	os.WriteFile(filepath.Join(dir, "blobs", ID([]byte("x"))[len(IDPrefix):]), []byte("x"), 0o600)
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	if n := countBlobs(t, dir); n != 1 {
		t.Errorf("after reopening: %d blobs, want 1", n)
	}
	if _, err := s.Blob(ID(b)); err != nil {
		t.Errorf("recorded blob: %v", err)
	}
}

func countBlobs(t *testing.T, dir string) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
