package weights

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// Options tunes Compare. The zero value compares everything with all cores.
type Options struct {
	// Threads is the number of workers; 0 means GOMAXPROCS. The report does
	// not depend on it.
	Threads int
	// Progress, if set, is called after each chunk with the tensor bytes
	// done and the total to read (both files). Calls are serialized but come
	// from worker goroutines. total grows when a same-type tensor whose
	// bytes differ is read a second time to measure the difference.
	Progress func(done, total int64)
	// MaxTensors caps the number of tensors in either file; 0 means
	// DefaultMaxTensors. A file over the cap is an error, before anything
	// proportional to the count is allocated.
	MaxTensors int
	// StopAtFirstDifference ends the comparison at the first structural
	// difference or Changed tensor; the verdict is then DIFFERENT and the
	// tensors not yet compared are NotCompared.
	StopAtFirstDifference bool
}

// DefaultMaxTensors is far above any real model (a 70B llama has 723
// tensors; the largest mixture-of-experts GGUFs hold a few thousand) and
// keeps a hostile file's report to some megabytes.
const DefaultMaxTensors = 1 << 16

// limits sets the chunking. A full comparison holds nine float32 buffers
// of chunkElems and a byte buffer per worker (see scratch); the byte-wise
// fast path needs no buffer and takes larger chunks so its per-chunk
// overhead vanishes.
type limits struct {
	chunkElems int64 // a multiple of every block size (1, 32, 256)
	fastChunk  int   // bytes per chunk of the byte-wise comparison
	// wave bounds how many chunks' partial sums are held before they are
	// reduced (in order, for thread-count independence).
	wave int64
}

// defaultLimits: 8Ki elements make about 0.4 MB of buffers per worker,
// which stay in a core's L2 cache across the several passes a chunk takes
// (10% less CPU than 64Ki on fully differing tensors, the same on
// faithful ones; BenchmarkCompare).
var defaultLimits = limits{chunkElems: 1 << 13, fastChunk: 4 << 20, wave: 4096}

// Compare compares every tensor of b (the candidate) with the tensor of the
// same name in a (the reference) and returns the report with its verdict.
// An error means the comparison could not be done (bad options, too many
// tensors, a tensor the file cannot provide); differences are in the
// report, never errors.
func Compare(a, b *gguf.File, opt Options) (*Report, error) {
	return compare(a, b, opt, defaultLimits)
}

func compare(a, b *gguf.File, opt Options, lim limits) (*Report, error) {
	maxT := opt.MaxTensors
	if maxT == 0 {
		maxT = DefaultMaxTensors
	}
	switch {
	case opt.Threads < 0 || opt.MaxTensors < 0:
		return nil, fmt.Errorf("weights: negative option (Threads %d, MaxTensors %d)", opt.Threads, opt.MaxTensors)
	case len(a.Tensors) > maxT:
		return nil, fmt.Errorf("weights: %s: %d tensors, more than the limit %d", a.Path, len(a.Tensors), maxT)
	case len(b.Tensors) > maxT:
		return nil, fmt.Errorf("weights: %s: %d tensors, more than the limit %d", b.Path, len(b.Tensors), maxT)
	}
	rep := &Report{A: a.Path, B: b.Path}
	pairs, total, structural := rep.match(a, b)
	c := newComparer(a, b, opt, lim, total)
	stop := structural && opt.StopAtFirstDifference
	for _, p := range pairs {
		r := &rep.Tensors[p.res]
		if stop {
			r.Class = NotCompared
			rep.Stopped = true
			continue
		}
		if err := c.tensor(p.ta, p.tb, r); err != nil {
			return nil, err
		}
		rep.Bytes += r.Bytes
		stop = r.Class == Changed && opt.StopAtFirstDifference
	}
	rep.decide()
	return rep, nil
}

// pair is a tensor present in both files with the same shape.
type pair struct {
	res    int // index in Report.Tensors
	ta, tb *gguf.TensorInfo
}

// match fills rep.Tensors with A's tensors in order, then B's extra ones,
// classifying the structural differences. It returns the pairs to compare,
// their total size in bytes, and whether any structural difference exists.
func (rep *Report) match(a, b *gguf.File) (pairs []pair, total int64, structural bool) {
	rep.Tensors = make([]TensorResult, 0, len(a.Tensors)+len(b.Tensors))
	for i := range a.Tensors {
		ta := &a.Tensors[i]
		r := TensorResult{Name: ta.Name, TypeA: ta.Type.String(), DimsA: ta.Dims}
		tb, ok := b.Tensor(ta.Name)
		switch {
		case !ok:
			r.Class, r.Detail = Missing, "not in B"
		case !sameShape(ta.Dims, tb.Dims):
			r.Class, r.TypeB, r.DimsB = ShapeMismatch, tb.Type.String(), tb.Dims
			r.Detail = fmt.Sprintf("shape %v in A, %v in B", ta.Dims, tb.Dims)
		default:
			r.TypeB, r.DimsB = tb.Type.String(), tb.Dims
			pairs = append(pairs, pair{len(rep.Tensors), ta, tb})
			total += int64(ta.Size + tb.Size)
		}
		structural = structural || r.Class.Structural()
		rep.Tensors = append(rep.Tensors, r)
	}
	for i := range b.Tensors {
		tb := &b.Tensors[i]
		if _, ok := a.Tensor(tb.Name); !ok {
			structural = true
			rep.Tensors = append(rep.Tensors, TensorResult{Name: tb.Name, Class: Extra, TypeB: tb.Type.String(), DimsB: tb.Dims, Detail: "not in A"})
		}
	}
	return pairs, total, structural
}

// sameShape compares ggml shapes, in which trailing dimensions of 1 are
// implicit ([256] and [256 1] are the same tensor).
func sameShape(x, y []uint64) bool {
	trim := func(d []uint64) []uint64 {
		for len(d) > 1 && d[len(d)-1] == 1 {
			d = d[:len(d)-1]
		}
		return d
	}
	return slices.Equal(trim(x), trim(y))
}

// comparer holds the per-run state: the files, the workers' scratch
// buffers and the progress counter.
type comparer struct {
	a, b    *gguf.File
	threads int
	lim     limits
	scratch []*scratch // one per worker, allocated on first use

	progress    func(done, total int64)
	mu          sync.Mutex // guards done, total and calls to progress
	done, total int64
}

func newComparer(a, b *gguf.File, opt Options, lim limits, total int64) *comparer {
	threads := opt.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &comparer{a: a, b: b, threads: threads, lim: lim, scratch: make([]*scratch, threads), progress: opt.Progress, total: total}
}

// advance records n more bytes done and, if grow, n more to do.
func (c *comparer) advance(n int64, grow bool) {
	if c.progress == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if grow {
		c.total += n
	} else {
		c.done += n
	}
	c.progress(c.done, c.total)
}

// parallel runs f(worker, i) for i in [0, n) on up to c.threads workers and
// returns the errors joined.
func (c *comparer) parallel(n int, f func(worker, i int) error) error {
	workers := min(c.threads, n)
	if workers <= 1 {
		for i := range n {
			if err := f(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := f(w, int(i)); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tensor compares one pair of same-shape tensors into r.
func (c *comparer) tensor(ta, tb *gguf.TensorInfo, r *TensorResult) error {
	ab, bb := c.a.TensorData(ta), c.b.TensorData(tb)
	if ab == nil || bb == nil {
		return fmt.Errorf("weights: tensor %q: data outside the file", ta.Name)
	}
	// The hints only steer the page cache; a failure changes no result.
	_ = c.a.WillNeed(ta)
	_ = c.b.WillNeed(tb)
	defer func() {
		_ = c.a.DontNeed(ta)
		_ = c.b.DontNeed(tb)
	}()
	n := int64(ta.Elements())
	size := int64(len(ab) + len(bb))
	if ta.Type == tb.Type {
		r.Bytes = size
		if c.equal(ab, bb, ta.Type.TypeSize()) {
			r.Class, r.Blocks = Exact, n/int64(ta.Type.BlockSize())
			return nil
		}
	}
	if !quant.CanDequantize(ta.Type) || !quant.CanDequantize(tb.Type) {
		if ta.Type != tb.Type {
			c.advance(size, false) // counted in the total, never read
		}
		r.Class = Unsupported
		r.Detail = fmt.Sprintf("package quant cannot dequantize %s or %s", ta.Type, tb.Type)
		return nil
	}
	if ta.Type == tb.Type {
		c.advance(size, true) // read a second time below
	}
	cols := int64(1)
	if len(ta.Dims) > 0 {
		cols = max(int64(ta.Dims[0]), 1)
	}
	job := newChunkJob(ta.Type, tb.Type, cols)
	s, err := c.pass(job, ab, bb, n)
	r.Bytes += size
	if err != nil {
		return fmt.Errorf("weights: tensor %q: %w", ta.Name, err)
	}
	classify(r, &s, &job)
	return nil
}

// equal reports whether x and y (of equal length, blocks of ts bytes) are
// byte-identical, comparing chunks in parallel and stopping all workers at
// the first difference.
func (c *comparer) equal(x, y []byte, ts int) bool {
	if len(x) != len(y) {
		return false
	}
	step := max(c.lim.fastChunk/ts*ts, ts)
	n := (len(x) + step - 1) / step
	var differ atomic.Bool
	var skipped atomic.Int64
	c.parallel(n, func(_, i int) error {
		lo, hi := i*step, min((i+1)*step, len(x))
		if differ.Load() {
			skipped.Add(int64(2 * (hi - lo)))
			return nil
		}
		if !bytes.Equal(x[lo:hi], y[lo:hi]) {
			differ.Store(true)
		}
		c.advance(int64(2*(hi-lo)), false)
		return nil
	})
	if k := skipped.Load(); k > 0 {
		c.advance(k, false)
	}
	return !differ.Load()
}

// pass runs job over a tensor's chunks. Partial sums are reduced in chunk
// order, wave by wave.
func (c *comparer) pass(job chunkJob, ab, bb []byte, n int64) (sums, error) {
	tot := newSums()
	ce, wave := c.lim.chunkElems, c.lim.wave
	nChunks := (n + ce - 1) / ce
	parts := make([]sums, min(nChunks, wave))
	for w0 := int64(0); w0 < nChunks; w0 += wave {
		k := int(min(wave, nChunks-w0))
		err := c.parallel(k, func(w, i int) error {
			e0 := (w0 + int64(i)) * ce
			e1 := min(e0+ce, n)
			xa := ab[byteOff(job.tA, e0):byteOff(job.tA, e1)]
			xb := bb[byteOff(job.tB, e0):byteOff(job.tB, e1)]
			if c.scratch[w] == nil {
				c.scratch[w] = newScratch(int(ce))
			}
			s, err := job.run(c.scratch[w], xa, xb, int(e1-e0), e0)
			parts[i] = s
			c.advance(int64(len(xa)+len(xb)), false)
			return err
		})
		if err != nil {
			return tot, err
		}
		for i := range k {
			tot.add(&parts[i])
		}
	}
	return tot, nil
}

// byteOff is the byte offset of element e in a tensor of type t; e is a
// multiple of t's block size (chunk bounds are multiples of 256, and a
// tensor's element count is a multiple of its block size).
func byteOff(t quant.Type, e int64) int64 {
	return e / int64(t.BlockSize()) * int64(t.TypeSize())
}

// decide sets the counts, the verdict and the reason: the first tensor
// of the worst kind found decides.
func (rep *Report) decide() {
	rep.Counts = make(map[Class]int)
	first := map[Verdict]*TensorResult{}
	n := map[Verdict]int{}
	reencoded := false
	for i := range rep.Tensors {
		t := &rep.Tensors[i]
		rep.Counts[t.Class]++
		v := Faithful
		switch {
		case t.Class.Structural():
			v = Structural
		case t.Class == Changed:
			v = Different
		case t.Class == Unsupported:
			v = Inconclusive
		case t.Class == Requantized:
			v = OtherQuantization
		case t.Class == Exact:
			reencoded = reencoded || t.DiffBlocks > 0
			continue
		case t.Class == NotCompared:
			continue
		}
		n[v]++
		if first[v] == nil {
			first[v] = t
		}
	}
	for _, v := range []Verdict{Structural, Different, Inconclusive, OtherQuantization} {
		t := first[v]
		if t == nil {
			continue
		}
		rep.Verdict = v
		rep.Reason = fmt.Sprintf("tensor %q: %s: %s", t.Name, t.Class.Words(), t.Detail)
		if n[v] > 1 {
			rep.Reason += fmt.Sprintf(" (and %d more tensors)", n[v]-1)
		}
		if rep.Stopped {
			rep.Reason += " (stopped at the first difference)"
		}
		return
	}
	switch {
	case len(rep.Tensors) == 0:
		rep.Verdict, rep.Reason = Inconclusive, "no tensors to compare"
	case n[Faithful] == 0 && !reencoded:
		rep.Verdict = Identical
		rep.Reason = fmt.Sprintf("all %d tensors have identical bytes", len(rep.Tensors))
	default:
		rep.Verdict = Faithful
		rep.Reason = fmt.Sprintf("all %d tensors are identical or PoT's own requantization of A (%d requantized)", len(rep.Tensors), n[Faithful])
	}
}
