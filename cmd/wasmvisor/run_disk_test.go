package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/disk/disktest"
	"github.com/wasmvisor/wasmvisor/internal/testshared"
)

// buildC compiles testdata/name.c with clang and wasi-libc. A missing
// compiler skips the test, or fails it in CI (WASMVISOR_SHARED set),
// where the tests must run.
func buildC(t testing.TB, name string) string {
	t.Helper()
	if _, err := exec.LookPath("clang-16"); err != nil {
		msg := "clang-16 not installed (Debian: apt-get install clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32)"
		if os.Getenv(testshared.EnvVar) != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command("clang-16", "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-o", out, filepath.Join("testdata", name+".c"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clang-16: %v\n%s", err, b)
	}
	return out
}

// runCLI runs `wasmvisor run args...` as the command line does and
// returns its exit status and output.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runMain(args, runIO{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookupEnv: os.LookupEnv})
	return code, stdout.String(), stderr.String()
}

// fileHashes hashes the files that make up a disk image.
func fileHashes(t testing.TB, files ...string) [][32]byte {
	t.Helper()
	var out [][32]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sha256.Sum256(b))
	}
	return out
}

// runUnchanged runs `wasmvisor run args...` and fails t if the files of
// the image changed.
func runUnchanged(t testing.TB, image []string, args ...string) (int, string, string) {
	t.Helper()
	before := fileHashes(t, image...)
	code, stdout, stderr := runCLI(t, args...)
	if !slices.Equal(before, fileHashes(t, image...)) {
		t.Fatalf("wasmvisor run %s changed the image", strings.Join(args, " "))
	}
	return code, stdout, stderr
}

// diskImage is an image of a tree in one of the formats --disk reads.
type diskImage struct {
	format string
	spec   string   // as given to --disk
	files  []string // the files that make it up
}

// diskImages builds an ext4 image of the tree at src with mkfs.ext4 -d,
// and converts it with qemu-img to every format --disk reads.
func diskImages(t testing.TB, src string, sizeMB int) []diskImage {
	t.Helper()
	disktest.Need(t, "mkfs.ext4", "qemu-img")
	dir := t.TempDir()
	raw := filepath.Join(dir, "root.img")
	disktest.MakeExt4(t, src, raw, sizeMB)
	images := []diskImage{{format: "raw", spec: raw, files: []string{raw}}}
	convert := func(format, name string, extra ...string) {
		p := filepath.Join(dir, name)
		disktest.Convert(t, raw, p, format, extra...)
		files, _ := filepath.Glob(strings.TrimSuffix(p, ".vmdk") + "*")
		images = append(images, diskImage{format: name, spec: p, files: files})
	}
	convert("qcow2", "root.qcow2")
	convert("vmdk", "flat.vmdk", "-o", "subformat=monolithicFlat")
	convert("vmdk", "sparse.vmdk", "-o", "subformat=monolithicSparse")
	return images
}

// TestRunDisk_Listing runs a program that walks / and hashes every file
// on an image of a tree, in every image format, and on the tree itself
// mapped with --dir: the listings (paths, types, sizes, hashes, link
// targets) must be the same, and the images unchanged.
func TestRunDisk_Listing(t *testing.T) {
	walk := buildC(t, "walk")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{ManyFiles: 3000})
	images := diskImages(t, src, 64)
	code, want, stderr := runCLI(t, "--dir", src+"::/", walk)
	if code != 0 {
		t.Fatalf("walking --dir: exit status %d\n%s", code, stderr)
	}
	if host := hostListing(t, src, "/"); want != host {
		t.Fatalf("the listing of --dir differs from the host's:\n%s", lineDiff(want, host))
	}
	for _, need := range []string{"d /many\n", "f /many/f2999 ", "f /sparse 8388608 ", "l /link-abs 11 -> /dir/nested\n", "f /ünïcødé-日本語.txt ", "d /dir/nested/deeper\n"} {
		if !strings.Contains(want, need) {
			t.Fatalf("the listing of --dir lacks %q", need)
		}
	}
	for _, img := range images {
		t.Run(img.format, func(t *testing.T) {
			t.Parallel()
			code, got, stderr := runUnchanged(t, img.files, "--disk", img.spec, walk)
			if code != 0 {
				t.Fatalf("exit status %d\n%s", code, stderr)
			}
			got = strings.Replace(got, "d /lost+found\n", "", 1)
			if got != want {
				t.Fatalf("listings differ:\n%s", lineDiff(got, want))
			}
		})
	}
}

// hostListing lists the host directory dir as testdata/walk.c lists the
// guest directory guest.
func hostListing(t *testing.T, dir, guest string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries { // sorted by name, as walk.c sorts
		p, g := filepath.Join(dir, e.Name()), strings.TrimSuffix(guest, "/")+"/"+e.Name()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case fi.IsDir():
			fmt.Fprintf(&b, "d %s\n%s", g, hostListing(t, p, g))
		case fi.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "f %s %d %x\n", g, fi.Size(), sha256.Sum256(data))
		case fi.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "l %s %d -> %s\n", g, fi.Size(), target)
		default:
			fmt.Fprintf(&b, "o %s\n", g)
		}
	}
	return b.String()
}

// lineDiff shows the lines only one of a and b has.
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "--disk only: "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "--dir only:  "+l)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("and %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

// TestRunDisk_WASITests runs the WASI test programs that take a root
// directory with that directory as an ext4 image given to --disk,
// instead of mapped with --dir. Their changes go to the overlay: the
// image must not change.
func TestRunDisk_WASITests(t *testing.T) {
	disktest.Need(t, "mkfs.ext4")
	images := map[string]string{} // root directory -> its image
	image := func(root string) string {
		if img, ok := images[root]; ok {
			return img
		}
		img := filepath.Join(t.TempDir(), "root.img")
		disktest.MakeExt4(t, root, img, 4, "-b", "1024")
		images[root] = img
		return img
	}
	ran := 0
	for _, prog := range testshared.WASIPrograms(t) {
		if prog.Root == "" {
			continue
		}
		ran++
		img := image(prog.Root)
		// Each runs with the overlay in memory and in a directory.
		for _, overlay := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/overlay-dir=%v", prog.Name, overlay), func(t *testing.T) {
				args := []string{"--disk", img}
				if overlay {
					args = append(args, "--disk-overlay", t.TempDir())
				}
				for _, kv := range prog.EnvList() {
					args = append(args, "--env", kv)
				}
				args = append(append(args, prog.Wasm), prog.Args...)
				code, stdout, stderr := runUnchanged(t, []string{img}, args...)
				if code != prog.ExitCode {
					t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, prog.ExitCode, stdout, stderr)
				}
				if prog.Stdout != nil && stdout != *prog.Stdout {
					t.Errorf("stdout %q, want %q", stdout, *prog.Stdout)
				}
			})
		}
	}
	if ran == 0 {
		t.Fatal("no WASI test program takes a root directory")
	}
}

// smallImage builds a raw ext4 image of the test tree without its large
// directory and returns its path.
func smallImage(t *testing.T) string {
	t.Helper()
	disktest.Need(t, "mkfs.ext4")
	src := t.TempDir()
	disktest.BuildTree(t, src, disktest.TreeOptions{})
	img := filepath.Join(t.TempDir(), "root.img")
	disktest.MakeExt4(t, src, img, 32)
	return img
}

// TestRunDisk_Overlay changes an image's files in one run with
// --disk-overlay and finds the changes in the next; without it, they are
// gone. Inode numbers survive copy-up and runs.
func TestRunDisk_Overlay(t *testing.T) {
	diskop := buildC(t, "diskop")
	img := smallImage(t)
	overlay := filepath.Join(t.TempDir(), "overlay")
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runUnchanged(t, []string{img}, append([]string{"--disk", img, "--disk-overlay", overlay, diskop}, args...)...)
		if code != 0 {
			t.Fatalf("exit status %d\n%s", code, stderr)
		}
		return stdout
	}
	first := run(
		"ino", "/hello.txt",
		"write", "/hello.txt", "changed",
		"ino", "/hello.txt",
		"mkdir", "/new",
		"write", "/new/file", "made in the first run",
		"rm", "/exec.sh",
		"mv", "/dir", "/moved",
		"symlink", "../hello.txt", "/new/link",
	)
	second := run(
		"cat", "/hello.txt",
		"ino", "/hello.txt",
		"cat", "/new/file",
		"cat", "/new/link",
		"cat", "/exec.sh",
		"ls", "/moved/nested/deeper",
		"cat", "/dir/nested/deeper/file.txt",
	)
	lines := strings.Split(first, "\n")
	if lines[0] != lines[2] || !strings.HasPrefix(lines[0], "ino /hello.txt: ") {
		t.Fatalf("inode changed on copy-up:\n%s", first)
	}
	want := "cat /hello.txt: changed\n" +
		lines[0] + "\n" +
		"cat /new/file: made in the first run\n" +
		"cat /new/link: changed\n" +
		"cat /exec.sh: error: No such file or directory\n" +
		"ls /moved/nested/deeper: file.txt\n" +
		"cat /dir/nested/deeper/file.txt: error: No such file or directory\n"
	if second != want {
		t.Fatalf("second run:\n%s\nwant\n%s\n(first run:\n%s)", second, want, first)
	}
	// Without an overlay directory, changes last for one run.
	code, stdout, stderr := runUnchanged(t, []string{img}, "--disk", img, diskop, "write", "/hello.txt", "x", "cat", "/hello.txt")
	if code != 0 || stdout != "write /hello.txt: ok\ncat /hello.txt: x\n" {
		t.Fatalf("in-memory overlay: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runUnchanged(t, []string{img}, "--disk", img, diskop, "cat", "/hello.txt")
	if code != 0 || stdout != "cat /hello.txt: hello, world\n\n" {
		t.Fatalf("next run without overlay: %d %q", code, stdout)
	}
}

// TestRunDisk_Paths checks path resolution inside an image: absolute
// symbolic links resolve against the image's root, ".." never leaves it,
// loops give ELOOP, and --dir maps a host directory over a path of the
// image.
func TestRunDisk_Paths(t *testing.T) {
	diskop := buildC(t, "diskop")
	img := smallImage(t)
	host := t.TempDir()
	if err := os.WriteFile(filepath.Join(host, "from-host"), []byte("host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runUnchanged(t, []string{img}, "--disk", img, "--dir", host+"::/dir/nested", diskop,
		"cat", "/link-abs/../../hello.txt",
		"cat", "/dir/up-abs",
		"cat", "/../hello.txt",
		"cat", "/loop1",
		"cat", "/self/x",
		"ls", "/dir/nested",
		"cat", "/link-abs/from-host",
		"write", "/dir/nested/new", "through the mapping",
		"ls", "/dir",
	)
	if code != 0 {
		t.Fatalf("exit status %d\n%s", code, stderr)
	}
	want := "cat /link-abs/../../hello.txt: hello, world\n\n" +
		"cat /dir/up-abs: error: Capabilities insufficient\n" +
		"cat /../hello.txt: error: Capabilities insufficient\n" +
		"cat /loop1: error: Symbolic link loop\n" +
		"cat /self/x: error: Symbolic link loop\n" +
		"ls /dir/nested: from-host\n" +
		"cat /link-abs/from-host: host file\n" +
		"write /dir/nested/new: ok\n" +
		"ls /dir: emoji-🙂 nested up up-abs with space\n"
	if stdout != want {
		t.Fatalf("got\n%s\nwant\n%s", stdout, want)
	}
	if b, err := os.ReadFile(filepath.Join(host, "new")); err != nil || string(b) != "through the mapping" {
		t.Fatalf("host file written through the mapping: %q, %v", b, err)
	}
}

func TestRunDisk_Errors(t *testing.T) {
	diskop := buildC(t, "diskop")
	img := smallImage(t)
	notExt4 := filepath.Join(t.TempDir(), "zeros.img")
	if err := os.WriteFile(notExt4, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(t.TempDir(), "overlay")
	if code, _, stderr := runCLI(t, "--disk", img, "--disk-overlay", overlay, diskop); code != 0 {
		t.Fatal(stderr)
	}
	other := filepath.Join(t.TempDir(), "other.img")
	disktest.MakeExt4(t, t.TempDir(), other, 4)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing image", []string{"--disk", "/nonexistent.img"}, "--disk: open /nonexistent.img: no such file or directory"},
		{"no file system", []string{"--disk", notExt4}, "neither an ext2/3/4 file system nor a partition table"},
		{"no such partition", []string{"--disk", img + ",part=2"}, "no partition table"},
		{"overlay of another image", []string{"--disk", other, "--disk-overlay", overlay}, "was made over another file system"},
		{"disk and dir at /", []string{"--disk", img, "--dir", t.TempDir() + "::/"}, `mount point "/" is already in use`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(tt.args, diskop, "ls", "/")...)
			if code != 1 || stdout != "" || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit status %d, stdout %q, stderr %q; want status 1 and an error saying %q", code, stdout, stderr, tt.want)
			}
		})
	}
}
