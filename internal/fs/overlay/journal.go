package overlay

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// The journal keeps the index of an overlay whose upper layer is a host
// directory. It is a header followed by records, each applied to the
// index in order:
//
//	header  = magic version:byte lowerID:string
//	record  = 's' path:string flags:byte ino:uvarint perm:uvarint typ:byte redirect:string   set path's meta
//	        | 'p' shared:uvarint suffix:string flags … redirect                                as 's', of the path that is the last set record's first shared bytes and suffix
//	        | 'd' path:string                                                              delete path's subtree
//	        | 'm' old:string new:string                                                    move old's subtree to new
//	        | 'b' kind:byte path:string ino:uvarint                                        begin a group
//	        | 'c'                                                                          commit the open group
//	        | 'a'                                                                          abort the open group
//	string  = length:uvarint bytes
//
// Paths are names in the form fs.FS methods take. Opening the overlay
// replays the journal and rewrites it as one 'p' record per node that
// has metadata, in name order, so that each holds little more than its
// own name however deep it lies: a rewritten journal is no larger than
// the index's charge (see index.cost), which bounds it; records are then appended as the tree changes, and the
// journal is rewritten again when it has grown well past that size. A
// record cut short at the end (the process died while writing it) is
// dropped.
//
// A change that the upper layer sees too (a file created, renamed or
// removed there) is a group: 'b', the records that describe it, written
// in one piece before the host operation, and 'c' or 'a' after it, as the
// operation succeeded or failed. The records of a group count only once
// it is committed. The group still open at the end of the journal is the
// one whose host operation a crash may have cut short; its 'b' names a
// witness, what the upper layer holds at one path once the operation has
// happened (kind 'p': an entry, 'n': none, 'i': the entry with host
// inode number ino), and replay looks there to tell whether it counts.
// Version 1 journals have no groups, and versions before 3 no 'p'.
const (
	journalMagic   = "wasmvisor-overlay\n"
	journalVersion = 3

	opSet     = 's'
	opSetFrom = 'p'
	opDel     = 'd'
	opMove    = 'm'
	opBegin   = 'b'
	opCommit  = 'c'
	opAbort   = 'a'

	// maxLowerID bounds the lower file system's identity string.
	maxLowerID = 256
)

// maxJournal bounds the journal read into memory. Journals are rewritten
// when they grow, so a real one stays near the size of its index: a few
// bytes more than the names it holds. A variable for tests.
var maxJournal = 256 << 20

// Flags of a set record.
const (
	flagWhiteout = 1 << iota
	flagOpaque
	flagHasPerm
	flagsKnown = flagWhiteout | flagOpaque | flagHasPerm
)

// JournalError is a journal that cannot be read: damaged, of a newer
// version, or made for another lower file system.
type JournalError struct {
	Path   string
	Offset int64
	Msg    string
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("overlay metadata %s: at byte %d: %s", e.Path, e.Offset, e.Msg)
}

// errTruncated marks a record that the end of the journal cuts short.
var errTruncated = errors.New("truncated record")

// journalReader decodes a journal.
type journalReader struct {
	b   []byte
	off int
}

func (r *journalReader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *journalReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		return 0, errTruncated
	case n < 0:
		return 0, errors.New("malformed number")
	}
	r.off += n
	return v, nil
}

func (r *journalReader) string(limit int) (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(limit) {
		return "", fmt.Errorf("string of %d bytes exceeds %d", n, limit)
	}
	if uint64(len(r.b)-r.off) < n {
		return "", errTruncated
	}
	s := string(r.b[r.off : r.off+int(n)])
	r.off += int(n)
	return s, nil
}

// name reads a path; "." is accepted only where root is true.
func (r *journalReader) name(root bool) (string, error) {
	s, err := r.string(fs.MaxPath)
	if err != nil {
		return "", err
	}
	if !fs.ValidName(s) || (s == "." && !root) {
		return "", fmt.Errorf("invalid path %q", s)
	}
	return s, nil
}

// nameFrom reads a path as the first bytes of prev it shares and the
// rest.
func (r *journalReader) nameFrom(prev string) (string, error) {
	shared, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if shared > uint64(len(prev)) {
		return "", fmt.Errorf("path shares %d bytes of the %d-byte path before it", shared, len(prev))
	}
	suffix, err := r.string(fs.MaxPath)
	if err != nil {
		return "", err
	}
	s := prev[:shared] + suffix
	if len(s) > fs.MaxPath || !fs.ValidName(s) {
		return "", fmt.Errorf("invalid path %q", s)
	}
	return s, nil
}

// witness is what the upper layer holds at one path once a host
// operation has happened: an entry (witnessPresent), none
// (witnessAbsent), or the entry with host inode number ino (witnessIno).
type witness struct {
	kind byte
	path string
	ino  uint64
}

// The kinds of witnesses.
const (
	witnessPresent = 'p'
	witnessAbsent  = 'n'
	witnessIno     = 'i'
)

// holds reports whether w holds in the upper layer upper.
func (w witness) holds(upper fs.FS) (bool, error) {
	st, err := upper.Lstat(w.path)
	if err != nil {
		switch fs.Errno(err) {
		case syscall.ENOENT, syscall.ENOTDIR:
			return w.kind == witnessAbsent, nil
		}
		return false, err
	}
	switch w.kind {
	case witnessPresent:
		return true, nil
	case witnessIno:
		return st.Ino == w.ino, nil
	}
	return false, nil
}

// record is one decoded journal record.
type record struct {
	op      byte
	name    string // the path of 's' and 'd', the old path of 'm'
	to      string // the new path of 'm'
	meta    meta   // of 's'
	witness        // of 'b'
}

// apply applies the record r, which changes the index, to ix.
func (r *record) apply(ix *index) {
	switch r.op {
	case opSet, opSetFrom:
		ix.set(r.name, r.meta)
	case opDel:
		ix.detach(r.name)
	case opMove:
		ix.move(r.name, r.to)
	}
}

// replayJournal applies the journal b to ix. held tells whether the
// witness of a group left open at the end holds; with held nil, no
// witness does. It returns the lower file system's identity the journal
// was made for, and the length of the part that holds whole records.
func replayJournal(b []byte, ix *index, held func(witness) (bool, error)) (lowerID string, end int, err error) {
	if !bytes.HasPrefix(b, []byte(journalMagic)) {
		return "", 0, &JournalError{Msg: "not an overlay journal"}
	}
	r := &journalReader{b: b, off: len(journalMagic)}
	fail := func(at int, err error) (string, int, error) {
		if errors.Is(err, errTruncated) {
			return "", 0, &JournalError{Offset: int64(at), Msg: "header is cut short"}
		}
		return "", 0, &JournalError{Offset: int64(at), Msg: err.Error()}
	}
	v, err := r.byte()
	if err != nil {
		return fail(r.off, err)
	}
	if v == 0 || v > journalVersion {
		return "", 0, &JournalError{Offset: int64(r.off - 1), Msg: fmt.Sprintf("version %d is not supported (want %d)", v, journalVersion)}
	}
	if lowerID, err = r.string(maxLowerID); err != nil {
		return fail(r.off, err)
	}
	var (
		open  *record  // the 'b' of the open group, nil if none
		group []record // the open group's records
		prev  string   // the path of the last set record
	)
	for end = r.off; r.off < len(b); end = r.off {
		rec, err := readRecord(r, prev)
		if errors.Is(err, errTruncated) {
			// A group is written whole before its host operation
			// starts: one cut short never got that far.
			open = nil
			break
		}
		if err == nil && (v < 2 && (rec.op == opBegin || rec.op == opCommit || rec.op == opAbort) || v < 3 && rec.op == opSetFrom) {
			err = fmt.Errorf("unknown record type %#x", rec.op)
		}
		if err == nil && (rec.op == opSet || rec.op == opSetFrom) {
			prev = rec.name
		}
		if err == nil {
			switch {
			case rec.op == opBegin && open != nil:
				err = errors.New("group begins inside a group")
			case (rec.op == opCommit || rec.op == opAbort) && open == nil:
				err = errors.New("end of a group that was not begun")
			}
		}
		if err != nil {
			return "", 0, &JournalError{Offset: int64(end), Msg: err.Error()}
		}
		switch rec.op {
		case opBegin:
			open, group = &rec, group[:0]
		case opCommit:
			for i := range group {
				group[i].apply(ix)
			}
			open = nil
		case opAbort:
			open = nil
		default:
			if open != nil {
				group = append(group, rec)
			} else {
				rec.apply(ix)
			}
		}
	}
	if open != nil && held != nil {
		ok, err := held(open.witness)
		if err != nil {
			return "", 0, fmt.Errorf("overlay metadata: checking %s: %w", open.witness.path, err)
		}
		if ok {
			for i := range group {
				group[i].apply(ix)
			}
		}
	}
	return lowerID, end, nil
}

// readRecord decodes the record at r; prev is the path of the last set
// record before it.
func readRecord(r *journalReader, prev string) (record, error) {
	op, err := r.byte()
	if err != nil {
		return record{}, err
	}
	rec := record{op: op}
	switch op {
	case opSet, opSetFrom:
		if op == opSet {
			rec.name, err = r.name(true)
		} else {
			rec.name, err = r.nameFrom(prev)
		}
		if err != nil {
			return rec, err
		}
		rec.meta, err = readMeta(r)
	case opDel:
		rec.name, err = r.name(false)
	case opMove:
		if rec.name, err = r.name(false); err != nil {
			return rec, err
		}
		if rec.to, err = r.name(false); err != nil {
			return rec, err
		}
		if strings.HasPrefix(rec.to+"/", rec.name+"/") {
			err = fmt.Errorf("move of %q into itself (%q)", rec.name, rec.to)
		}
	case opBegin:
		if rec.witness.kind, err = r.byte(); err != nil {
			return rec, err
		}
		switch rec.witness.kind {
		case witnessPresent, witnessAbsent, witnessIno:
		default:
			return rec, fmt.Errorf("unknown witness kind %#x", rec.witness.kind)
		}
		if rec.witness.path, err = r.name(false); err != nil {
			return rec, err
		}
		rec.witness.ino, err = r.uvarint()
	case opCommit, opAbort:
	default:
		err = fmt.Errorf("unknown record type %#x", op)
	}
	return rec, err
}

// readMeta decodes the metadata of a set record.
func readMeta(r *journalReader) (meta, error) {
	flags, err := r.byte()
	if err != nil {
		return meta{}, err
	}
	if flags&^flagsKnown != 0 {
		return meta{}, fmt.Errorf("unknown flags %#x", flags)
	}
	ino, err := r.uvarint()
	if err != nil {
		return meta{}, err
	}
	perm, err := r.uvarint()
	if err != nil {
		return meta{}, err
	}
	if perm > 0o7777 {
		return meta{}, fmt.Errorf("permission bits %#o out of range", perm)
	}
	typ, err := r.byte()
	if err != nil {
		return meta{}, err
	}
	if fs.Type(typ) > fs.TypeSocket {
		return meta{}, fmt.Errorf("unknown file type %d", typ)
	}
	redirect, err := r.string(fs.MaxPath)
	if err != nil {
		return meta{}, err
	}
	if redirect != "" && !fs.ValidName(redirect) {
		return meta{}, fmt.Errorf("invalid redirect %q", redirect)
	}
	return meta{
		whiteout: flags&flagWhiteout != 0,
		opaque:   flags&flagOpaque != 0,
		hasPerm:  flags&flagHasPerm != 0,
		ino:      ino,
		perm:     uint32(perm),
		typ:      fs.Type(typ),
		redirect: redirect,
	}, nil
}

// journalWriter encodes records.
type journalWriter struct {
	buf []byte
}

func (w *journalWriter) string(s string) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(s)))
	w.buf = append(w.buf, s...)
}

func (w *journalWriter) header(lowerID string) {
	w.buf = append(w.buf, journalMagic...)
	w.buf = append(w.buf, journalVersion)
	w.string(lowerID)
}

// set writes an 's' record of name's meta m.
func (w *journalWriter) set(name string, m meta) {
	w.buf = append(w.buf, opSet)
	w.string(name)
	w.meta(m)
}

// setFrom writes a 'p' record of name's meta m, name following prev.
func (w *journalWriter) setFrom(prev, name string, m meta) {
	shared := 0
	for shared < len(prev) && shared < len(name) && prev[shared] == name[shared] {
		shared++
	}
	w.buf = append(w.buf, opSetFrom)
	w.buf = binary.AppendUvarint(w.buf, uint64(shared))
	w.string(name[shared:])
	w.meta(m)
}

func (w *journalWriter) meta(m meta) {
	var flags byte
	if m.whiteout {
		flags |= flagWhiteout
	}
	if m.opaque {
		flags |= flagOpaque
	}
	if m.hasPerm {
		flags |= flagHasPerm
	}
	w.buf = append(w.buf, flags)
	w.buf = binary.AppendUvarint(w.buf, m.ino)
	w.buf = binary.AppendUvarint(w.buf, uint64(m.perm))
	w.buf = append(w.buf, byte(m.typ))
	w.string(m.redirect)
}

func (w *journalWriter) del(name string) {
	w.buf = append(w.buf, opDel)
	w.string(name)
}

func (w *journalWriter) move(old, name string) {
	w.buf = append(w.buf, opMove)
	w.string(old)
	w.string(name)
}

func (w *journalWriter) begin(wit witness) {
	w.buf = append(w.buf, opBegin, wit.kind)
	w.string(wit.path)
	w.buf = binary.AppendUvarint(w.buf, wit.ino)
}

// snapshot encodes ix as a whole journal: the header and one set record
// per node with metadata, in name order, each path given from the one
// before.
func snapshot(ix *index, lowerID string) []byte {
	w := &journalWriter{}
	w.header(lowerID)
	var names []string
	nodes := map[string]*node{}
	ix.root.walk(".", func(name string, n *node) {
		if n.meta != (meta{}) {
			names = append(names, name)
			nodes[name] = n
		}
	})
	slices.Sort(names)
	prev := ""
	for _, name := range names {
		w.setFrom(prev, name, nodes[name].meta)
		prev = name
	}
	return w.buf
}

// journal is the open journal file of an overlay directory, which it
// holds locked so that two processes cannot use one directory at once.
type journal struct {
	path    string
	lowerID string
	dir     *os.File // the overlay directory, flock'ed
	f       *os.File // the journal, opened for appending
	// size is the journal's length, compacted its length when it was
	// last rewritten.
	size, compacted int64
	// end is the record that ends the last group, opCommit or opAbort,
	// while it is not yet written: it goes out with the next records,
	// so that a group costs no more writes than a lone record.
	end byte
}

// compactSlack is how far a journal may grow past its last rewrite
// before it is rewritten: at least this, or three times its size then.
const compactSlack = 1 << 20

// openJournal locks dir and reads the journal at dir/name into ix. A
// missing journal is created for lowerID; an existing one must have been
// made for it. held tells whether the witness of a group that a crash
// left open holds (see replayJournal).
func openJournal(dir, name, lowerID string, ix *index, held func(witness) (bool, error)) (*journal, error) {
	if len(lowerID) > maxLowerID {
		return nil, fmt.Errorf("lower file system identity of %d bytes exceeds %d", len(lowerID), maxLowerID)
	}
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if err == unix.EWOULDBLOCK {
			return nil, fmt.Errorf("overlay directory %s is in use by another process", dir)
		}
		return nil, fmt.Errorf("locking overlay directory %s: %w", dir, err)
	}
	j := &journal{path: filepath.Join(dir, name), lowerID: lowerID, dir: d}
	b, err := readJournal(j.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		d.Close()
		return nil, err
	default:
		id, _, err := replayJournal(b, ix, held)
		if err != nil {
			d.Close()
			var je *JournalError
			if errors.As(err, &je) {
				je.Path = j.path
			}
			return nil, err
		}
		if id != lowerID {
			d.Close()
			return nil, fmt.Errorf("overlay directory %s was made over another file system (%q, not %q); "+
				"remove it or use another directory", dir, id, lowerID)
		}
	}
	return j, nil
}

// readJournal reads the journal file at p, refusing one too large.
func readJournal(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, int64(maxJournal)+1))
	if err == nil && len(b) > maxJournal {
		err = fmt.Errorf("overlay metadata %s is larger than %d MiB", p, maxJournal>>20)
	}
	return b, err
}

// rewrite replaces the journal with a snapshot of ix, atomically: the
// new journal is written and synced beside the old one and renamed over
// it. ix must hold every committed group, and no group be open.
func (j *journal) rewrite(ix *index) error {
	b := snapshot(ix, j.lowerID)
	tmp := j.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return err
	}
	if err := j.dir.Sync(); err != nil {
		return err
	}
	nf, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f = nf
	j.size, j.compacted = int64(len(b)), int64(len(b))
	j.end = 0
	return nil
}

// append writes the records in w, rewriting the whole journal from ix
// instead when it has grown enough. ix must already hold the records'
// changes.
func (j *journal) append(w *journalWriter, ix *index) error {
	if j.size+int64(len(w.buf)) > max(compactSlack, 4*j.compacted) {
		return j.rewrite(ix)
	}
	return j.write(w.buf)
}

// begin writes the records in w as a group with the witness wit, to be
// ended by end once the host operation is done. ix must not hold the
// group's changes yet; the journal is rewritten from it first when it
// has grown enough.
func (j *journal) begin(wit witness, w *journalWriter, ix *index) error {
	if j.size+int64(len(w.buf)) > max(compactSlack, 4*j.compacted) {
		if err := j.rewrite(ix); err != nil {
			return err
		}
	}
	g := &journalWriter{}
	g.begin(wit)
	g.buf = append(g.buf, w.buf...)
	return j.write(g.buf)
}

// finish ends the open group: committed if ok, aborted otherwise.
func (j *journal) finish(ok bool) {
	j.end = opAbort
	if ok {
		j.end = opCommit
	}
}

// write appends b, after the end of the last group if it is not written
// yet. A write cut short is undone, so that the records after it start
// where they should.
func (j *journal) write(b []byte) error {
	if j.end != 0 {
		b = append([]byte{j.end}, b...)
	}
	n, err := j.f.Write(b)
	if err != nil {
		if n > 0 {
			if terr := j.f.Truncate(j.size); terr != nil {
				return errors.Join(err, terr)
			}
		}
		return err
	}
	j.size += int64(n)
	j.end = 0
	return nil
}

// sync writes the end of the last group, if it is pending, and syncs
// the journal.
func (j *journal) sync() error {
	if j.end != 0 {
		if err := j.write(nil); err != nil {
			return err
		}
	}
	return j.f.Sync()
}

func (j *journal) close() error {
	var err error
	if j.f != nil {
		if j.end != 0 {
			err = j.write(nil)
		}
		err = errors.Join(err, j.f.Close())
	}
	return errors.Join(err, j.dir.Close())
}
