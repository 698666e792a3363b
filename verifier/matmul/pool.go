package matmul

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a fixed set of worker goroutines that share the work of one
// operation (MatMul, Quantize) at a time. Work is cut into items (row chunks,
// activation groups) dealt round-robin to the workers, an idle one taking
// the others' (job); which worker computes an item never changes its
// result, so outputs are bitwise identical for any thread count. A nil *Pool runs everything on the calling goroutine.
// Concurrent calls on one Pool are serialized.
//
// A forward pass issues thousands of operations per second, many of a few
// tens of microseconds, and waking a parked goroutine's thread costs about as
// much (a futex, and on a VM an idle vCPU's wake-up). So a worker that has
// finished a job keeps polling for the next one for spinTime before it
// parks, and the caller polls for the last items of a job before it blocks.
type Pool struct {
	mu      sync.Mutex // one operation at a time
	workers []*worker  // workers[0] runs on the calling goroutine
	helpers []*helper  // the other workers' goroutines
	cur     atomic.Pointer[job]
	done    chan struct{}
	act     Activations // scratch for MatMul, guarded by mu
}

// helper is one worker goroutine's hand-off state: state is active while it
// works or polls p.cur, parked while it waits on wake (whoever moves it from
// parked to active sends it the job).
type helper struct {
	w     *worker
	state atomic.Int32
	wake  chan *job // capacity 1
}

const (
	active = iota
	parked
)

// spinTime is how long an idle worker, or the caller waiting for the last
// items, polls before blocking: longer than the gaps between the operations
// of a layer, short enough that an idle session costs nothing.
const spinTime = 50 * time.Microsecond

// worker holds one goroutine's scratch buffers, grown on demand and reused.
type worker struct {
	id  int // index in Pool.workers
	pan panel
	it  i8Tile
	iw  i8TileW
	// sums is the matrix tile's scratch (i8TileW.c), here for the reason
	// codes is.
	sums [2 * chunkRows * 2 * lanes]int32
	ft   fTile
	fw   fTileW
	out  []float32 // tile outputs: [pairs][tile rows][2·lanes]
	// codes is the scratch block of activation quantization; a local
	// array would escape (it reaches assembly) and allocate per block.
	codes [256]byte
	// act holds the activations of Local.MatMul (products run serially
	// inside one work item of Pool.Run).
	act Activations
}

// job is one operation: items [0, n); left counts the items not yet
// finished, and whoever finishes the last one closes fin.
//
// Items are dealt round-robin: own[k] counts how many of worker k's items
// k, k+T, k+2T, … (T = len(own)) have been handed out. A worker takes its
// own in order, then the others' from their counters (so a late or slow
// worker's items are still done by whoever is free). Until that end each
// counter is touched by one core only: one shared counter, taken from
// every item, moved its cache line between the cores each time, which at
// 64 tokens (items of 2–3 µs) cost 2 threads a tenth of their speedup.
// Worker k's next item is then exactly k + T further on, the chunk the
// products prefetch (prefetchAhead).
type job struct {
	n    int
	left atomic.Int64
	fn   func(w *worker, item int)
	fin  chan struct{}
	own  []dealt
}

// dealt is one worker's hand-out counter, alone in its cache line.
type dealt struct {
	next atomic.Int64
	_    [56]byte
}

// NewPool starts threads-1 goroutines (the caller is the first worker). It
// panics if threads < 1. Close stops them.
func NewPool(threads int) *Pool {
	if threads < 1 {
		panic(fmt.Sprintf("matmul: NewPool(%d)", threads))
	}
	p := &Pool{done: make(chan struct{})}
	for i := range threads {
		w := &worker{id: i}
		p.workers = append(p.workers, w)
		if i == 0 {
			continue
		}
		h := &helper{w: w, wake: make(chan *job, 1)}
		p.helpers = append(p.helpers, h)
		go p.loop(h)
	}
	return p
}

// Threads returns the number of workers (1 for a nil Pool).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return len(p.workers)
}

// Close stops the worker goroutines. A closed Pool still works, on the
// calling goroutine only.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}

func (p *Pool) loop(h *helper) {
	var last *job
	for {
		j := p.await(h, last)
		if j == nil {
			return
		}
		last = j
		j.finish(j.work(h.w))
	}
}

// await returns the next job after last, polling for spinTime and then
// parking; nil once the pool is closed.
func (p *Pool) await(h *helper, last *job) *job {
	t0 := time.Now()
	for i := 1; ; i++ {
		if j := p.cur.Load(); j != last && j != nil {
			return j
		}
		if i%64 == 0 {
			if time.Since(t0) > spinTime {
				break
			}
			runtime.Gosched()
		}
	}
	h.state.Store(parked)
	// A job published before the Store may have found h active and not
	// been sent: look once more, and take it unless the caller has just
	// claimed h (then the job is on its way through wake).
	if j := p.cur.Load(); j != last && j != nil && h.state.CompareAndSwap(parked, active) {
		return j
	}
	select {
	case j := <-h.wake:
		return j
	case <-p.done:
		return nil
	}
}

// work runs items until none is left and returns how many it ran.
func (j *job) work(w *worker) int64 {
	var done int64
	t := len(j.own)
	for s := range t {
		k := (w.id + s) % t // its own items first, then the others'
		c := &j.own[k].next
		for {
			i := k + int(c.Add(1)-1)*t
			if i >= j.n {
				break
			}
			j.fn(w, i)
			done++
		}
	}
	return done
}

// finish records done finished items; the last one closes fin.
func (j *job) finish(done int64) {
	if done > 0 && j.left.Add(-done) == 0 {
		close(j.fin)
	}
}

// runLocked calls fn(w, i) for every i in [0, n) on the pool's workers and
// waits. The caller holds p.mu.
func (p *Pool) runLocked(n int, fn func(w *worker, i int)) {
	select {
	case <-p.done: // closed: the caller does all the work
		serialOn(p.workers[0], n, fn)
		return
	default:
	}
	if n == 1 || len(p.helpers) == 0 {
		serialOn(p.workers[0], n, fn)
		return
	}
	j := &job{n: n, fn: fn, fin: make(chan struct{}), own: make([]dealt, len(p.workers))}
	j.left.Store(int64(n))
	p.cur.Store(j)
	woken := 0
	for _, h := range p.helpers {
		if woken == n-1 {
			break
		}
		if h.state.CompareAndSwap(parked, active) {
			h.wake <- j
		}
		woken++ // an active helper polls p.cur and finds j itself
	}
	j.finish(j.work(p.workers[0]))
	t0 := time.Now()
	for i := 1; j.left.Load() != 0; i++ {
		if i%64 == 0 && time.Since(t0) > spinTime {
			<-j.fin
			break
		}
	}
}

// serialOn runs every item on w.
func serialOn(w *worker, n int, fn func(w *worker, i int)) {
	for i := range n {
		fn(w, i)
	}
}

// Local is the scratch of the worker running one item of Pool.Run: small
// matrix products inside the item run serially on it (Local.MatMul), so that
// many of them share one hand-out of work to the pool instead of paying a
// wake-up of every worker each.
type Local worker

// ID returns the index of the worker, in [0, Threads()): callers keep
// per-worker scratch of their own by it.
func (l *Local) ID() int { return l.id }

// MatMul is MatMul computed on the calling goroutine with l's scratch. Its
// result is bitwise the same as MatMul's with any Pool.
func (l *Local) MatMul(y []float32, w Matrix, x []float32, n int) {
	wk := (*worker)(l)
	wk.act.quantize(x, n, w.Cols, w.Type, wk.serial)
	matMulQ(y, w, &wk.act, wk.serial)
}

// serial is a runner that runs every item on w itself.
func (w *worker) serial(n int, fn func(w *worker, i int)) { serialOn(w, n, fn) }

// Run calls fn(l, i) for every i in [0, n) on the pool's workers (l is the
// scratch of the worker running item i) and waits. Items are dealt
// round-robin to the workers, and one that runs out takes the others': fn
// must compute each item's outputs from its inputs alone, so that results
// do not depend on the thread count. fn must not call methods of p (it holds p's lock). A nil
// Pool runs every item on the calling goroutine.
func (p *Pool) Run(n int, fn func(l *Local, i int)) {
	if n <= 0 {
		return
	}
	if p == nil {
		var w worker
		for i := range n {
			fn((*Local)(&w), i)
		}
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runLocked(n, func(w *worker, i int) { fn((*Local)(w), i) })
}
