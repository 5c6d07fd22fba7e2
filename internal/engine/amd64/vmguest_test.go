package amd64

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"testing"

	"github.com/wasmvisor/wasmvisor/api"
	"github.com/wasmvisor/wasmvisor/internal/engine"
	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// testServer is a store.GuestServer for the guest routines' tests, and
// the state of the host functions they fall back to: descriptors 0 to 2
// open but 2 closed for fdstat's sake, 1 and 2 bufferable.
type testServer struct {
	args, env []string
	next      byte   // the random source: 1, 2, 3, …
	ahead     []byte // given back
	out       []write
	failed    bool
	flags     [6]uint16
	closed    [6]bool
	// listed holds the end of each directory's listing, once read from
	// cookie 0; endRead says which were read at or past it since.
	listed  [6]uint64
	endRead [6]bool
	// memory is the caller's memory, which the host functions use.
	memory *store.Memory
}

type write struct {
	fd   uint32
	data string
}

func (ts *testServer) Clocks() (uint64, uint64) { return 1, 2 }
func (ts *testServer) Args() []string           { return ts.args }
func (ts *testServer) Environ() []string        { return ts.env }
func (ts *testServer) Random(p []byte) error {
	n := copy(p, ts.ahead)
	ts.ahead = ts.ahead[n:]
	for i := n; i < len(p); i++ {
		ts.next++
		p[i] = ts.next
	}
	return nil
}
func (ts *testServer) UnreadRandom(p []byte) {
	ts.ahead = append(append([]byte(nil), p...), ts.ahead...)
}
func (ts *testServer) Buffered(fd uint32) bool { return (fd == 1 || fd == 2) && !ts.failed }
func (ts *testServer) WriteBuffered(_ context.Context, fd uint32, p []byte) error {
	ts.emit(fd, p)
	return nil
}

// The descriptors: 0 and 1 streams with the right to set flags, 2
// closed, 3 and 4 preopened directories (4's name longer than a VM
// publishes) without it, 5 a file, the rest closed. 3, 4 and 5 may be
// closed later; 3 lists 3 entries, 4 none.
func (ts *testServer) Fdstat(fd uint32) ([24]byte, uint16) {
	var st [24]byte
	if fd == 2 || fd > 5 || ts.closed[fd] {
		return st, 8 // EBADF
	}
	st[0] = byte(fd + 2)
	binary.LittleEndian.PutUint16(st[2:], ts.flags[fd])
	rights := uint64(0x1234_5678_9abc_def0) &^ (1 << 3)
	if fd < 2 {
		rights |= 1 << 3
	}
	binary.LittleEndian.PutUint64(st[8:], rights)
	return st, 0
}

func (ts *testServer) Prestat(fd uint32) (string, uint16) {
	switch {
	case fd < 6 && ts.closed[fd]:
		return "", 8
	case fd == 3:
		return "/sandbox", 0
	case fd == 4:
		return "/" + strings.Repeat("long", 20), 0
	}
	return "", 8
}

func (ts *testServer) SetFdflags(fd uint32, flags uint64) uint16 {
	st, errno := ts.Fdstat(fd)
	switch {
	case errno != 0:
		return errno
	case binary.LittleEndian.Uint64(st[8:])&(1<<3) == 0:
		return 76 // ENOTCAPABLE
	case flags&^0x1f != 0 || (uint16(flags)^ts.flags[fd])&0x1a != 0:
		return 28 // EINVAL
	}
	ts.flags[fd] = uint16(flags)
	return 0
}

func (ts *testServer) Closable(fd uint32) bool {
	_, errno := ts.Fdstat(fd)
	return errno == 0 && fd >= 3
}

func (ts *testServer) CloseLater(fd uint32) {
	if ts.Closable(fd) {
		ts.closed[fd] = true
	}
}

func (ts *testServer) DirEnd(fd uint32) uint64 {
	if _, errno := ts.Fdstat(fd); errno != 0 || fd != 3 && fd != 4 {
		return 0
	}
	return ts.listed[fd]
}

func (ts *testServer) DirRead(fd uint32) {
	if ts.DirEnd(fd) != 0 {
		ts.endRead[fd] = true
	}
}

// emit records a write, joined to the last if to the same descriptor:
// buffering changes how many writes there are, never what is written
// or in which order. Nothing written is no write, as in the kernel.
func (ts *testServer) emit(fd uint32, p []byte) {
	if len(p) == 0 {
		return
	}
	if n := len(ts.out); n > 0 && ts.out[n-1].fd == fd {
		ts.out[n-1].data += string(p)
		return
	}
	ts.out = append(ts.out, write{fd, string(p)})
}

// hostFuncs are the host functions the routines fall back to, with
// WASI's meaning, served from ts.
func (ts *testServer) hostFuncs() []store.HostFunc {
	const efault, ebadf = 21, 8
	i32 := wasm.ValueTypeI32
	mem := func(api.Module) []byte { return ts.memory.Bytes() }
	in := func(b []byte, off, n uint64) bool { return off+n <= uint64(len(b)) }
	strs := func(list []string, sizes bool) api.GoModuleFunc {
		return func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			size := 0
			for _, s := range list {
				size += len(s) + 1
			}
			p0, p1 := st[0], st[1]
			if sizes {
				if !in(b, p0, 4) || !in(b, p1, 4) {
					st[0] = efault
					return nil
				}
				binary.LittleEndian.PutUint32(b[p0:], uint32(len(list)))
				binary.LittleEndian.PutUint32(b[p1:], uint32(size))
				st[0] = 0
				return nil
			}
			if !in(b, p0, 4*uint64(len(list))) || !in(b, p1, uint64(size)) {
				st[0] = efault
				return nil
			}
			at := p1
			for i, s := range list {
				binary.LittleEndian.PutUint32(b[p0+4*uint64(i):], uint32(at))
				at += uint64(copy(b[at:], s))
				b[at] = 0
				at++
			}
			st[0] = 0
			return nil
		}
	}
	fn := func(name string, kind store.GuestKind, params []wasm.ValueType, f api.GoModuleFunc) store.HostFunc {
		return store.HostFunc{Export: name, Type: wasm.FuncType{Params: params, Results: vts(i32)}, Fn: f,
			Guest: store.Guest{Kind: kind, Server: func(api.Module) store.GuestServer { return ts }}}
	}
	return []store.HostFunc{
		fn("args_sizes_get", store.GuestArgsSizesGet, vts(i32, i32), strs(ts.args, true)),
		fn("args_get", store.GuestArgsGet, vts(i32, i32), strs(ts.args, false)),
		fn("environ_sizes_get", store.GuestEnvironSizesGet, vts(i32, i32), strs(ts.env, true)),
		fn("environ_get", store.GuestEnvironGet, vts(i32, i32), strs(ts.env, false)),
		fn("random_get", store.GuestRandomGet, vts(i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			if !in(b, st[0], st[1]) {
				st[0] = efault
				return nil
			}
			ts.Random(b[st[0] : st[0]+st[1]])
			st[0] = 0
			return nil
		}),
		fn("fd_write", store.GuestFdWrite, vts(i32, i32, i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			fd, iovs, n, nw := uint32(st[0]), st[1], st[2], st[3]
			if fd != 1 && fd != 2 {
				st[0] = ebadf
				return nil
			}
			if !in(b, iovs, 8*n) {
				st[0] = efault
				return nil
			}
			var data []byte
			for i := range n {
				p := uint64(binary.LittleEndian.Uint32(b[iovs+8*i:]))
				l := uint64(binary.LittleEndian.Uint32(b[iovs+8*i+4:]))
				if !in(b, p, l) {
					st[0] = efault
					return nil
				}
				data = append(data, b[p:p+l]...)
			}
			if !in(b, nw, 4) {
				st[0] = efault
				return nil
			}
			ts.emit(fd, data)
			binary.LittleEndian.PutUint32(b[nw:], uint32(len(data)))
			st[0] = 0
			return nil
		}),
		fn("fd_fdstat_get", store.GuestFdFdstatGet, vts(i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			stat, errno := ts.Fdstat(uint32(st[0]))
			switch {
			case errno != 0:
				st[0] = uint64(errno)
			case !in(b, st[1], 24):
				st[0] = efault
			default:
				copy(b[st[1]:], stat[:])
				st[0] = 0
			}
			return nil
		}),
		fn("fd_prestat_get", store.GuestFdPrestatGet, vts(i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			name, errno := ts.Prestat(uint32(st[0]))
			switch {
			case errno != 0:
				st[0] = uint64(errno)
			case !in(b, st[1], 8):
				st[0] = efault
			default:
				binary.LittleEndian.PutUint64(b[st[1]:], uint64(len(name))<<32)
				st[0] = 0
			}
			return nil
		}),
		fn("fd_prestat_dir_name", store.GuestFdPrestatDirName, vts(i32, i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			name, errno := ts.Prestat(uint32(st[0]))
			switch {
			case errno != 0:
				st[0] = uint64(errno)
			case st[2] < uint64(len(name)):
				st[0] = 37 // ENAMETOOLONG
			case !in(b, st[1], uint64(len(name))):
				st[0] = efault
			default:
				copy(b[st[1]:], name)
				st[0] = 0
			}
			return nil
		}),
		fn("fd_fdstat_set_flags", store.GuestFdFdstatSetFlags, vts(i32, i32), func(_ context.Context, m api.Module, st []uint64) error {
			st[0] = uint64(ts.SetFdflags(uint32(st[0]), st[1]))
			return nil
		}),
		fn("fd_close", store.GuestFdClose, vts(i32), func(_ context.Context, m api.Module, st []uint64) error {
			fd := uint32(st[0])
			if _, errno := ts.Fdstat(fd); errno != 0 {
				st[0] = uint64(errno)
				return nil
			}
			if fd < 6 {
				ts.closed[fd] = true
			}
			st[0] = 0
			return nil
		}),
		// A directory's listing: 3 entries of 24 bytes for 3, none for
		// 4, whose ends the listing records from cookie 0 on.
		fn("fd_readdir", store.GuestFdReaddir, vts(i32, i32, i32, wasm.ValueTypeI64, i32), func(_ context.Context, m api.Module, st []uint64) error {
			b := mem(m)
			fd, buf, n, cookie, used := uint32(st[0]), st[1], st[2], st[3], st[4]
			_, errno := ts.Fdstat(fd)
			switch {
			case errno != 0:
				st[0] = uint64(errno)
				return nil
			case fd != 3 && fd != 4:
				st[0] = 54 // ENOTDIR
				return nil
			case !in(b, buf, n) || !in(b, used, 4):
				st[0] = efault
				return nil
			}
			ents := uint64(0)
			if fd == 3 {
				ents = 3
			}
			if cookie == 0 {
				ts.listed[fd], ts.endRead[fd] = ents, false
			} else if ts.DirEnd(fd) != 0 && cookie >= ts.DirEnd(fd) {
				ts.endRead[fd] = true
			}
			w := uint64(0)
			for i := cookie; i < ents && w < n; i++ {
				for j := range min(24, n-w) {
					b[buf+w+j] = byte(i + 1)
				}
				w += min(24, n-w)
			}
			binary.LittleEndian.PutUint32(b[used:], uint32(w))
			st[0] = 0
			return nil
		}),
	}
}

// guestCall is one call of the script: the import's index and its
// arguments.
type guestCall struct {
	fn   uint32
	args []int32
}

// The imports of a guest script's module, by index.
const (
	argsSizes = iota
	argsGet
	envSizes
	envGet
	random
	fdWrite
	fdstat
	prestat
	prestatName
	setFlags
	fdClose
	fdReaddir
	guestImports
)

var guestImportNames = [guestImports]string{"args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
	"random_get", "fd_write", "fd_fdstat_get", "fd_prestat_get", "fd_prestat_dir_name", "fd_fdstat_set_flags",
	"fd_close", "fd_readdir"}

// guestParams are the numbers of parameters of the imports.
var guestParams = [guestImports]int{2, 2, 2, 2, 2, 4, 2, 2, 3, 2, 1, 5}

// guestI64Param is the parameter of fd_readdir that is an i64, the
// cookie; every other parameter is an i32.
const guestI64Param = 3

// guestBig is the length of the third iovec of a script's memory: more
// than a VM's write buffer holds.
const guestBig = 40000

// guestScriptModule returns a module whose "script" function makes the
// calls of script in order, storing the errno of call i at 60000+4i.
func guestScriptModule(t testing.TB, script []guestCall) *wasm.Module {
	var imports []timport
	for i, n := range guestImportNames {
		params := slices.Repeat(vts(vI32), guestParams[i])
		if i == fdReaddir {
			params[guestI64Param] = vI64
		}
		imports = append(imports, timport{"wasi", n, params, vts(vI32)})
	}
	var body [][]byte
	for i, c := range script {
		body = append(body, wi32(int32(60000+4*i)))
		for j, a := range c.args {
			if c.fn == fdReaddir && j == guestI64Param {
				body = append(body, wi64(int64(a)))
				continue
			}
			body = append(body, wi32(a))
		}
		body = append(body, wcall(c.fn), wmem(wasm.OpI32Store, 0))
	}
	return tmod{memory: &wasm.Limits{Min: 1}, imports: imports,
		funcs: []tfn{{name: "script", body: wcode(body...)}}}.build(t)
}

// prepareGuestMemory writes what a script's calls use: iovecs at 2000
// (over "hello, ", "world\n", "world\n", "to stderr\n", guestBig bytes
// at 4096 and 20 bytes past the end).
func prepareGuestMemory(b []byte) {
	put := func(at uint32, v uint32) { binary.LittleEndian.PutUint32(b[at:], v) }
	copy(b[2100:], "hello, ")
	copy(b[2200:], "world\n")
	copy(b[2300:], "to stderr\n")
	for i, v := range []uint32{2100, 7, 2200, 6, 2200, 6, 2300, 10, 4096, guestBig, 65536 - 10, 20} {
		put(2000+4*uint32(i), v)
	}
	for i := range guestBig {
		b[4096+i] = byte('a' + i%26)
	}
}

// runGuestScript runs m's script with e and returns the memory after,
// what was written, which listings were read at their ends and the
// exits.
func runGuestScript(t testing.TB, e *Engine, m *wasm.Module) ([]byte, []write, [6]bool, engine.ExitCounts) {
	s := store.New()
	ts := &testServer{args: []string{"prog", "-x", ""}, env: []string{"A=1", "PATH=/bin"}}
	hostInstance(t, s, "wasi", ts.hostFuncs()...)
	inst := compiledInstance(t, e, s, m, "test")
	ts.memory = inst.Memory()
	prepareGuestMemory(inst.Memory().Bytes())
	var stats engine.ExitStats
	ctx := engine.WithExitStats(context.Background(), &stats)
	if _, err := invoke(ctx, e, exported(t, inst, "script")); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(inst.Memory().Bytes()), ts.out, ts.endRead, stats.Counts()
}

// compareGuestScript runs script in-process and in a VM, checks that
// errnos, memory and output agree, and returns the VM's exits.
func compareGuestScript(t testing.TB, vmEngine *Engine, script []guestCall) engine.ExitCounts {
	m := guestScriptModule(t, script)
	want, wantOut, wantReads, _ := runGuestScript(t, New(Config{}), m)
	got, gotOut, gotReads, counts := runGuestScript(t, vmEngine, m)
	if gotReads != wantReads {
		t.Errorf("listings read at their end: %v in the VM, %v in-process", gotReads, wantReads)
	}
	for i := range script {
		at := 60000 + 4*i
		if g, w := binary.LittleEndian.Uint32(got[at:]), binary.LittleEndian.Uint32(want[at:]); g != w {
			t.Errorf("call %d %s%v: errno %d in the VM, %d in-process", i, guestImportNames[script[i].fn], script[i].args, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("memory of %d bytes in the VM, %d in-process", len(got), len(want))
	} else if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Errorf("memory differs first at %d: %d in the VM, %d in-process", i, got[i], want[i])
	}
	if !slices.Equal(gotOut, wantOut) {
		t.Errorf("output in the VM:\n%+v\nin-process:\n%+v", gotOut, wantOut)
	}
	return counts
}

// TestVMGuestRoutines runs a script of WASI calls that the guest serves,
// at the edges of what its routines serve themselves, in-process (every
// call through the host functions) and in a VM, and checks that memory,
// errnos and output agree, and that the VM's calls the routines should
// serve did not exit.
func TestVMGuestRoutines(t *testing.T) {
	const end = 65536
	script := []guestCall{
		{argsSizes, []int32{100, 104}},
		{argsGet, []int32{200, 300}},
		{envSizes, []int32{108, 112}},
		{envGet, []int32{400, 500}},
		{argsGet, []int32{200, end - 4}},   // the buffer past the end: EFAULT
		{argsSizes, []int32{end - 2, 104}}, // the count past the end
		{argsGet, []int32{600, 604}},       // the pointers overlap the strings
		{random, []int32{1000, 16}},
		{random, []int32{1016, 3}},
		{random, []int32{1100, 600}}, // more than the pool holds
		{random, []int32{1700, 8}},
		{random, []int32{end - 4, 8}}, // past the end
		{fdWrite, []int32{1, 2000, 2, 116}},
		{fdWrite, []int32{1, 2016, 1, 116}},
		{fdWrite, []int32{2, 2024, 1, 120}}, // another descriptor: the buffer goes first
		{fdWrite, []int32{1, 2032, 1, 124}}, // larger than the buffer
		{fdWrite, []int32{7, 2000, 1, 128}}, // not buffered: EBADF from the host
		{fdWrite, []int32{1, 2000, 1, end - 2}},
		{fdWrite, []int32{1, 2040, 1, 132}}, // an iovec past the end
		{fdWrite, []int32{1, 2000, 0, 136}}, // nothing
		{fdstat, []int32{0, 3000}},
		{fdstat, []int32{1, 3024}},
		{fdstat, []int32{2, 3048}},  // closed: EBADF
		{fdstat, []int32{40, 3072}}, // no record
		{fdstat, []int32{1, end - 8}},
		{fdWrite, []int32{2, 2000, 1, 140}},
		{prestat, []int32{3, 3100}},
		{prestatName, []int32{3, 3200, 64}},
		{prestatName, []int32{3, 3300, 3}}, // too short: ENAMETOOLONG
		{prestat, []int32{4, 3108}},        // a long name
		{prestatName, []int32{4, 3400, 200}},
		{prestat, []int32{5, 3116}}, // not a preopen: EBADF
		{prestat, []int32{6, 3124}}, // closed: EBADF
		{prestat, []int32{40, 3132}},
		{prestat, []int32{3, end - 4}},
		{prestatName, []int32{3, end - 4, 64}},
		{setFlags, []int32{1, 4}},  // nonblock
		{fdstat, []int32{1, 3500}}, // sees it
		{setFlags, []int32{0, 1}},  // append
		{setFlags, []int32{1, 2}},  // a sync flag: EINVAL
		{setFlags, []int32{1, 64}}, // an unknown flag: EINVAL
		{setFlags, []int32{3, 0}},  // no right: ENOTCAPABLE
		{setFlags, []int32{2, 0}},  // closed: EBADF
		{setFlags, []int32{40, 0}},
		{fdstat, []int32{0, 3524}},
		{fdWrite, []int32{1, 2000, 1, 144}},
		{fdReaddir, []int32{3, 4000, 200, 0, 148}},    // listed by the host
		{fdReaddir, []int32{3, 4000, 200, 3, 152}},    // at its end
		{fdReaddir, []int32{3, 4000, 200, 7, 156}},    // past it
		{fdReaddir, []int32{3, 4000, 200, 1, 160}},    // before it: the host
		{fdReaddir, []int32{3, end - 8, 200, 3, 164}}, // the buffer past the end
		{fdReaddir, []int32{3, 4000, 200, 3, end - 2}},
		{fdReaddir, []int32{4, 4000, 200, 0, 168}}, // an empty listing
		{fdReaddir, []int32{4, 4000, 200, 0, 172}},
		{fdReaddir, []int32{5, 4000, 200, 3, 176}}, // a file: ENOTDIR
		{fdReaddir, []int32{40, 4000, 200, 3, 180}},
		{fdClose, []int32{5}},
		{fdstat, []int32{5, 3600}}, // closed, as the guest sees it
		{fdClose, []int32{5}},      // again: EBADF from the host
		{fdReaddir, []int32{3, 4000, 200, 3, 184}},
		{fdClose, []int32{3}},
		{prestat, []int32{3, 3140}},
		{fdReaddir, []int32{3, 4000, 200, 3, 188}}, // closed: the host
		{fdClose, []int32{4}},
		{prestatName, []int32{4, 3400, 200}},
		{fdClose, []int32{1}}, // a stream: the host
		{fdClose, []int32{40}},
	}
	counts := compareGuestScript(t, vmEngine(t, 0), script)
	// Served in the guest: every call but those past the end, the
	// overlapping areas, the large random_get, the write to another
	// descriptor or larger than the buffer, the descriptors without
	// data, the reads of a listing before its end, the closes of
	// streams and of what is closed.
	wantExits := map[string]int64{
		"wasi.args_get": 2, "wasi.args_sizes_get": 1, "wasi.random_get": 2,
		"wasi.fd_write": 5, "wasi.fd_fdstat_get": 2,
		"wasi.fd_prestat_get": 3, "wasi.fd_prestat_dir_name": 3, "wasi.fd_fdstat_set_flags": 1,
		"wasi.fd_readdir": 9, "wasi.fd_close": 3,
	}
	for cause, n := range wantExits {
		if counts.ByCause[cause] != n {
			t.Errorf("%s: %d exits, want %d (all: %v)", cause, counts.ByCause[cause], n, counts.ByCause)
		}
	}
	if n := counts.ByCause["wasi.environ_get"] + counts.ByCause["wasi.environ_sizes_get"]; n != 0 {
		t.Errorf("the environment took %d exits", n)
	}
}

// FuzzVMGuestRoutines runs scripts of WASI calls spelled by the input,
// with parameters drawn towards the edges the routines check (small
// descriptors and lengths, the end of memory, the iovecs), in-process
// and in a VM, and checks that both give the same errnos, memory and
// output.
func FuzzVMGuestRoutines(f *testing.F) {
	f.Add([]byte{fdWrite, 0, 1, 2, 0xd0, 0, 2, 0, 116, random, 0, 200, 0, 16})
	f.Add([]byte{argsGet, 0, 60, 0, 64, envSizes, 0xff, 0xfe, 0, 4, setFlags, 0, 1, 0, 4, fdstat, 0, 1, 0, 100})
	f.Add([]byte{prestatName, 0, 3, 0xbf, 0xfc, 0, 64})
	f.Fuzz(func(t *testing.T, b []byte) {
		e := vmEngine(t, 0)
		var script []guestCall
		for len(b) > 0 && len(script) < 24 {
			fn := int(b[0]) % guestImports
			b = b[1:]
			args := make([]int32, guestParams[fn])
			for i := range args {
				var v uint16
				if len(b) >= 2 {
					v, b = uint16(b[0])<<8|uint16(b[1]), b[2:]
				}
				switch x := int32(v & 0x3fff); v >> 14 {
				case 0:
					args[i] = x % 12 // a descriptor, a count, a flag
					if x&0x1000 != 0 {
						args[i] = 28 + x%8 // descriptors about the last record
					}
				case 1:
					args[i] = 65536 - x%80 // near the end of memory
				case 2:
					args[i] = 2000 + x%64 // among the iovecs
				default:
					args[i] = x * 4 // anywhere in the first 64 KiB
				}
			}
			script = append(script, guestCall{uint32(fn), args})
		}
		compareGuestScript(t, e, script)
	})
}
