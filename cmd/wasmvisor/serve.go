package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/wasmvisor/wasmvisor/internal/launch"
	"github.com/wasmvisor/wasmvisor/internal/serve"
)

func init() {
	register("serve", "run the multi-tenant daemon that stores modules and runs them over HTTP (see docs/SERVE.md)", func(args []string) int {
		return serveMain(args, os.Stdout, os.Stderr)
	})
}

// sizeFlag is a byte count flag written as -W sizes are (64MiB).
type sizeFlag struct{ n *int64 }

func (f sizeFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return "" // the default, which usage states
	}
	return fmt.Sprint(*f.n)
}

func (f sizeFlag) Set(s string) error {
	n, err := launch.ParseSize(s)
	if err != nil {
		return err
	}
	if n > 1<<62 {
		return errors.New("too large")
	}
	*f.n = int64(n)
	return nil
}

// serveMain implements `wasmvisor serve` and `wasmvisor serve tenant`.
func serveMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "tenant" {
		return tenantMain(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := serve.Config{}
	listen := fs.String("listen", "127.0.0.1:8080", "TCP address to serve on, `HOST:PORT`")
	fs.StringVar(&cfg.Data, "data", "", "`DIR` of the daemon's data: tenants, modules, compiled code (required)")
	fs.Var(&cfg.Isolation, "isolation", "`process|vm|auto`, how runs are separated from the daemon, unless a tenant requires one (default auto)")
	fs.Var(&cfg.Tier, "tier", "`compiled|interp`, how code runs (default: compiled where available)")
	fs.IntVar(&cfg.MaxRuns, "max-runs", 0, "most runs at once over all tenants, past which requests get 429 (default 4 per CPU)")
	fs.IntVar(&cfg.VMParallel, "vm-parallel", 0, "most runs executing in micro-VMs at once; admitted runs past it wait their turn; negative: no bound but --max-runs (default 1 per CPU)")
	fs.IntVar(&cfg.MaxCompiles, "max-compiles", 0, "most uploads compiled at once (default 1 per CPU)")
	fs.Var(sizeFlag{&cfg.MaxModuleBytes}, "max-module-size", "largest module accepted, whatever a tenant's policy allows (default 64MiB)")
	fs.Var(sizeFlag{&cfg.MaxBodyBytes}, "max-body-size", "largest body of a run or WAGI request (default 16MiB)")
	fs.Var(sizeFlag{&cfg.MaxOutputBytes}, "max-output", "what a run keeps of its stdout and of its stderr (default 1MiB)")
	fs.DurationVar(&cfg.Timeout, "timeout", serve.DefaultTimeout, "longest run, unless the tenant's policy or the request says less")
	fs.StringVar(&cfg.Images, "images", "", "`DIR` of disk images that runs may name (default: none)")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "how long runs in progress may take to finish on SIGINT or SIGTERM")
	level := fs.String("log-level", "info", "`level` of the logs: debug (every request), info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: wasmvisor serve --data DIR [options]\n"+
			"       wasmvisor serve tenant add|list|remove ... --data DIR\n\n"+
			"Serve tenants' WebAssembly modules over HTTP: upload, run as commands, and\n"+
			"run as the handlers of public routes (WAGI). See docs/SERVE.md.\n\nOptions:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if cfg.Data == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitUsage
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "wasmvisor serve: --log-level: %v\n", err)
		return exitUsage
	}
	cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	s, err := serve.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "wasmvisor serve: %v\n", err)
		return exitFailure
	}
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		s.Close()
		fmt.Fprintf(stderr, "wasmvisor serve: %v\n", err)
		return exitFailure
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Serve(ctx, l, *grace); err != nil {
		fmt.Fprintf(stderr, "wasmvisor serve: %v\n", err)
		return exitFailure
	}
	return 0
}

// tenantMain implements `wasmvisor serve tenant add|list|remove`.
func tenantMain(args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprintf(stderr, "usage: wasmvisor serve tenant add NAME --data DIR [-W key=value]... [--isolation vm|process|auto]\n"+
			"                               [--max-modules N] [--max-bytes SIZE] [--max-runs N]\n"+
			"       wasmvisor serve tenant list --data DIR\n"+
			"       wasmvisor serve tenant remove NAME --data DIR\n\n"+
			"add prints the tenant's bearer token as the last line of its output; only its\n"+
			"hash is kept. A running daemon sees changes within a second.\n\n"+
			"-W keys (as `wasmvisor run` takes them):\n%s", launch.KeysHelp())
		return exitUsage
	}
	if len(args) == 0 {
		return usage()
	}
	verb := args[0]
	fs := flag.NewFlagSet("tenant "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage() }
	data := fs.String("data", "", "`DIR` of the daemon's data")
	limits := launch.NewLimits()
	t := serve.Tenant{Quotas: serve.DefaultQuotas}
	if verb == "add" {
		fs.Var(limits, "W", "policy: `key=value` (repeatable)")
		fs.StringVar(&t.Isolation, "isolation", "", "isolation the tenant's runs require (default: the daemon's)")
		fs.IntVar(&t.Quotas.Modules, "max-modules", t.Quotas.Modules, "most modules stored (0: no bound)")
		fs.Var(sizeFlag{&t.Quotas.Bytes}, "max-bytes", "most bytes of modules stored (0: no bound)")
		fs.IntVar(&t.Quotas.Runs, "max-runs", t.Quotas.Runs, "most runs at once, past which requests get 429 (0: no bound)")
	}
	// Flags may come before or after NAME.
	var names []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		names, rest = append(names, fs.Arg(0)), fs.Args()[1:]
	}
	if *data == "" {
		return usage()
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "wasmvisor serve tenant %s: %v\n", verb, err)
		return exitFailure
	}
	switch {
	case verb == "add" && len(names) == 1:
		t.Name = names[0]
		t.Policy = limits.String()
		token, err := serve.AddTenant(*data, t)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "tenant %s added; its token (shown only now):\n%s\n", t.Name, token)
		return 0
	case verb == "remove" && len(names) == 1:
		if err := serve.RemoveTenant(*data, names[0]); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "tenant %s removed\n", names[0])
		return 0
	case verb == "list" && len(names) == 0:
		ts, err := serve.LoadTenants(*data)
		if err != nil {
			return fail(err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tISOLATION\tMODULES\tBYTES\tRUNS\tPOLICY")
		for _, t := range ts {
			iso := t.Isolation
			if iso == "" {
				iso = "(daemon's)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", t.Name, iso, t.Quotas.Modules, t.Quotas.Bytes, t.Quotas.Runs, t.Policy)
		}
		tw.Flush()
		return 0
	}
	return usage()
}
