// Package engine runs llama and qwen2 models (package model) in teacher-forced
// mode: given token sequences, it returns next-token log-probabilities at the
// positions asked for, all positions of a sequence in one prefill pass and
// several sequences batched so the heavy work is matrix × matrix.
//
// The forward pass (forward.go) is written once against a small Backend
// interface; the pure-Go CPU backend (cpu.go, matrix products in package
// matmul) lives here, and a Metal backend lives in package metalbridge,
// which this package never imports. Weights stay quantized and memory-mapped.
// Layer streaming (Options.Streaming) pushes all sequences through one layer
// at a time, prefetching the next layer and releasing the previous one, and
// then applies the output projection one vocabulary slice at a time, so a
// model larger than memory can still be scored.
//
// Determinism: on the CPU backend every output is bitwise identical for any
// thread count, any grouping of requests into batches and with or without
// streaming: each row is computed alone in a fixed order (tests check it).
// Log-softmax is computed in float64.
//
// Left out: sampling and incremental decoding (verification only needs
// prefill), KV caches across calls, F16 KV (llama.cpp's default; the
// references use F32 KV, and so do we), YaRN.
//
// Security stance: token ids, positions and lengths from callers are checked
// (ErrBadInput) before any buffer is sized by them; the model was validated
// by packages gguf and model. A model whose weights yield NaN or infinite
// logits gets an error, never a number.
package engine

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/matmul"
	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
)

// ErrBadInput marks an invalid request: an empty or too long sequence, a
// token id outside the vocabulary, a position outside its sequence.
var ErrBadInput = errors.New("engine: invalid input")

// Streaming selects layer streaming.
type Streaming int

const (
	// StreamAuto streams when the model file is larger than the memory budget.
	StreamAuto Streaming = iota
	// StreamOff keeps the whole model mapped and walks each batch through all layers.
	StreamOff
	// StreamOn always streams.
	StreamOn
)

// String returns "auto", "off" or "on".
func (s Streaming) String() string {
	switch s {
	case StreamOff:
		return "off"
	case StreamOn:
		return "on"
	}
	return "auto"
}

// ParseStreaming parses "auto", "on" or "off".
func ParseStreaming(s string) (Streaming, error) {
	switch s {
	case "auto", "":
		return StreamAuto, nil
	case "on":
		return StreamOn, nil
	case "off":
		return StreamOff, nil
	}
	return 0, fmt.Errorf("engine: streaming %q: want auto, on or off", s)
}

// DefaultMaxBatchTokens is the default number of token rows per forward
// batch: enough for matrix products to be compute-bound, small enough that
// the activations of qwen2.5-0.5B stay under 20 MB.
const DefaultMaxBatchTokens = 512

// Options configures a Session. The zero value is usable.
type Options struct {
	// Threads for the CPU backend; ≤ 0 means one per CPU.
	Threads int
	// Streaming mode; StreamAuto compares the file size with MemoryBudget.
	Streaming Streaming
	// MemoryBudget in bytes: StreamAuto streams when the file is larger, and
	// a batch whose activation buffers would exceed it is refused
	// (ErrBadInput), so a hostile file's dimensions cannot make the engine
	// allocate without bound. 0 means 3/4 of physical memory, or
	// defaultBudget if that is unknown (then auto never streams).
	MemoryBudget int64
	// MaxBatchTokens bounds the rows of one forward batch (a longer single
	// sequence still runs, alone); ≤ 0 means DefaultMaxBatchTokens.
	MaxBatchTokens int
	// Backend to run on; nil means a new CPU backend with Threads threads,
	// which the Session closes. A Backend passed in stays the caller's.
	Backend Backend
	// Yield, if set, is called after every layer of every batch: a
	// scheduler's throttle, which may sleep there, so that a long batch on
	// a big model does not run at full power between two challenges. It
	// must not call back into the Session.
	Yield func()
	// Meter, if set, measures the time spent in forward passes; sessions
	// may share one.
	Meter *Meter
}

// Session scores token sequences with one model. Its methods are safe for
// concurrent use but run one at a time.
type Session struct {
	mu        sync.Mutex
	m         *model.Model
	cfg       model.Config
	be        Backend
	ownsBE    bool
	w         *weights
	st        state
	rope      Rope
	attn      AttnShape
	streaming bool
	budget    int64 // bytes of activations a call may allocate
	maxBatch  int
	threads   int
	yield     func() // Options.Yield, or nil
	meter     *Meter // Options.Meter, or nil
}

// Load prepares a session over f, which must stay open until Close.
func Load(f *gguf.File, opt Options) (*Session, error) {
	m, err := model.New(f)
	if err != nil {
		return nil, err
	}
	c := m.Config
	if c.RopeDim > maxRopeDim {
		return nil, fmt.Errorf("engine: %s: rope dimension %d > %d: %w", f.Path, c.RopeDim, maxRopeDim, model.ErrUnsupported)
	}
	s := &Session{m: m, cfg: c, be: opt.Backend, maxBatch: opt.MaxBatchTokens, threads: opt.Threads, yield: opt.Yield, meter: opt.Meter}
	if s.threads <= 0 {
		s.threads = runtime.NumCPU()
	}
	if s.maxBatch <= 0 {
		s.maxBatch = DefaultMaxBatchTokens
	}
	if s.be == nil {
		s.be, s.ownsBE = NewCPU(s.threads), true
	}
	s.rope = Rope{Style: c.RopeStyle, Dim: c.RopeDim, HeadDim: c.HeadDim, Base: c.RopeBase, FreqScale: c.RopeFreqScale}
	if m.RopeFreqs != nil {
		if s.rope.FreqFactors, err = m.RopeFreqs.Float32s(); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.st.outRows = outRows(f.Size(), c.Vocab)
	s.attn = AttnShape{Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, Scale: float32(1 / math.Sqrt(float64(c.HeadDim)))}
	if s.w, err = newWeights(m, s.be); err != nil {
		s.Close()
		return nil, fmt.Errorf("engine: %s: %w", f.Path, err)
	}
	s.budget = opt.MemoryBudget
	phys := physicalMemory()
	if s.budget <= 0 {
		s.budget = phys / 4 * 3
	}
	switch opt.Streaming {
	case StreamOn:
		s.streaming = true
	case StreamAuto:
		s.streaming = s.budget > 0 && f.Size() > s.budget
	}
	if s.budget <= 0 {
		s.budget = defaultBudget
	}
	if s.streaming {
		rowBytes, err := quant.RowSize(m.Output.Type, int64(m.Output.Cols))
		if err == nil {
			err = s.sliceOutput(outSliceRows(rowBytes))
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("engine: %s: %w", f.Path, err)
		}
	}
	if need := activationBytes(&c, 1, 1, s.threads); need > s.budget {
		s.Close()
		return nil, fmt.Errorf("engine: %s: activations of one token need %d bytes, over the memory budget of %d: %w", f.Path, need, s.budget, model.ErrUnsupported)
	}
	return s, nil
}

// sliceOutput makes the output projection run in vocabulary slices of rows
// rows (streaming mode; see outputSliced).
func (s *Session) sliceOutput(rows int) error {
	if err := s.w.sliceOutput(s.m.Output, s.be, rows); err != nil {
		return err
	}
	s.st.sliceY = s.be.Alloc(s.st.outRows * min(rows, s.cfg.Vocab))
	return nil
}

// Close releases the backend if the session created it. The gguf.File stays
// the caller's.
func (s *Session) Close() error {
	if s.ownsBE && s.be != nil {
		err := s.be.Close()
		s.be = nil
		return err
	}
	return nil
}

// Config returns the model's hyper-parameters.
func (s *Session) Config() model.Config { return s.cfg }

// Model returns the model the session runs.
func (s *Session) Model() *model.Model { return s.m }

// Streaming reports whether the session streams layers.
func (s *Session) Streaming() bool { return s.streaming }

// Backend returns the backend's name.
func (s *Session) Backend() string { return s.be.Name() }

// Request is one sequence to score.
type Request struct {
	// Tokens fed to the model, tokens[0] at position 0.
	Tokens []int32
	// Positions i whose next-token distribution (after feeding
	// Tokens[0..i]) is wanted; any order, repeats allowed.
	Positions []int
	// IDs, if not nil, has one list per position: the token ids whose
	// log-probabilities are wanted there (Dist.IDLogProbs), e.g. a
	// reference's top-k ids, so a candidate is scored on the same buckets.
	IDs [][]int32
	// Full asks for the whole log-softmax at every position (Dist.Full).
	Full bool
}

// Dist is the next-token distribution at one scored position.
type Dist struct {
	// TopIDs are the topK most likely ids, by log-prob descending (ties:
	// smaller id first), and TopLogProbs their log-probabilities.
	TopIDs      []int32
	TopLogProbs []float32
	// TailLogProb is the log of the probability of every other id; -Inf if
	// there is none (topK = vocabulary) or it underflows (every other id
	// more than 87 nats below the most likely: exp is taken in float32).
	TailLogProb float32
	// IDLogProbs are the log-probs of Request.IDs at this position, and
	// IDTailLogProb the log of the mass of all ids not in that list (each
	// id counted once). Both only when Request.IDs is set.
	IDLogProbs    []float32
	IDTailLogProb float32
	// Full is the log-softmax over the whole vocabulary (Request.Full).
	Full []float32
}

// Score returns, for each request and each of its positions (in the
// request's order), the next-token distribution with the topK most likely
// ids (0 ≤ topK ≤ vocabulary size).
func (s *Session) Score(reqs []Request, topK int) ([][]Dist, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.validate(reqs, topK); err != nil {
		return nil, err
	}
	out := make([][]Dist, len(reqs))
	for r := range reqs {
		out[r] = make([]Dist, len(reqs[r].Positions))
	}
	sink := func(sr scoredRow, logits []float32) error {
		req := &reqs[sr.req]
		var ids []int32
		if req.IDs != nil {
			ids = req.IDs[sr.idx]
		}
		d, err := logSoftmax(logits, topK, ids, req.IDs != nil, req.Full)
		if err != nil {
			return fmt.Errorf("engine: request %d position %d: %w", sr.req, req.Positions[sr.idx], err)
		}
		out[sr.req][sr.idx] = d
		return nil
	}
	defer s.meter.begin()()
	if err := s.run(s.plan(reqs), sink); err != nil {
		return nil, err
	}
	return out, nil
}

// Logits returns the raw logits at every position of one sequence,
// [len(tokens)][vocab] row-major, row i after feeding tokens[0..i] (the
// layout of llama.cpp's logits with every position requested).
func (s *Session) Logits(tokens []int32) ([]float32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pos := make([]int, len(tokens))
	for i := range pos {
		pos[i] = i
	}
	reqs := []Request{{Tokens: tokens, Positions: pos}}
	if err := s.validate(reqs, 0); err != nil {
		return nil, err
	}
	V := s.cfg.Vocab
	out := make([]float32, len(tokens)*V)
	sink := func(sr scoredRow, logits []float32) error {
		if err := checkFinite(logits); err != nil {
			return fmt.Errorf("engine: position %d: %w", sr.idx, err)
		}
		copy(out[sr.idx*V:(sr.idx+1)*V], logits)
		return nil
	}
	defer s.meter.begin()()
	if err := s.run(s.plan(reqs), sink); err != nil {
		return nil, err
	}
	return out, nil
}

// validate checks every request against the model before anything is sized
// by them.
func (s *Session) validate(reqs []Request, topK int) error {
	V := s.cfg.Vocab
	if len(reqs) == 0 {
		return fmt.Errorf("%w: no requests", ErrBadInput)
	}
	if topK < 0 || topK > V {
		return fmt.Errorf("%w: topK %d outside [0, %d]", ErrBadInput, topK, V)
	}
	for r, req := range reqs {
		n := len(req.Tokens)
		switch {
		case n == 0:
			return fmt.Errorf("%w: request %d: no tokens", ErrBadInput, r)
		case n > s.cfg.ContextLength:
			return fmt.Errorf("%w: request %d: %d tokens exceed the context length %d", ErrBadInput, r, n, s.cfg.ContextLength)
		case len(req.Positions) == 0:
			return fmt.Errorf("%w: request %d: no positions to score", ErrBadInput, r)
		case req.IDs != nil && len(req.IDs) != len(req.Positions):
			return fmt.Errorf("%w: request %d: %d id lists for %d positions", ErrBadInput, r, len(req.IDs), len(req.Positions))
		}
		for i, t := range req.Tokens {
			if t < 0 || int(t) >= V {
				return fmt.Errorf("%w: request %d: token %d at index %d outside the vocabulary [0, %d)", ErrBadInput, r, t, i, V)
			}
		}
		for _, p := range req.Positions {
			if p < 0 || p >= n {
				return fmt.Errorf("%w: request %d: position %d outside the sequence [0, %d)", ErrBadInput, r, p, n)
			}
		}
		for i, ids := range req.IDs {
			for _, t := range ids {
				if t < 0 || int(t) >= V {
					return fmt.Errorf("%w: request %d: id %d for position %d outside the vocabulary [0, %d)", ErrBadInput, r, t, req.Positions[i], V)
				}
			}
		}
	}
	return nil
}

// plan groups consecutive requests into batches of at most maxBatch rows (a
// longer request forms a batch of its own).
func (s *Session) plan(reqs []Request) []*batch {
	var plan []*batch
	var b *batch
	for r, req := range reqs {
		n := len(req.Tokens)
		if b == nil || b.rows+n > s.maxBatch {
			b = &batch{}
			plan = append(plan, b)
		}
		start := b.rows
		b.reqs = append(b.reqs, r)
		b.spans = append(b.spans, Span{Start: start, Len: n})
		b.tokens = append(b.tokens, req.Tokens...)
		for i := range n {
			b.pos = append(b.pos, int32(i))
		}
		for idx, p := range req.Positions {
			b.scored = append(b.scored, scoredRow{row: start + p, req: r, idx: idx})
		}
		b.rows += n
	}
	return plan
}

// defaultBudget is the memory budget when physical memory is unknown.
const defaultBudget = 4 << 30

// activationBytes is an upper bound on the activation memory of a batch of
// rows token rows whose longest sequence has maxLen tokens: the per-row
// buffers of state, the fixed-size FFN and output chunks, and the CPU
// attention scratch (one per thread for short sequences).
func activationBytes(c *model.Config, rows, maxLen, threads int) int64 {
	E, Q, KV, F, V := int64(c.Embed), int64(c.QDim()), int64(c.KVDim()), int64(c.FFN), int64(c.Vocab)
	perRow := 3*E + 2*Q + 2*KV
	fixed := ffnChunk*2*F + outChunk*(V+E)
	attn := int64(min(attnBlock, maxLen))*(int64(maxLen)+int64(c.HeadDim)) + 3*int64(maxLen)*int64(c.HeadDim)
	if maxLen <= attnLocalLen {
		attn *= int64(max(1, threads))
	}
	return 4 * (int64(rows)*perRow + fixed + attn)
}

// run pushes every batch of the plan through the model and hands the logits
// of the scored rows to sink.
func (s *Session) run(plan []*batch, sink func(scoredRow, []float32) error) error {
	E, rows, total, maxLen := s.cfg.Embed, 0, 0, 0
	for _, b := range plan {
		rows = max(rows, b.rows)
		total += b.rows
		for _, sp := range b.spans {
			maxLen = max(maxLen, sp.Len)
		}
	}
	need := activationBytes(&s.cfg, rows, maxLen, s.threads)
	if s.streaming {
		need += 4 * int64(total) * int64(E) // every batch's residual stream
		need += 4 * int64(len(s.st.sliceY)) // one output slice's products
	}
	if need > s.budget {
		return fmt.Errorf("%w: %d token rows need %d bytes of activations, over the memory budget of %d", ErrBadInput, total, need, s.budget)
	}
	s.st.grow(&s.cfg, s.be, rows)
	if s.streaming {
		return s.runStreaming(plan, sink)
	}
	for _, b := range plan {
		x := s.st.x[:b.rows*E]
		if err := s.embed(b, x); err != nil {
			return err
		}
		for l := range s.cfg.Layers {
			if err := s.layer(l, b, x); err != nil {
				return fmt.Errorf("engine: %s backend: %w", s.be.Name(), err)
			}
			if s.yield != nil {
				s.yield()
			}
		}
		if err := s.output(b, x, sink); err != nil {
			return err
		}
	}
	return nil
}

// embedStreaming is embed for streaming mode: the token rows are read
// embedDrop at a time, and token_embd's pages are dropped after each group.
// A page fault on a file mapping maps the page cache's whole folio, and
// with large folios (ext4, xfs on recent kernels) a few hundred scattered
// rows map most of the matrix: 157 MB of a 191 MB token_embd for 384
// tokens of a 1.5B model, 0.29 of the file at peak, measured.
func (s *Session) embedStreaming(b *batch, x []float32) error {
	E, f := s.cfg.Embed, s.m.File
	for i := 0; i < len(b.tokens); i += embedDrop {
		j := min(i+embedDrop, len(b.tokens))
		part := batch{tokens: b.tokens[i:j]}
		if err := s.embed(&part, x[i*E:j*E]); err != nil {
			return err
		}
		f.DontNeed(s.m.TokenEmbd.Info)
	}
	return nil
}

// embedDrop is the number of token rows embedStreaming reads between two
// drops: a bound of embedDrop folios (2 MB at most each) on what they map.
const embedDrop = 8

// runStreaming pushes all batches through one layer at a time, keeping the
// residual stream of every batch. While layer l computes, layer l+1 is read
// ahead (WillNeed); after it, layer l's pages are dropped (DontNeed), so the
// resident weights are about two layers. The output projection, the largest
// matrix, follows in vocabulary slices (outputSliced), so it too is resident
// a slice at a time. The arithmetic is exactly run's.
// madvise failures are ignored: they are hints and change no result.
func (s *Session) runStreaming(plan []*batch, sink func(scoredRow, []float32) error) error {
	E, f := s.cfg.Embed, s.m.File
	total := 0
	for _, b := range plan {
		total += b.rows
	}
	xs := s.be.Alloc(total * E)
	xOf := make([][]float32, len(plan))
	off := 0
	for i, b := range plan {
		xOf[i] = xs[off : off+b.rows*E]
		off += b.rows * E
		if err := s.embedStreaming(b, xOf[i]); err != nil {
			return err
		}
	}
	if err := s.be.Sync(); err != nil {
		return fmt.Errorf("engine: %s backend: %w", s.be.Name(), err)
	}
	f.DontNeed(s.m.TokenEmbd.Info)
	advise := func(ts []*model.Tensor, willNeed bool) {
		for _, t := range ts {
			if willNeed {
				f.WillNeed(t.Info)
			} else {
				f.DontNeed(t.Info)
			}
		}
	}
	head := []*model.Tensor{s.m.OutputNorm, s.m.Output}
	advise(s.w.layers[0].tensors, true)
	for l := range s.cfg.Layers {
		if l+1 < s.cfg.Layers {
			advise(s.w.layers[l+1].tensors, true)
		} else {
			// The output projection is read one slice at a time, each
			// slice prefetching the next (outputSliced).
			advise(head[:1], true)
			sl := &s.w.outSlices[0]
			f.WillNeedRange(s.m.Output.Info, sl.off, sl.n)
		}
		for i, b := range plan {
			if err := s.layer(l, b, xOf[i]); err != nil {
				return fmt.Errorf("engine: %s backend: %w", s.be.Name(), err)
			}
			if s.yield != nil {
				s.yield()
			}
		}
		if err := s.be.Sync(); err != nil {
			return fmt.Errorf("engine: %s backend: %w", s.be.Name(), err)
		}
		advise(s.w.layers[l].tensors, false)
	}
	for i, b := range plan {
		if err := s.output(b, xOf[i], sink); err != nil {
			return err
		}
	}
	advise(head, false)
	return nil
}

// eachRow calls fn(i) for i in [0, n) from up to s.threads goroutines (the
// CPU backend's pool, else new ones) and returns the error of the smallest
// failing i. fn must not use the backend.
func (s *Session) eachRow(n int, fn func(i int) error) error {
	errs := make([]error, n)
	if c, ok := s.be.(*CPU); ok { // the pool's workers are already awake
		c.pool.Run(n, func(_ *matmul.Local, i int) { errs[i] = fn(i) })
		return firstNonNil(errs)
	}
	var next atomic.Int64
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			errs[i] = fn(i)
		}
	}
	var wg sync.WaitGroup
	for range min(s.threads, n) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	return firstNonNil(errs)
}

func firstNonNil(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
