package aot

import (
	"crypto/sha256"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// sumPiece is the unit in which the checksums of precompiled files and
// cache entries hash their content: each piece of this size is hashed on
// its own, on every CPU, and the checksum covers the pieces' digests in
// order. A SHA-256 over one stream runs on one CPU at about 1.5 GB/s,
// and the Go compiler's precompiled file is 180 MB: its checksum was a
// tenth of a second of one CPU on every compile and every start.
const sumPiece = 4 << 20

// pieceDigests returns the SHA-256 of each sumPiece piece of the n bytes
// at off in r (the last piece may be shorter), one after the other,
// computed on up to GOMAXPROCS goroutines that read through buffers of
// their own: a large file is never held whole.
func pieceDigests(r io.ReaderAt, off, n int64) ([]byte, error) {
	return eachPiece(n, func() func(i int64, sum []byte) error {
		buf := make([]byte, min(n, verifyChunk))
		return func(i int64, sum []byte) error {
			h := sha256.New()
			start, end := i*sumPiece, min(n, (i+1)*sumPiece)
			for at := start; at < end; {
				k := min(int64(len(buf)), end-at)
				// A ReaderAt may report io.EOF with the bytes it
				// was asked for; only a short read fails.
				if got, err := r.ReadAt(buf[:k], off+at); int64(got) < k {
					if err == nil || err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return err
				}
				h.Write(buf[:k])
				at += k
			}
			h.Sum(sum[:0])
			return nil
		}
	})
}

// pieceDigestsOf is pieceDigests of b.
func pieceDigestsOf(b []byte) []byte {
	d, _ := eachPiece(int64(len(b)), func() func(i int64, sum []byte) error {
		return func(i int64, sum []byte) error {
			s := sha256.Sum256(b[i*sumPiece : min(int64(len(b)), (i+1)*sumPiece)])
			copy(sum, s[:])
			return nil
		}
	})
	return d
}

// eachPiece runs the digest of each piece of n bytes on up to GOMAXPROCS
// goroutines, each with the function newDigest made for it, which puts
// piece i's digest in sum, and returns the digests in order, or the
// first error.
func eachPiece(n int64, newDigest func() func(i int64, sum []byte) error) ([]byte, error) {
	pieces := (n + sumPiece - 1) / sumPiece
	sums := make([]byte, pieces*sha256.Size)
	var (
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	work := func() {
		digest := newDigest()
		for {
			i := next.Add(1) - 1
			if i >= pieces {
				return
			}
			if err := digest(i, sums[i*sha256.Size:(i+1)*sha256.Size]); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
				return
			}
		}
	}
	var wg sync.WaitGroup
	for range min(int64(runtime.GOMAXPROCS(0)), pieces) - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return sums, first
}
