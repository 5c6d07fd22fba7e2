// Command goprog exercises what Go programs built for GOOS=wasip1 ask of
// their runtime: arguments and environment, standard input and output,
// files and directories below the working directory, goroutines that
// sleep (poll_oneoff), and an exit status.
//
//	goprog STATUS WORKDIR
//
// It upper-cases its standard input to standard output, builds and lists
// a tree under WORKDIR, and exits with STATUS.
package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goprog STATUS WORKDIR")
		os.Exit(2)
	}
	status, _ := strconv.Atoi(os.Args[1])
	fmt.Println("GREETING:", os.Getenv("GREETING"))

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println(strings.ToUpper(in.Text()))
	}

	// Goroutines that sleep finish in the order of their sleeps.
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := 3; i > 0; i-- {
		wg.Go(func() {
			time.Sleep(time.Duration(i) * 20 * time.Millisecond)
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Println("woke in order:", order)

	if err := tree(os.Args[2]); err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "exiting with", status)
	os.Exit(status)
}

// tree creates files and directories under dir, changes them, and lists
// what is left.
func tree(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		return err
	}
	for i, name := range []string{"a/one.txt", "a/b/two.txt", "gone.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", i+1)), 0o644); err != nil {
			return err
		}
	}
	if err := os.Rename(filepath.Join(dir, "a/one.txt"), filepath.Join(dir, "a/b/one.txt")); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "gone.txt")); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "gone.txt")); !os.IsNotExist(err) {
		return fmt.Errorf("gone.txt: %v, want not exist", err)
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		size := ""
		if !d.IsDir() {
			size = fmt.Sprint(" ", info.Size())
		}
		fmt.Printf("%s %v%s\n", rel, d.IsDir(), size)
		return nil
	})
}
