package matmul

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Pool is a fixed set of worker goroutines that share the work of one
// operation (MatMul, Quantize) at a time. Work is cut into items (row chunks,
// activation groups) handed out in order from an atomic counter; which worker
// computes an item never changes its result, so outputs are bitwise identical
// for any thread count. A nil *Pool runs everything on the calling goroutine.
// Concurrent calls on one Pool are serialized.
type Pool struct {
	mu      sync.Mutex // one operation at a time
	workers []*worker  // workers[0] runs on the calling goroutine
	start   []chan *job
	done    chan struct{}
	act     Activations // scratch for MatMul, guarded by mu
}

// worker holds one goroutine's scratch buffers, grown on demand and reused.
type worker struct {
	id  int // index in Pool.workers
	pan panel
	it  i8Tile
	ft  fTile
	fw  fTileW
	out []float32 // [pairs][2][2·lanes]
	// codes is the scratch block of activation quantization; a local
	// array would escape (it reaches assembly) and allocate per block.
	codes [256]byte
	// act holds the activations of Local.MatMul (products run serially
	// inside one work item of Pool.Run).
	act Activations
}

type job struct {
	n    int
	next atomic.Int64
	fn   func(w *worker, item int)
	wg   sync.WaitGroup
}

// NewPool starts threads-1 goroutines (the caller is the first worker). It
// panics if threads < 1. Close stops them.
func NewPool(threads int) *Pool {
	if threads < 1 {
		panic(fmt.Sprintf("matmul: NewPool(%d)", threads))
	}
	p := &Pool{done: make(chan struct{})}
	for i := range threads {
		p.workers = append(p.workers, &worker{id: i})
		if i == 0 {
			continue
		}
		c := make(chan *job)
		p.start = append(p.start, c)
		go p.loop(p.workers[i], c)
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

func (p *Pool) loop(w *worker, c chan *job) {
	for {
		select {
		case j := <-c:
			j.work(w)
			j.wg.Done()
		case <-p.done:
			return
		}
	}
}

func (j *job) work(w *worker) {
	for {
		i := int(j.next.Add(1) - 1)
		if i >= j.n {
			return
		}
		j.fn(w, i)
	}
}

// runLocked calls fn(w, i) for every i in [0, n) on the pool's workers and
// waits. The caller holds p.mu.
func (p *Pool) runLocked(n int, fn func(w *worker, i int)) {
	j := &job{n: n, fn: fn}
	helpers := max(0, min(len(p.start), n-1))
	select {
	case <-p.done: // closed: the caller does all the work
		helpers = 0
	default:
	}
	j.wg.Add(helpers)
	for _, c := range p.start[:helpers] {
		c <- j
	}
	j.work(p.workers[0])
	j.wg.Wait()
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
func (w *worker) serial(n int, fn func(w *worker, i int)) {
	for i := range n {
		fn(w, i)
	}
}

// Run calls fn(l, i) for every i in [0, n) on the pool's workers (l is the
// scratch of the worker running item i) and waits. Items are handed out in
// order, one at a time, to whichever worker is free: fn must compute each
// item's outputs from its inputs alone, so that results do not depend on
// the thread count. fn must not call methods of p (it holds p's lock). A nil
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
