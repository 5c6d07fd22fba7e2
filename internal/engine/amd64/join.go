package amd64

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	asm "github.com/wasmvisor/wasmvisor/internal/asm/amd64"
	"github.com/wasmvisor/wasmvisor/internal/engine/ir"
)

// A piece is one function's machine code, assembled by a worker on an
// Asm of its own from offset 0, and what join needs to place it in the
// module's code: the references to code outside the function, the
// instructions it hands to Go, and its tables, all by offsets from the
// piece's start.
type piece struct {
	i        int // the defined function's index
	code     []byte
	chunk    *codeChunk // the chunk code was cut from, or nil
	fc       funcCode
	refs     []pieceRef
	slow     []slowInstr
	slowArgs []int
	err      error
}

// pieceRef is a rel32 field at at that must hold target - (at + 4) +
// add, where target is a defined function (>= 0) or one of the module's
// routines (refExitStub, refCopyRoutine, refFillRoutine, refSharedExit-k for
// sharedExitKeys[k]).
type pieceRef struct {
	at     int
	add    int32
	target int32
}

const (
	refExitStub    = -1
	refCopyRoutine = -2
	refFillRoutine = -3
	refSharedExit  = -4
)

// join translates m's functions on every CPU, each worker translating
// whole functions into pieces (IR and machine code, on its own Asm),
// and places the pieces in function order in g's Asm, which holds the
// module's routines already: placing a piece copies it and resolves
// its references, a small part of making it. The order keeps the code
// the same from run to run. arena is told of each function placed.
func (g *gen) join(arena *codeArena) error {
	workers := ir.Workers(g.m, runtime.GOMAXPROCS(0))
	switch {
	case traceInstr != nil:
		workers = 1 // the trace is told one function at a time
	case joinWorkers > 0:
		workers = joinWorkers
	}
	var (
		// The placing goroutine runs only when a worker's CPU lets it:
		// with a few pieces of room, the workers waited on it (a
		// quarter of a CPU-second of the Go compiler's compile). The
		// code the pieces hold is bounded by ahead, not by this room.
		pieces = make(chan *piece, 256)
		genErr error
		ahead  aheadOf
		chunks chunkPool
	)
	ahead.cond.L = &ahead.mu
	go func() {
		defer close(pieces)
		genErr = ir.EachOn(g.m, workers, func() func(i int, fn *ir.Func) error {
			w := &gen{t: g.t, m: g.m, l: g.l, fnLab: make([]*asm.Label, len(g.m.Codes))}
			// Pieces are cut from chunks, each reused once its pieces
			// are placed: a buffer a piece would give back to its
			// worker grows, and is garbage, many times more, and a
			// fresh chunk costs page faults and zeroing.
			var (
				cur   *codeChunk
				chunk []byte // the unused rest of cur
			)
			return func(i int, fn *ir.Func) error {
				if cap(chunk) < pieceChunk/8 {
					if cur != nil {
						chunks.release(cur)
					}
					cur = chunks.get()
					chunk = cur.buf[:0]
				}
				p := w.piece(i, fn, chunk)
				if p.err != nil {
					return p.err
				}
				if n := len(p.code); n > 0 && unsafe.SliceData(p.code) == unsafe.SliceData(chunk) {
					p.code = p.code[:n:n]
					chunk = chunk[n:n]
					p.chunk = cur
					cur.pending.Add(1)
				}
				if pieceDone != nil {
					if err := pieceDone(i); err != nil {
						return err
					}
				}
				ahead.add(p)
				pieces <- p
				return nil
			}
		}, ahead.stop)
	}()
	defer func() {
		// A panic here (a bug) must not leave the workers blocked on
		// a channel no one reads: they stop, and what they send is
		// drained before the panic goes on to generateInto.
		if r := recover(); r != nil {
			ahead.stop()
			for range pieces {
			}
			panic(r)
		}
	}()
	waiting := map[int]*piece{}
	next := 0
	// After an error the workers stop; what they sent is placed or left.
	for p := range pieces {
		waiting[p.i] = p
		for q := waiting[next]; q != nil; q = waiting[next] {
			delete(waiting, next)
			g.place(q)
			if q.chunk != nil {
				chunks.release(q.chunk)
			}
			arena.done(next, &g.funcs[next], g.a.Len())
			next++
			ahead.placed(q, next)
		}
	}
	if genErr != nil {
		return genErr
	}
	if next != len(g.m.Codes) {
		return fmt.Errorf("generating machine code: %d of %d functions were placed", next, len(g.m.Codes))
	}
	return nil
}

// joinWorkers, where set (by tests), is how many workers join uses,
// whatever the module's size; pieceDone, where set, is told of each
// piece made, and an error from it fails the function's translation.
var (
	joinWorkers int
	pieceDone   func(i int) error
)

// pieceChunk is the size of the buffers workers assemble pieces in; a
// function larger than what is left of one gets a buffer of its own.
// (A variable for the tests.)
var pieceChunk = 4 << 20

// codeChunk is a buffer of pieceChunk bytes that workers cut pieces
// from.
type codeChunk struct {
	buf []byte
	// pending counts the pieces cut from the chunk and not placed yet,
	// and one more while it is a worker's: the chunk is free at 0.
	pending atomic.Int32
}

// chunkPool keeps the chunks whose pieces were all placed, for workers
// to cut more pieces from: compiling the Go compiler then takes a few
// chunks rather than 26, already in the process and in the caches.
type chunkPool struct {
	mu   sync.Mutex
	free []*codeChunk
}

// get returns a free chunk, held by the worker that asked.
func (p *chunkPool) get() *codeChunk {
	p.mu.Lock()
	var c *codeChunk
	if n := len(p.free); n > 0 {
		c = p.free[n-1]
		p.free = p.free[:n-1]
	}
	p.mu.Unlock()
	if c == nil {
		c = &codeChunk{buf: make([]byte, 0, pieceChunk)}
	}
	c.pending.Store(1)
	return c
}

// release drops a hold on c: a worker's, or a piece's once placed. The
// last one frees it.
func (p *chunkPool) release(c *codeChunk) {
	if c.pending.Add(-1) == 0 {
		p.mu.Lock()
		p.free = append(p.free, c)
		p.mu.Unlock()
	}
}

// maxAhead bounds the code of the pieces that wait for an earlier one,
// still being made, before they can be placed: a function many times
// the size of the others (the Go compiler has some of megabytes) would
// otherwise let the other workers pile up the code of thousands. A
// worker past the bound waits; the next piece to place never does. (A
// variable for the tests.)
var maxAhead = 16 << 20

// aheadOf counts the code of the pieces made but not placed yet.
type aheadOf struct {
	mu      sync.Mutex
	cond    sync.Cond
	bytes   int
	next    int  // the index of the next piece to place
	stopped bool // the translation failed: nothing waits any more
}

// add waits, unless p is the next piece to place, until the pieces
// made ahead of it hold less than maxAhead bytes, and counts p's.
func (a *aheadOf) add(p *piece) {
	a.mu.Lock()
	for a.bytes >= maxAhead && p.i != a.next && !a.stopped {
		a.cond.Wait()
	}
	a.bytes += len(p.code)
	a.mu.Unlock()
}

// stop ends every wait in add: a piece that waits for one that failed
// would wait forever.
func (a *aheadOf) stop() {
	a.mu.Lock()
	a.stopped = true
	a.mu.Unlock()
	a.cond.Broadcast()
}

// placed says that p was placed and which piece is next.
func (a *aheadOf) placed(p *piece, next int) {
	a.mu.Lock()
	a.bytes -= len(p.code)
	a.next = next
	a.mu.Unlock()
	a.cond.Broadcast()
}

// piece translates defined function i, whose slot form is fn, on w, a
// worker's gen, assembling into buf's capacity.
func (w *gen) piece(i int, fn *ir.Func, buf []byte) (p *piece) {
	p = &piece{i: i}
	defer func() {
		if r := recover(); r != nil {
			p.err = fmt.Errorf("generating machine code for function %d: %v", fn.FuncIndex, r)
		}
	}()
	a := &w.a
	a.Reset()
	a.UseBuffer(buf[:0])
	w.exitStub = a.NewExternLabel()
	w.copyRoutine = a.NewExternLabel()
	w.fillRoutine = a.NewExternLabel()
	for k := range w.sharedExits {
		w.sharedExits[k] = a.NewExternLabel()
	}
	w.fnLab[i] = a.NewLabel()
	w.called = append(w.called[:0], uint32(i))
	w.slow, w.slowArgs = nil, nil
	w.cur = &p.fc
	// The return addresses are collected in the worker's buffer, which
	// grows to the largest function's, and kept in a chunk.
	p.fc.pcs = w.pcsBuf[:0]
	w.function(i, fn)
	w.pcsBuf = p.fc.pcs[:0]
	p.fc.pcs = w.pcsChunk.keep(p.fc.pcs)
	code, err := a.Finish()
	if err != nil {
		p.err = err
		return p
	}
	if p.fc.start != 0 {
		p.err = fmt.Errorf("generating machine code: function %d starts at %d of its piece", fn.FuncIndex, p.fc.start)
		return p
	}
	refs := w.refsBuf[:0]
	ref := func(l *asm.Label, target int32) {
		a.References(l, func(at int, add int32) {
			refs = append(refs, pieceRef{at: at, add: add, target: target})
		})
	}
	ref(w.exitStub, refExitStub)
	ref(w.copyRoutine, refCopyRoutine)
	ref(w.fillRoutine, refFillRoutine)
	for k, l := range w.sharedExits {
		ref(l, refSharedExit-int32(k))
	}
	for _, j := range w.called {
		if int(j) != i {
			ref(w.fnLab[j], int32(j))
		}
		w.fnLab[j] = nil
	}
	w.refsBuf = refs[:0]
	p.refs = w.refsChunk.keep(refs)
	p.code, p.slow, p.slowArgs = code, w.slow, w.slowArgs
	return p
}

// chunkOf is what is left of a worker's chunk of T, which keep cuts the
// tables of its pieces from: a slice of their own for each, grown from
// nothing by appends, made return addresses and references the most
// frequent allocations of a compile (a tenth of the Go compiler's 2.5
// million return addresses were copied more than once). A chunk is left
// to the collector once nothing holds its entries.
type chunkOf[T any] []T

// tableChunk is how many entries a chunkOf holds.
const tableChunk = 64 << 10

// keep returns a copy of s cut from the chunk, or nil if s is empty.
func (c *chunkOf[T]) keep(s []T) []T {
	if len(s) == 0 {
		return nil
	}
	if cap(*c)-len(*c) < len(s) {
		*c = make([]T, 0, max(tableChunk, len(s)))
	}
	at := len(*c)
	*c = append(*c, s...)
	return (*c)[at:len(*c):len(*c)]
}

// funcLabel returns defined function j's label: in a worker's gen, an
// extern label made on its first use in the function.
func (g *gen) funcLabel(j uint32) *asm.Label {
	l := g.fnLab[j]
	if l == nil {
		l = g.a.NewExternLabel()
		g.fnLab[j] = l
		g.called = append(g.called, j)
	}
	return l
}

// place appends p to the module's code and resolves its references.
func (g *gen) place(p *piece) {
	a := &g.a
	a.AlignTo(16)
	base := a.Len()
	a.Bind(g.fnLab[p.i])
	a.Raw(p.code...)
	for _, r := range p.refs {
		var l *asm.Label
		switch {
		case r.target >= 0:
			l = g.fnLab[r.target]
		case r.target == refExitStub:
			l = g.exitStub
		case r.target == refCopyRoutine:
			l = g.copyRoutine
		case r.target == refFillRoutine:
			l = g.fillRoutine
		default:
			l = g.sharedExits[refSharedExit-r.target]
		}
		a.Refer(l, base+r.at, r.add)
	}
	code := a.Bytes()
	for _, at := range p.slowArgs {
		field := code[base+at:]
		binary.LittleEndian.PutUint32(field, binary.LittleEndian.Uint32(field)+uint32(len(g.slow)))
	}
	g.slow = append(g.slow, p.slow...)
	fc := p.fc
	fc.start += uint32(base)
	fc.end += uint32(base)
	for k := range fc.pcs {
		fc.pcs[k].pc += uint32(base)
	}
	g.funcs[p.i] = fc
}
