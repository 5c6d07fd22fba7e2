package aot

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCache_GetPut(t *testing.T) {
	c, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := get(c, "k"); ok {
		t.Fatal("hit in an empty cache")
	}
	want := []byte("machine code")
	if err := c.Put("k", want); err != nil {
		t.Fatal(err)
	}
	got, ok := get(c, "k")
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("Get = %q, %v; want %q", got, ok, want)
	}
	if _, ok := get(c, "other"); ok {
		t.Fatal("hit under another key")
	}
	// A second Open of the directory (another process) shares entries.
	c2, err := Open(c.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := get(c2, "k"); !ok || !bytes.Equal(got, want) {
		t.Fatalf("reopened Get = %q, %v", got, ok)
	}
	if s := c.Stats(); s != (Stats{Hits: 1, Misses: 2, Stores: 1}) {
		t.Errorf("Stats = %+v", s)
	}
}

// TestCache_Damaged checks that nothing of a damaged entry is returned,
// and that the entry is removed so that a store can replace it.
func TestCache_Damaged(t *testing.T) {
	payload := bytes.Repeat([]byte("code"), 100)
	tests := []struct {
		name   string
		damage func(t *testing.T, c *Cache, path string)
	}{
		{"truncated", func(t *testing.T, _ *Cache, path string) { os.Truncate(path, 100) }},
		{"empty", func(t *testing.T, _ *Cache, path string) { os.Truncate(path, 0) }},
		{"extended", func(t *testing.T, _ *Cache, path string) { appendTo(t, path, []byte{0}) }},
		{"payload bit flipped", func(t *testing.T, _ *Cache, path string) { flip(t, path, 50) }},
		{"length changed", func(t *testing.T, _ *Cache, path string) { flip(t, path, -len(entryMagic)-1) }},
		{"magic changed", func(t *testing.T, _ *Cache, path string) { flip(t, path, -1) }},
		{"MAC changed", func(t *testing.T, _ *Cache, path string) { flip(t, path, -len(entryMagic)-9) }},
		{"writable by others", func(t *testing.T, _ *Cache, path string) { os.Chmod(path, 0o622) }},
		{"another key's entry", func(t *testing.T, c *Cache, path string) {
			if err := c.Put("other", payload); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(c.path("other"), path); err != nil {
				t.Fatal(err)
			}
		}},
		{"another cache's entry", func(t *testing.T, c *Cache, path string) {
			c2, err := Open(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			c2.Put("k", []byte("evil"))
			b, err := os.ReadFile(c2.path("k"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, b, 0o600)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(t.TempDir(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Put("k", payload); err != nil {
				t.Fatal(err)
			}
			tt.damage(t, c, c.path("k"))
			if got, ok := get(c, "k"); ok {
				t.Fatalf("damaged entry returned %d bytes", len(got))
			}
			if _, err := os.Stat(c.path("k")); !os.IsNotExist(err) {
				t.Errorf("damaged entry not removed: %v", err)
			}
			if s := c.Stats(); s.Damaged != 1 || s.Misses != 1 {
				t.Errorf("Stats = %+v, want one damaged miss", s)
			}
			if err := c.Put("k", payload); err != nil {
				t.Fatal(err)
			}
			if got, ok := get(c, "k"); !ok || !bytes.Equal(got, payload) {
				t.Fatal("entry stored after the damaged one is not served")
			}
		})
	}
}

// get reads the entry under key whole.
func get(c *Cache, key string) ([]byte, bool) {
	e, ok := c.Get(key)
	if !ok {
		return nil, false
	}
	defer e.Close()
	b, err := io.ReadAll(e)
	return b, err == nil
}

func flip(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

// TestCache_Trim checks that storing past the bound removes the least
// recently used entries, counting a hit as a use.
func TestCache_Trim(t *testing.T) {
	c, err := Open(t.TempDir(), Options{MaxBytes: 4500})
	if err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 1000-entryOverhead)
	old := time.Now().Add(-time.Hour)
	for i := range 3 {
		key := fmt.Sprint(i)
		if err := c.Put(key, payload); err != nil {
			t.Fatal(err)
		}
		// Entries 0, 1, 2 used in that order, an hour apart.
		at := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(c.path(key), at, at)
	}
	get(c, "0") // now the most recently used
	for _, key := range []string{"3", "4"} {
		if err := c.Put(key, payload); err != nil {
			t.Fatal(err)
		}
	}
	for key, want := range map[string]bool{"0": true, "1": false, "2": true, "3": true, "4": true} {
		_, err := os.Stat(c.path(key))
		if got := err == nil; got != want {
			t.Errorf("entry %s kept = %v, want %v", key, got, want)
		}
	}
	if err := c.Put("big", make([]byte, 5000)); err == nil {
		t.Error("Put of an entry larger than the bound succeeded")
	}
}

// TestCache_StaleTemporaries checks that a crashed writer's temporary
// files are removed once old, and only then.
func TestCache_StaleTemporaries(t *testing.T) {
	c, err := Open(t.TempDir(), Options{MaxBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.Dir(), entriesName)
	stale, fresh := filepath.Join(dir, ".tmp-stale"), filepath.Join(dir, ".tmp-fresh")
	for _, p := range []string{stale, fresh} {
		os.WriteFile(p, []byte("partial"), 0o600)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if err := c.trim(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a running writer's temporary file removed")
	}
}

// TestCache_ConcurrentOpen checks that processes opening a new cache at
// once agree on its secret: what one stores, the others can read.
func TestCache_ConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	caches := make([]*Cache, 8)
	var wg sync.WaitGroup
	for i := range caches {
		wg.Go(func() {
			c, err := Open(dir, Options{})
			if err != nil {
				t.Error(err)
			}
			caches[i] = c
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	caches[0].Put("k", []byte("v"))
	for i, c := range caches {
		if _, ok := get(c, "k"); !ok {
			t.Errorf("cache %d cannot read what cache 0 stored", i)
		}
	}
}

func TestCache_BadSecret(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, secretName), []byte("short"), 0o600)
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("Open accepted a secret of the wrong size")
	}
}

// TestCache_CreateCommit checks that an entry written by its caller is
// the entry Put would store, found by Get of another Cache of the
// directory, and that one too large or not of the length committed is
// refused whole, leaving nothing behind.
func TestCache_CreateCommit(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("machine code, written as it is made")
	write := func(key string, payload []byte) *PendingEntry {
		t.Helper()
		pe, err := c.Create(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pe.File().WriteAt(payload, 0); err != nil {
			t.Fatal(err)
		}
		return pe
	}
	pe := write("k", want)
	if err := pe.Commit(int64(len(want))); err != nil {
		t.Fatal(err)
	}
	pe.Close()
	c2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := get(c2, "k"); !ok || !bytes.Equal(got, want) {
		t.Fatalf("Get = %q, %v; want %q", got, ok, want)
	}
	if s := c.Stats(); s.Stores != 1 {
		t.Errorf("Stats = %+v, want a store", s)
	}
	for key, payload := range map[string][]byte{"long": want, "big": make([]byte, 1001)} {
		pe := write(key, payload)
		n := int64(len(payload))
		if key == "long" {
			n-- // shorter than written
		}
		if err := pe.Commit(n); err == nil {
			t.Errorf("%s: Commit stored it", key)
		}
		pe.Close()
	}
	write("aborted", want).Abort()
	for _, key := range []string{"long", "big", "aborted"} {
		if _, ok := get(c2, key); ok {
			t.Errorf("%s: stored", key)
		}
	}
	des, err := os.ReadDir(filepath.Dir(c.path("k")))
	if err != nil || len(des) != 1 {
		t.Errorf("%d files among the entries (%v), want 1", len(des), err)
	}
}
