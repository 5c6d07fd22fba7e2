package amd64

import (
	"context"
	"testing"

	"github.com/wasmvisor/wasmvisor/internal/store"
	"github.com/wasmvisor/wasmvisor/internal/wasm"
)

// TestInlinedGlobals checks that the globals the state block holds
// (Target.InlineGlobals) reach the store's records: when a call from Go
// ends, and, for an instance whose code ran in another instance's call,
// when a snapshot is taken.
func TestInlinedGlobals(t *testing.T) {
	e := New(Config{})
	s := store.New()
	// bump adds its argument to global 0, keeps twice that in global 1,
	// and returns global 0.
	counter := tmod{globals: 2, funcs: []tfn{{name: "bump", params: vts(vI32), results: vts(vI32),
		body: wcode(wgget(0), wget(0), wop(wasm.OpI32Add), wgset(0),
			wgget(0), wgget(0), wop(wasm.OpI32Add), wgset(1), wgget(0))}}}.build(t)
	if l := layoutOf(InProcess, counter); len(l.inlined) != 2 {
		t.Fatalf("%d globals inlined, want 2", len(l.inlined))
	}
	b := compiledInstance(t, e, s, counter, "b")
	if err := s.Register("b", b); err != nil {
		t.Fatal(err)
	}
	mark := b.MarkTables()
	got, err := invoke(context.Background(), e, exported(t, b, "bump"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 5 || b.Globals[0].Val != 5 || b.Globals[1].Val != 10 {
		t.Fatalf("bump(5) = %d, globals %d %d; want 5, 5 10", got[0], b.Globals[0].Val, b.Globals[1].Val)
	}

	// Another instance's call runs b's code: b's records wait for b's
	// own next call or a snapshot.
	a := compiledInstance(t, e, s, tmod{
		imports: []timport{{"b", "bump", vts(vI32), vts(vI32)}},
		funcs: []tfn{{name: "run", results: vts(vI32),
			body: wcode(wi32(7), wcall(0), wop(wasm.OpDrop), wi32(30), wcall(0))}},
	}.build(t), "a")
	if got, err = invoke(context.Background(), e, exported(t, a, "run")); err != nil {
		t.Fatal(err)
	}
	if got[0] != 42 {
		t.Fatalf("run() = %d, want 42", got[0])
	}
	snap, err := b.Capture(mark)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if snap.Globals[0].Val != 42 || snap.Globals[1].Val != 84 {
		t.Errorf("snapshot's globals %d %d, want 42 84", snap.Globals[0].Val, snap.Globals[1].Val)
	}
}
