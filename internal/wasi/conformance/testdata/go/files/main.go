// Command files exercises the file system through Go's os package.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

func check(err error) {
	if err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
}

func main() {
	check(os.MkdirAll("/work/a/b", 0o755))
	check(os.WriteFile("/work/a/b/file.txt", []byte("contents\n"), 0o644))
	check(os.WriteFile("/work/a/top.txt", []byte("top\n"), 0o644))
	check(os.Symlink("b/file.txt", "/work/a/link"))
	check(os.Rename("/work/a/top.txt", "/work/a/b/moved.txt"))

	data, err := os.ReadFile("/work/a/link")
	check(err)
	fmt.Printf("through link: %q\n", data)

	mt := time.Unix(1234567890, 123456789)
	check(os.Chtimes("/work/a/b/file.txt", mt, mt))
	st, err := os.Stat("/work/a/b/file.txt")
	check(err)
	fmt.Println("mtime:", st.ModTime().UTC().Format(time.RFC3339Nano), "size:", st.Size())

	var paths []string
	check(filepath.WalkDir("/work", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, fmt.Sprintf("%s %v", p, d.Type()))
		return nil
	}))
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Println(p)
	}

	f, err := os.OpenFile("/work/a/b/file.txt", os.O_APPEND|os.O_WRONLY, 0)
	check(err)
	_, err = f.WriteString("more\n")
	check(err)
	check(f.Close())
	data, err = os.ReadFile("/work/a/b/file.txt")
	check(err)
	fmt.Printf("after append: %q\n", data)

	_, err = os.Stat("/work/missing")
	fmt.Println("missing is not exist:", os.IsNotExist(err))
	check(os.RemoveAll("/work/a"))
	entries, err := os.ReadDir("/work")
	check(err)
	fmt.Println("entries left:", len(entries))
	wd, _ := os.Getwd()
	fmt.Println("cwd:", wd)
}
