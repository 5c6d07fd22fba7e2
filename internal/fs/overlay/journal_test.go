package overlay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// dump lists the index's nodes with their metadata.
func dump(ix *index) []string {
	var out []string
	ix.root.walk(".", func(name string, n *node) {
		if n.meta != (meta{}) {
			out = append(out, fmt.Sprintf("%s %+v", name, n.meta))
		}
	})
	slices.Sort(out)
	return out
}

func TestJournal_Replay(t *testing.T) {
	w := &journalWriter{}
	w.header("id")
	w.set("a", meta{opaque: true, perm: 0o755, hasPerm: true, ino: 7})
	w.set("a/b/c", meta{whiteout: true})
	w.set("d", meta{redirect: "x/y", ino: 9})
	w.move("a", "d/e")
	w.set("f", meta{whiteout: true})
	w.del("f")
	w.set("g/h", meta{typ: fs.TypeFIFO})
	whole := w.buf
	ix := newIndex()
	id, end, err := replayJournal(whole, ix, nil)
	if err != nil || id != "id" || end != len(whole) {
		t.Fatalf("replay: %q, %d, %v", id, end, err)
	}
	want := []string{
		"d {whiteout:false opaque:false redirect:x/y ino:9 perm:0 hasPerm:false typ:0}",
		"d/e {whiteout:false opaque:true redirect: ino:7 perm:493 hasPerm:true typ:0}",
		"d/e/b/c {whiteout:true opaque:false redirect: ino:0 perm:0 hasPerm:false typ:0}",
		"g/h {whiteout:false opaque:false redirect: ino:0 perm:0 hasPerm:false typ:6}",
	}
	if got := dump(ix); !slices.Equal(got, want) {
		t.Fatalf("index:\n%q\nwant\n%q", got, want)
	}
	// A snapshot replays to the same index.
	ix2 := newIndex()
	if _, _, err := replayJournal(snapshot(ix, "id"), ix2, nil); err != nil {
		t.Fatal(err)
	}
	if got := dump(ix2); !slices.Equal(got, want) {
		t.Fatalf("snapshot replays to\n%q", got)
	}
	// A record cut short is dropped; the whole ones before it stay.
	cut := whole[:len(whole)-3]
	ix3 := newIndex()
	_, end, err = replayJournal(cut, ix3, nil)
	if err != nil || end >= len(cut) {
		t.Fatalf("cut journal: end %d of %d, %v", end, len(cut), err)
	}
	if got := dump(ix3); !slices.Equal(got, want[:3]) {
		t.Fatalf("cut journal replays to\n%q", got)
	}
}

// TestJournal_SnapshotWithinCharge: a rewritten journal of deep paths
// stays within what the index charges for them, since each path is
// given from the one before; written whole, the paths of 2,000 entries
// 4 KiB deep would take 8 MB against 1.6 MB charged; given from the one
// before, they take 34 KB.
func TestJournal_SnapshotWithinCharge(t *testing.T) {
	ix := newIndex()
	deep := strings.TrimSuffix(strings.Repeat("dir/", 1000), "/")
	for i := range 2000 {
		ix.set(fmt.Sprintf("%s/%d/leaf", deep, i), meta{whiteout: true})
	}
	b := snapshot(ix, "id")
	if int64(len(b)) > ix.cost {
		t.Errorf("snapshot of %d bytes, index charged %d", len(b), ix.cost)
	}
	ix2 := newIndex()
	if _, _, err := replayJournal(b, ix2, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(ix2), dump(ix); !slices.Equal(got, want) {
		t.Fatalf("the snapshot replays to %d nodes, want %d", len(got), len(want))
	}
}

func TestJournal_Errors(t *testing.T) {
	header := func() *journalWriter {
		w := &journalWriter{}
		w.header("id")
		return w
	}
	record := func(fn func(w *journalWriter)) []byte {
		w := header()
		fn(w)
		return w.buf
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a journal", []byte("hello"), "not an overlay journal"},
		{"version", append([]byte(journalMagic), 9), "version 9"},
		{"header cut", []byte(journalMagic), "cut short"},
		{"unknown record", append(header().buf, 'x'), "unknown record type"},
		{"absolute path", record(func(w *journalWriter) { w.del("/etc") }), "invalid path"},
		{"dot-dot", record(func(w *journalWriter) { w.set("a/../b", meta{}) }), "invalid path"},
		{"delete root", record(func(w *journalWriter) { w.del(".") }), "invalid path"},
		{"move into itself", record(func(w *journalWriter) { w.move("a", "a/b") }), "into itself"},
		{"bad redirect", record(func(w *journalWriter) { w.set("a", meta{redirect: "../x"}) }), "invalid redirect"},
		{"bad type", record(func(w *journalWriter) { w.set("a", meta{typ: 99}) }), "unknown file type"},
		{"bad perm", record(func(w *journalWriter) { w.set("a", meta{perm: 0o17777}) }), "permission bits"},
		{"long path", record(func(w *journalWriter) { w.del(strings.Repeat("a/", 3000) + "a") }), "exceeds"},
		{"shares more than the path before", record(func(w *journalWriter) {
			w.set("ab", meta{})
			w.buf = append(w.buf, opSetFrom, 3, 1, 'c')
		}), "shares 3 bytes"},
		{"shared path invalid", record(func(w *journalWriter) { w.set("a", meta{}); w.setFrom("a", "a/../b", meta{}) }), "invalid path"},
		{"shared path too long", record(func(w *journalWriter) {
			long := strings.Repeat("a/", 2000) + "a"
			w.set(long, meta{})
			w.setFrom(long, long+"/"+strings.Repeat("b", 200), meta{})
		}), "invalid path"},
		{"shared path in version 2", []byte(journalMagic + "\x02\x02idp\x00\x01a\x00\x00\x00\x00\x00"), "unknown record type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := replayJournal(tt.data, newIndex(), nil)
			var je *JournalError
			if !errors.As(err, &je) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestOpenJournal_Damaged(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, dirJournal), []byte(journalMagic+"\x01\x02id\x7f"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := openJournal(dir, dirJournal, "id", newIndex(), nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, dirJournal)) || !strings.Contains(err.Error(), "at byte 22") {
		t.Fatalf("got %v", err)
	}
}

// FuzzReplayJournal checks that no journal makes the replay panic, and
// that what it builds snapshots and replays to the same index.
func FuzzReplayJournal(f *testing.F) {
	w := &journalWriter{}
	w.header("id")
	w.set("a", meta{opaque: true, perm: 0o755, hasPerm: true, ino: 7})
	w.set("a/b/c", meta{whiteout: true})
	w.move("a", "d/e")
	w.del("d")
	w.set(".", meta{ino: 2, perm: 0o700, hasPerm: true})
	f.Add(w.buf)
	f.Add([]byte(journalMagic + "\x01\x00"))
	deep := newIndex()
	deep.set("x/y/z", meta{whiteout: true})
	deep.set("x/y/zz/q", meta{whiteout: true})
	deep.set("x/a", meta{opaque: true})
	f.Add(snapshot(deep, "id"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ix := newIndex()
		id, _, err := replayJournal(b, ix, nil)
		if err != nil {
			return
		}
		ix2 := newIndex()
		if _, _, err := replayJournal(snapshot(ix, id), ix2, nil); err != nil {
			t.Fatalf("snapshot does not replay: %v", err)
		}
		if a, b := dump(ix), dump(ix2); !slices.Equal(a, b) {
			t.Fatalf("snapshot replays to\n%q\nnot\n%q", b, a)
		}
	})
}

func TestOpenJournal_TooLarge(t *testing.T) {
	defer func(n int) { maxJournal = n }(maxJournal)
	maxJournal = 100
	dir := t.TempDir()
	w := &journalWriter{}
	w.header("id")
	for range 20 {
		w.set("some/path", meta{whiteout: true})
	}
	if err := os.WriteFile(filepath.Join(dir, dirJournal), w.buf, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openJournal(dir, dirJournal, "id", newIndex(), nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v", err)
	}
}

// TestJournal_Groups checks that a group's records count once it is
// committed, never when it is aborted, and, when a crash left it open,
// only if its witness holds in the upper layer.
func TestJournal_Groups(t *testing.T) {
	group := func(end byte) []byte {
		w := &journalWriter{}
		w.header("id")
		w.set("before", meta{ino: 1})
		w.begin(witness{kind: witnessIno, path: "a", ino: 42})
		w.set("a", meta{ino: 5})
		w.del("before")
		if end != 0 {
			w.buf = append(w.buf, end)
		}
		return w.buf
	}
	tests := []struct {
		name  string
		data  []byte
		held  bool
		apply bool // the group's records count
	}{
		{"committed", group(opCommit), false, true},
		{"aborted", group(opAbort), true, false},
		{"open, witness holds", group(0), true, true},
		{"open, witness does not hold", group(0), false, false},
		{"begin cut short", group(0)[:len(group(0))-4], true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := newIndex()
			_, _, err := replayJournal(tt.data, ix, func(w witness) (bool, error) {
				if w != (witness{kind: witnessIno, path: "a", ino: 42}) {
					t.Errorf("asked about witness %+v", w)
				}
				return tt.held, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"before {whiteout:false opaque:false redirect: ino:1 perm:0 hasPerm:false typ:0}"}
			if tt.apply {
				want = []string{"a {whiteout:false opaque:false redirect: ino:5 perm:0 hasPerm:false typ:0}"}
			}
			if got := dump(ix); !slices.Equal(got, want) {
				t.Fatalf("index:\n%q\nwant\n%q", got, want)
			}
		})
	}
	bad := []struct {
		name, want string
		data       []byte
	}{
		{"nested", "inside a group", append(group(0), opBegin, witnessAbsent, 1, 'b', 0)},
		{"end without begin", "not begun", append(group(opCommit), opCommit)},
		{"unknown witness", "witness kind", []byte(journalMagic + "\x02\x02idbx\x01a\x00")},
		{"group in version 1", "unknown record type", []byte(journalMagic + "\x01\x02idc")},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := replayJournal(tt.data, newIndex(), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
