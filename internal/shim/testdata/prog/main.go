// Command prog is the program the shim's end-to-end tests run in
// containers, built for GOOS=wasip1 (and natively, for runc). Its first
// argument says what to do.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Println("hello from a Wasm container")
		return
	}
	switch args := os.Args[2:]; os.Args[1] {
	case "hello":
		fmt.Println("hello from a Wasm container")
	case "exit":
		n, _ := strconv.Atoi(args[0])
		os.Exit(n)
	case "echo":
		// The arguments and the variables the test named, one a line.
		fmt.Printf("args=%s\n", strings.Join(args, ","))
		for _, e := range os.Environ() {
			if strings.HasPrefix(e, "WV_") {
				fmt.Println(e)
			}
		}
	case "sleep":
		// Runs until stopped. (os/signal is left out: with it, Go's
		// wasip1 runtime keeps a thread busy.)
		fmt.Println("sleeping")
		for {
			time.Sleep(50 * time.Millisecond)
		}
	case "spin":
		fmt.Println("spinning")
		n := 0
		for {
			n++
		}
	case "write":
		if err := os.WriteFile(args[0], []byte(args[1]), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("wrote", args[0])
	case "stdin":
		// An optional pause first, for input that ends before the read.
		if len(args) > 0 {
			d, _ := time.ParseDuration(args[0])
			time.Sleep(d)
		}
		data, _ := io.ReadAll(os.Stdin)
		fmt.Printf("read %q\n", data)
	case "cat":
		data, err := os.ReadFile(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Stdout.Write(data)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
