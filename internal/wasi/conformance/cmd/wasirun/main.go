// Command wasirun runs a WASI command module with wazero as the engine
// and internal/wasi as the kernel, taking wasmtime run's --dir and --env
// options. It checks the kernel against real programs while wasmvisor's
// own engine is not there to run them.
//
//	wasirun [--engine wazero|wasmvisor] [--dir HOST[::GUEST]]... [--env K[=V]]... FILE.wasm [ARGS...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmvisor/wasmvisor/internal/wasi"
	"github.com/wasmvisor/wasmvisor/internal/wasi/conformance"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var dirs, envs list
	engine := flag.String("engine", "wazero", "the engine: wazero or wasmvisor")
	flag.Var(&dirs, "dir", "map a host directory: HOST[::GUEST]")
	flag.Var(&envs, "env", "set K=V, or pass K from the host")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: wasirun [--dir HOST[::GUEST]]... [--env K[=V]]... FILE.wasm [ARGS...]")
		os.Exit(2)
	}
	runner := conformance.Run
	if *engine == "wasmvisor" {
		runner = conformance.RunWasmvisor
	}
	os.Exit(run(runner, dirs, envs, flag.Args()))
}

func run(runner func(context.Context, []byte, wasi.Config) (uint32, error), dirs, envs []string, args []string) int {
	bin, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasirun:", err)
		return 1
	}
	var specs []wasi.DirSpec
	for _, d := range dirs {
		s, err := wasi.ParseDirSpec(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wasirun:", err)
			return 2
		}
		specs = append(specs, s)
	}
	preopens, closeDirs, err := wasi.MountDirs(nil, specs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasirun:", err)
		return 1
	}
	defer closeDirs()
	var env []string
	for _, e := range envs {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue
			}
			e += "=" + v
		}
		env = append(env, e)
	}
	cfg := wasi.Config{
		Args:     append([]string{filepath.Base(args[0])}, args[1:]...),
		Env:      env,
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Preopens: preopens,
	}
	code, err := runner(context.Background(), bin, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wasirun:", err)
		return 128
	}
	return int(code)
}
