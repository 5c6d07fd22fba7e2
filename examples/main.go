package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/wasmvisor/wasmvisor"
	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/wasip1"
)

// Small modules in the binary format.
const header = "\x00asm\x01\x00\x00\x00"

var (
	// (module (memory 4))
	memory4 = []byte(header + "\x05\x03\x01\x00\x04")
	// (module (import "env" "f" (func)))
	importsEnvF = []byte(header + "\x01\x04\x01\x60\x00\x00" + "\x02\x09\x01\x03env\x01f\x00\x00")
	// (module (func (result i32))): the body leaves no result.
	noResult = []byte(header + "\x01\x05\x01\x60\x00\x01\x7f" + "\x03\x02\x01\x00" + "\x0a\x04\x01\x02\x00\x0b")
	// (module (func (export "boom") unreachable))
	boom = []byte(header + "\x01\x04\x01\x60\x00\x00" + "\x03\x02\x01\x00" +
		"\x07\x08\x01\x04boom\x00\x00" + "\x0a\x05\x01\x03\x00\x00\x0b")
)

func main() {
	ctx := context.Background()
	if err := compileWithPolicy(ctx); err != nil {
		log.Fatal(err)
	}
	if err := matchErrors(ctx); err != nil {
		log.Fatal(err)
	}
	if err := useCache(ctx); err != nil {
		log.Fatal(err)
	}
	if err := runWASI(ctx); err != nil {
		log.Fatal(err)
	}
}

// useCache compiles a module in two runtimes that share a compilation
// cache: the second loads the machine code the first stored (on a
// tier that makes machine code; the interpreter's uses no cache).
func useCache(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "wasmvisor-cache")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cache, err := wasmvisor.NewCompilationCache(dir)
	if err != nil {
		return err
	}
	tier, err := wasmvisor.ParseTier("default")
	if err != nil {
		return err
	}
	for range 2 {
		r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Tier: tier, CompilationCache: cache})
		compiled, err := r.CompileModule(ctx, boom)
		if err != nil {
			return err
		}
		for _, exp := range compiled.Exports() {
			var def wasmvisor.ExportDefinition = exp
			fmt.Println("export:", def.Name, def.Kind)
		}
		r.Close(ctx)
	}
	var stats wasmvisor.CacheStats = cache.Stats()
	fmt.Println("the cache served what it stored:", stats.Hits == stats.Stores && stats.Damaged == 0)
	return nil
}

// compileWithPolicy compiles a module that needs 4 pages of memory
// under a policy that allows 1.
func compileWithPolicy(ctx context.Context) error {
	p := wasmvisor.DefaultPolicy()
	p.MaxMemoryPages = wasmvisor.LimitOf(1)
	p.Disabled = wasmvisor.FeatureSIMD
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{Policy: p, Tier: wasmvisor.TierDefault})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, memory4)
	var pe *wasmvisor.PolicyError
	if !errors.As(err, &pe) {
		return fmt.Errorf("compiling a 4-page memory under a 1-page limit: got %v, want a *wasmvisor.PolicyError", err)
	}
	fmt.Println("PolicyError:", pe)
	return nil
}

// matchErrors provokes each error the API documents and matches it.
func matchErrors(ctx context.Context) error {
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)

	_, err := r.CompileModule(ctx, []byte("\x00asm\x02\x00\x00\x00"))
	if fe, ok := errors.AsType[*wasmvisor.FormatError](err); ok {
		fmt.Println("FormatError at offset", fe.Offset)
	} else {
		return fmt.Errorf("a binary of version 2: got %v, want a *wasmvisor.FormatError", err)
	}

	_, err = r.CompileModule(ctx, noResult)
	if ve, ok := errors.AsType[*wasmvisor.ValidationError](err); ok {
		fmt.Println("ValidationError:", ve.Where, ve.Rule)
	} else {
		return fmt.Errorf("a function without its result: got %v, want a *wasmvisor.ValidationError", err)
	}

	compiled, err := r.CompileModule(ctx, importsEnvF)
	if err != nil {
		return err
	}
	for _, imp := range compiled.Imports() {
		var kind wasmvisor.ExternKind = imp.Kind
		fmt.Println("import:", imp.Module, imp.Name, kind)
	}
	_, err = r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{})
	if le, ok := errors.AsType[*wasmvisor.LinkError](err); ok && le.Kind == wasmvisor.ExternFunc {
		fmt.Println("LinkError:", le.Module+"."+le.Name, "unknown:", le.Unknown)
	} else {
		return fmt.Errorf("an import of nothing: got %v, want a *wasmvisor.LinkError", err)
	}

	mod, err := r.InstantiateModule(ctx, mustCompile(ctx, r, boom), wasmvisor.ModuleConfig{Name: "boom"})
	if err != nil {
		return err
	}
	_, err = mod.ExportedFunction("boom").Call(ctx)
	if trap, ok := errors.AsType[*api.Trap](err); ok && errors.Is(err, &api.Trap{Kind: api.TrapUnreachable}) {
		fmt.Println("Trap:", trap.Kind, "in", trap.Frames[0].Module)
	} else {
		return fmt.Errorf("unreachable: got %v, want an *api.Trap", err)
	}

	r.Close(ctx)
	if _, err := r.CompileModule(ctx, memory4); !errors.Is(err, wasmvisor.ErrRuntimeClosed) {
		return fmt.Errorf("compiling in a closed runtime: got %v, want ErrRuntimeClosed", err)
	}
	fmt.Println("ErrRuntimeClosed")
	return nil
}

func mustCompile(ctx context.Context, r *wasmvisor.Runtime, bin []byte) *wasmvisor.CompiledModule {
	c, err := r.CompileModule(ctx, bin)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

// runWASI runs testdata/cat.wasm (see cat.wat) on a disk image, with a
// host directory mounted over it at /data: the program reads one file
// from each. Then it runs it on a missing file, which makes it exit
// with 1: an *api.ExitError.
func runWASI(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "wasmvisor-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	image, err := makeImage(tmp)
	if err != nil {
		return err
	}
	disk, err := wasmvisor.OpenDiskImage(image, wasmvisor.DiskImageConfig{})
	if err != nil {
		return err
	}
	defer disk.Close()

	bin, err := os.ReadFile("testdata/cat.wasm")
	if err != nil {
		return err
	}
	r := wasmvisor.NewRuntime(ctx, wasmvisor.RuntimeConfig{})
	defer r.Close(ctx)
	wasip1.MustInstantiate(ctx, r)
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		return err
	}

	for _, args := range [][]string{{"cat", "etc/motd", "data/greeting.txt"}, {"cat", "missing"}} {
		var out bytes.Buffer
		mod, err := r.InstantiateModule(ctx, compiled, wasmvisor.ModuleConfig{
			Args:           args,
			DiskImage:      disk,
			Dirs:           []wasmvisor.DirMount{{Host: "testdata", Guest: "/data", ReadOnly: true}},
			Stdout:         &out,
			StartFunctions: []string{"_start"},
		})
		if exit, ok := errors.AsType[*api.ExitError](err); ok {
			fmt.Println("ExitError: code", exit.Code)
			continue
		}
		if err != nil {
			return err
		}
		fmt.Print(out.String())
		mod.Close(ctx)
	}
	return nil
}

// makeImage makes a raw ext4 image holding etc/motd, with mkfs.ext4.
func makeImage(dir string) (string, error) {
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "motd"), []byte("hello from the disk image\n"), 0o644); err != nil {
		return "", err
	}
	image := filepath.Join(dir, "disk.img")
	out, err := exec.Command("mkfs.ext4", "-q", "-F", "-O", "^has_journal", "-d", root, image, "1M").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("mkfs.ext4 (from e2fsprogs) made no disk image: %v\n%s", err, out)
	}
	return image, nil
}
