package main

// Each subcommand lives in its own file and registers itself in init.

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: run receives the arguments after its name
// and returns the process exit code.
type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	commands[name] = command{summary: summary, run: run}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: wasmvisor <command> [arguments]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun 'wasmvisor <command> -h' for a command's options.\n")
}

func main() {
	// WASI has no signals: a program writing to a closed pipe gets
	// EPIPE, as in wasmtime, instead of the runtime dying of SIGPIPE
	// without a word.
	signal.Ignore(syscall.SIGPIPE)
	stopProfile := startCPUProfile()
	code := Main(os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// Main runs the CLI with args (without the program name) and returns the
// exit code; tests call it directly.
func Main(args []string) int {
	if len(args) == 0 {
		usage()
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage()
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "wasmvisor: unknown command %q\n", args[0])
		usage()
		return 2
	}
	return cmd.run(args[1:])
}
