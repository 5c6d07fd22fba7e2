package wasi

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestArgsEnviron(t *testing.T) {
	tests := []struct {
		name       string
		sizes, get string
		list       []string
	}{
		{"args", "args_sizes_get", "args_get", []string{"prog", "", "two words", "ünï"}},
		{"environ", "environ_sizes_get", "environ_get", []string{"A=1", "B=", "PATH=/bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Args: tt.list}
			if tt.name == "environ" {
				cfg = Config{Env: tt.list}
			}
			k, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			e := &kernelEnv{t: t, k: k, mem: make(Memory, memSize), ctx: t.Context()}
			e.want(ESUCCESS, tt.sizes, resultPtr, resultPtr+4)
			count, size := e.u32(resultPtr), e.u32(resultPtr+4)
			wantSize := 0
			for _, s := range tt.list {
				wantSize += len(s) + 1
			}
			if int(count) != len(tt.list) || int(size) != wantSize {
				t.Fatalf("sizes: %d, %d", count, size)
			}
			e.want(ESUCCESS, tt.get, pathPtr, bufPtr)
			for i, s := range tt.list {
				p := e.u32(pathPtr + uint32(4*i))
				end := bytes.IndexByte(e.mem[p:], 0)
				if got := string(e.mem[p : int(p)+end]); got != s {
					t.Errorf("entry %d: %q, want %q", i, got, s)
				}
			}
			// Every pointer that reaches past memory is EFAULT, and
			// nothing is written when one of them is bad.
			e.want(EFAULT, tt.sizes, memSize-2, resultPtr)
			e.want(EFAULT, tt.sizes, resultPtr, memSize)
			e.want(EFAULT, tt.get, memSize-4, bufPtr)
			clear(e.mem[bufPtr:])
			e.want(EFAULT, tt.get, pathPtr, uint64(memSize-size+1))
			e.want(EFAULT, tt.get, 0xffff_ffff, bufPtr)
			if !bytes.Equal(e.mem[bufPtr:bufPtr+size], make([]byte, size)) {
				t.Error("a failed call wrote to memory")
			}
		})
	}
}

func TestNew_Errors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"NUL in an argument", Config{Args: []string{"a\x00b"}}},
		{"NUL in the environment", Config{Env: []string{"A=\x00"}}},
		{"preopen with nothing", Config{Preopens: []Preopen{{Name: "x"}}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
	e := newEnv(t)
	e.writeFile("file", "")
	for _, p := range []string{"/file", "/missing"} {
		if _, err := New(Config{Preopens: []Preopen{{Name: "x", NS: e.ns, Path: p}}}); err == nil {
			t.Errorf("preopen of %s succeeded", p)
		}
	}
}

func TestClocks(t *testing.T) {
	e := newEnv(t)
	for _, id := range []uint64{ClockRealtime, ClockMonotonic, ClockProcessCputimeID, ClockThreadCputimeID} {
		e.want(ESUCCESS, "clock_res_get", id, resultPtr)
		if res := e.u64(resultPtr); res == 0 || res > 1e9 {
			t.Errorf("clock %d: resolution %d", id, res)
		}
		e.want(ESUCCESS, "clock_time_get", id, 1, resultPtr)
		first := e.u64(resultPtr)
		e.want(ESUCCESS, "clock_time_get", id, 1, resultPtr)
		if second := e.u64(resultPtr); second < first {
			t.Errorf("clock %d went back: %d then %d", id, first, second)
		}
		e.want(EFAULT, "clock_res_get", id, memSize-4)
		e.want(EFAULT, "clock_time_get", id, 0, memSize-7)
	}
	e.want(ESUCCESS, "clock_time_get", ClockRealtime, 0, resultPtr)
	if now := e.u64(resultPtr); now < 1_600_000_000e9 {
		t.Errorf("realtime %d is before 2020", now)
	}
	e.want(EINVAL, "clock_res_get", 4, resultPtr)
	e.want(EINVAL, "clock_time_get", 4, 0, resultPtr)
}

func TestRandomGet(t *testing.T) {
	e := newEnv(t)
	e.want(ESUCCESS, "random_get", bufPtr, 64)
	if bytes.Equal(e.mem[bufPtr:bufPtr+64], make([]byte, 64)) {
		t.Error("random_get left the buffer zero")
	}
	e.want(ESUCCESS, "random_get", memSize, 0)
	e.want(EFAULT, "random_get", memSize-10, 11)
	e.want(EFAULT, "random_get", 1, 0xffff_ffff)

	k, err := New(Config{Random: iotest.ErrReader(errors.New("broken"))})
	if err != nil {
		t.Fatal(err)
	}
	e = &kernelEnv{t: t, k: k, mem: make(Memory, memSize), ctx: t.Context()}
	e.want(EIO, "random_get", bufPtr, 8)
}

func TestProcRaiseSchedYield(t *testing.T) {
	e := newEnv(t)
	e.want(ENOTSUP, "proc_raise", 9)
	e.want(ESUCCESS, "sched_yield")
}

func TestStdio(t *testing.T) {
	var out, errOut bytes.Buffer
	e := newEnvFS(t, newEnv(t).root, Config{Stdin: strings.NewReader("input data"), Stdout: &out, Stderr: &errOut})
	if got := e.read(0, 5); got != "input" {
		t.Errorf("stdin: %q", got)
	}
	// Several iovecs go out in one write.
	copy(e.mem[bufPtr:], "hello, world\n")
	iovs, n := e.iovecs(5, 0, 8)
	e.want(ESUCCESS, "fd_write", 1, iovs, n, resultPtr)
	if e.u32(resultPtr) != 13 || out.String() != "hello, world\n" {
		t.Errorf("stdout: %d %q", e.u32(resultPtr), out.String())
	}
	e.write(2, "oops")
	if errOut.String() != "oops" {
		t.Errorf("stderr: %q", errOut.String())
	}
	if got := e.read(0, 100); got != " data" {
		t.Errorf("stdin rest: %q", got)
	}
	if got := e.read(0, 100); got != "" {
		t.Errorf("stdin at EOF: %q", got)
	}
	// Standard streams have no offsets.
	e.want(ESPIPE, "fd_seek", 1, 0, WhenceSet, resultPtr)
	e.want(ESPIPE, "fd_tell", 0, resultPtr)
	e.want(ESPIPE, "fd_pread", 0, iovs, n, 0, resultPtr)
	e.want(ENOTCAPABLE, "fd_write", 0, iovs, n, resultPtr)
	e.want(ENOTCAPABLE, "fd_read", 1, iovs, n, resultPtr)
	e.want(ESUCCESS, "fd_fdstat_get", 1, resultPtr)
	if ft := Filetype(e.mem[resultPtr]); ft != FiletypeUnknown {
		t.Errorf("a buffer as stdout has filetype %d", ft)
	}
	if r := Rights(e.u64(resultPtr + 8)); r&(RightFdSeek|RightFdTell) != 0 || r&RightFdWrite == 0 {
		t.Errorf("stdout rights %#x", r)
	}
	e.want(ESUCCESS, "fd_filestat_get", 0, resultPtr)
	// A nil stdin reads as empty, a nil stdout discards.
	k, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	e2 := &kernelEnv{t: t, k: k, mem: make(Memory, memSize), ctx: t.Context()}
	if got := e2.read(0, 10); got != "" {
		t.Errorf("nil stdin: %q", got)
	}
	if n := e2.write(1, "x"); n != 1 {
		t.Errorf("nil stdout took %d bytes", n)
	}
}
