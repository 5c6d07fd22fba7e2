package clitest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/diskfs"
	"github.com/wasmvisor/wasmvisor/internal/fs"
)

// crashKills is how many times TestDiskOverlay_Kill kills wasmvisor by
// default; WASMVISOR_CRASH_KILLS sets another number, for a longer run.
const crashKills = 48

// TestDiskOverlay_Kill kills `wasmvisor run --disk-overlay` with SIGKILL
// at random points of a random script of copy-ups (appends to and times
// set on large image files), renames of files and directories, deletes,
// truncations and directory changes. After each kill the overlay must
// open, its tree must be the one after some operation of the script,
// or the one after the next (the operation that was cut short either
// happened or did not), and the image must be unchanged. The next run
// goes on from there; every few kills, or when a script is done, a new
// script starts on a new overlay directory, so that copy-ups of large
// files keep being cut short.
func TestDiskOverlay_Kill(t *testing.T) {
	kills := crashKills
	if s := os.Getenv("WASMVISOR_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			t.Fatalf("WASMVISOR_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	disktest.Need(t, "mkfs.ext4")
	prog := buildC(t, "crashops", "-O2", filepath.Join("testdata", "crashops.c"))
	img, initial, lower := crashImage(t)
	imgHash := fileHash(t, img)

	c := &crashRun{t: t, prog: prog, img: img, lower: lower, hashes: map[string]string{}}
	// One uncut run of a script tells how long a run takes, and so
	// where kills may land.
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 14))
	seed := r.Uint64()
	t.Logf("seed %d", seed)
	r = rand.New(rand.NewPCG(seed, 14))
	script, states := crashScript(r, initial)
	start := time.Now()
	if killed := c.run(filepath.Join(t.TempDir(), "overlay"), script, 0, 0); killed {
		t.Fatal("an uncut run was killed")
	}
	full := time.Since(start)
	t.Logf("a script of %d operations runs in %v", len(script), full)

	var (
		dir           string
		step, inEpoch int
		killed        int
		cut           = map[byte]int{} // the operations that kills cut short, by kind
	)
	for killed < kills {
		if dir == "" || step == len(script) || inEpoch == 6 {
			dir = filepath.Join(t.TempDir(), "overlay")
			script, states = crashScript(r, initial)
			step, inEpoch = 0, 0
		}
		delay := time.Duration(r.Int64N(int64(full)))
		wasKilled := c.run(dir, script, step, delay)
		if wasKilled {
			killed++
			inEpoch++
		} else {
			step = len(script)
		}
		tree := c.tree(dir)
		k := slices.IndexFunc(states[step:], func(s map[string]string) bool { return maps.Equal(c.expect(s), tree) })
		if k < 0 {
			near, diff := step, ""
			for j := step; j < len(states); j++ {
				if d := c.diff(states[j], tree); diff == "" || strings.Count(d, "\n") < strings.Count(diff, "\n") {
					near, diff = j, d
				}
			}
			t.Fatalf("after %d kills: the overlay %s holds the tree of no state of the script from operation %d on;\n"+
				"the nearest is the one after %d operations, which differs:\n%s\nthe script from operation %d on: %q",
				killed, dir, step, near, diff, step, script[step:])
		}
		step += k
		if wasKilled && step < len(script) {
			cut[script[step][0]]++ // the operation after the state found is the one cut short, or the next to start
		}
		if fileHash(t, img) != imgHash {
			t.Fatalf("after %d kills: the image changed", killed)
		}
	}
	t.Logf("%d kills; the operations cut short: %d appends, %d truncations, %d copy-ups by times, %d renames, %d deletes, %d mkdirs, %d rmdirs",
		killed, cut['a'], cut['w'], cut['t'], cut['r'], cut['u'], cut['m'], cut['d'])
}

// crashRun runs the crashops program over an image.
type crashRun struct {
	t      *testing.T
	prog   string
	img    string
	lower  map[string][]byte // the image's files' contents, by guest path
	hashes map[string]string // content hashes by content key
	tails  map[string]string // the last bytes of each file tree saw last, for messages
}

// run runs the script from operation step on with the overlay directory
// dir, killing the process after delay if that is not 0, and reports
// whether the kill ended it.
func (c *crashRun) run(dir string, script []string, step int, delay time.Duration) bool {
	c.t.Helper()
	args := append([]string{"run", "--disk", c.img, "--disk-overlay", dir, c.prog, strconv.Itoa(step)}, script...)
	cmd := exec.Command(wasmvisorBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	if delay > 0 {
		timer := time.AfterFunc(delay, func() { cmd.Process.Kill() })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return true
	}
	if err != nil {
		c.t.Fatalf("wasmvisor run from operation %d: %v\n%s", step, err, stderr.String())
	}
	return false
}

// tree opens the overlay directory dir over the image, as the next run
// would, and returns what it holds: "d" for each directory, the hash of
// the contents for each file, by guest path.
func (c *crashRun) tree(dir string) map[string]string {
	c.t.Helper()
	d, err := diskfs.Open(c.img, diskfs.Options{OverlayDir: dir})
	if err != nil {
		c.t.Fatalf("opening the overlay after a kill: %v", err)
	}
	defer d.Close()
	out := map[string]string{}
	c.tails = map[string]string{}
	var walk func(name string)
	walk = func(name string) {
		list, err := d.ReadDir(name)
		if err != nil {
			c.t.Fatalf("listing %s: %v", name, err)
		}
		for _, e := range list {
			p := fs.Join(name, e.Name)
			guest := "/" + p
			switch e.Type {
			case fs.TypeDir:
				out[guest] = "d"
				walk(p)
			case fs.TypeRegular:
				out[guest] = c.hashFile(d, p, guest)
			default:
				out[guest] = e.Type.String()
			}
		}
	}
	walk(".")
	return out
}

func (c *crashRun) hashFile(d fs.FS, name, guest string) string {
	c.t.Helper()
	f, err := d.Open(name, fs.OpenRead, 0)
	if err != nil {
		c.t.Fatalf("opening %s: %v", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		c.t.Fatal(err)
	}
	b := make([]byte, st.Size)
	if n, err := f.ReadAt(b, 0); n < len(b) {
		c.t.Fatalf("reading %s: %v", name, err)
	}
	c.tails[guest] = string(b[max(len(b)-40, 0):])
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// expect returns the tree that the model state s describes, in the form
// tree gives.
func (c *crashRun) expect(s map[string]string) map[string]string {
	out := make(map[string]string, len(s))
	for p, v := range s {
		if v == "d" {
			out[p] = v
			continue
		}
		h, ok := c.hashes[v]
		if !ok {
			base, tail, _ := strings.Cut(v, "\x00")
			sum := sha256.Sum256(append(slices.Clip(c.lower[base]), tail...))
			h = hex.EncodeToString(sum[:])
			c.hashes[v] = h
		}
		out[p] = h
	}
	return out
}

// diff describes how tree differs from the model state s.
func (c *crashRun) diff(s, tree map[string]string) string {
	want := c.expect(s)
	var b strings.Builder
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if got, ok := tree[p]; !ok {
			fmt.Fprintf(&b, "missing %s\n", p)
		} else if got != want[p] {
			fmt.Fprintf(&b, "differs %s (model %q, tree %.80q)\n", p, strings.ReplaceAll(s[p], "\x00", "+"), c.tails[p])
		}
	}
	for _, p := range slices.Sorted(maps.Keys(tree)) {
		if _, ok := want[p]; !ok {
			fmt.Fprintf(&b, "extra %s\n", p)
		}
	}
	return b.String()
}

// crashImage builds the image the test runs on: large random files, so
// that copy-ups take long enough to be cut short, and a few small files
// and directories. It returns the image, the model state of its tree
// (see crashScript) and the contents of its files.
func crashImage(t *testing.T) (img string, state map[string]string, lower map[string][]byte) {
	src := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	lower = map[string][]byte{}
	state = map[string]string{"/lost+found": "d"}
	file := func(name string, size int) {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		lower["/"+name] = b
		state["/"+name] = "/" + name + "\x00"
	}
	for i := range 3 {
		file(fmt.Sprintf("big/b%d", i), (12-2*i)<<20)
	}
	for i := range 4 {
		file(fmt.Sprintf("small%d", i), 100*i)
	}
	file("dir/a", 5000)
	file("dir/sub/c", 10)
	file("dir/sub/d", 20)
	if err := os.Mkdir(filepath.Join(src, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/big", "/dir", "/dir/sub", "/empty"} {
		state[d] = "d"
	}
	img = filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 64)
	return img, state, lower
}

// crashScript makes a random script of operations for crashops that
// are valid in turn from the model state initial, and returns it with
// the state before each operation and after the last. A model state
// maps each guest path to "d" for a directory, or to a file's contents
// as the image file they start with (or "") and the bytes written after
// it, separated by a NUL.
func crashScript(r *rand.Rand, initial map[string]string) (script []string, states []map[string]string) {
	s := maps.Clone(initial)
	states = append(states, maps.Clone(s))
	names := 0
	pick := func(dirs bool, ok func(p string) bool) string {
		var list []string
		for p, v := range s {
			if (v == "d") == dirs && p != "/lost+found" && ok(p) {
				list = append(list, p)
			}
		}
		if len(list) == 0 {
			return ""
		}
		slices.Sort(list)
		return list[r.IntN(len(list))]
	}
	all := func(string) bool { return true }
	newName := func() string {
		dir := pick(true, all)
		if dir == "" || r.IntN(3) == 0 {
			dir = "/"
		}
		names++
		return path.Join(dir, fmt.Sprintf("n%d", names))
	}
	for len(script) < 60 {
		n := len(script) // the operation's number, which crashops writes
		var op string
		switch k := r.IntN(20); {
		case k < 6: // append, copying a large image file up first
			p := pick(false, func(p string) bool { return k < 3 || strings.HasPrefix(p, "/big/") })
			if p == "" {
				continue
			}
			op = "a:" + p
			s[p] += fmt.Sprintf("append %d\n", n)
		case k < 8:
			p := pick(false, all)
			if p == "" || r.IntN(2) == 0 {
				p = newName()
			}
			op = "w:" + p
			s[p] = "\x00"
		case k < 10:
			p := pick(false, all)
			if p == "" {
				continue
			}
			op = "t:" + p
		case k < 13:
			from := pick(false, all)
			if from == "" {
				continue
			}
			to := pick(false, func(p string) bool { return p != from })
			if to == "" || r.IntN(2) == 0 {
				to = newName()
			}
			op = "r:" + from + ":" + to
			s[to] = s[from]
			delete(s, from)
		case k < 14:
			from := pick(true, func(p string) bool { return p != "/" })
			if from == "" {
				continue
			}
			to := newName()
			if strings.HasPrefix(to, from+"/") {
				continue
			}
			op = "r:" + from + ":" + to
			for p, v := range maps.Clone(s) {
				if rest, ok := strings.CutPrefix(p, from); ok && (rest == "" || rest[0] == '/') {
					delete(s, p)
					s[to+rest] = v
				}
			}
		case k < 17:
			p := pick(false, all)
			if p == "" {
				continue
			}
			op = "u:" + p
			delete(s, p)
		case k < 19:
			p := newName()
			op = "m:" + p
			s[p] = "d"
		default:
			p := pick(true, func(p string) bool {
				for q := range s {
					if strings.HasPrefix(q, p+"/") {
						return false
					}
				}
				return true
			})
			if p == "" {
				continue
			}
			op = "d:" + p
			delete(s, p)
		}
		script = append(script, op)
		states = append(states, maps.Clone(s))
	}
	return script, states
}

// fileHash hashes the file at p.
func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestDiskOverlay_SparseCopyUp opens a 2 TiB sparse file of a 32 MiB
// image for appending under -W timeout=3s: the copy-up costs what the
// file stores, so the run takes well under the deadline, whether the
// copy goes to a directory (where it fits, and the append works) or to
// memory (where the file is too large: EFBIG at once).
func TestDiskOverlay_SparseCopyUp(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	prog := buildC(t, "crashops", "-O2", filepath.Join("testdata", "crashops.c"))
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "huge"))
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("head"), 0)
	if err := f.Truncate(2 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 32)
	tests := []struct {
		name    string
		overlay []string
		code    int
		stderr  string
	}{
		{"directory", []string{"--disk-overlay", filepath.Join(t.TempDir(), "overlay")}, 0, ""},
		{"memory", nil, 1, "File too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "-W", "timeout=3s", "--disk", img}, tt.overlay...), prog, "0", "a:/huge")
			start := time.Now()
			r := wasmvisor(t, proc{timeout: time.Minute}, args...)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("the run took %v", elapsed)
			}
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("%v\nwant exit status %d and %q", r, tt.code, tt.stderr)
			}
		})
	}
}
