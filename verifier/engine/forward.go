package engine

// The forward pass of llama and qwen2, read top to bottom: weights (views of
// the memory-mapped model, prepared once), state (buffers allocated once per
// batch capacity) and the three stages a batch goes through — embed, the
// layers, and the output head at the scored rows only. The math is
// /work/shared/notes/gguf-inference.md §2.4 (llama.cpp build_llama /
// build_qwen2); each block below names it.

import (
	"fmt"
	"math"

	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
)

// ffnChunk is how many rows go through the feed-forward block at a time. It
// bounds the two [rows][FFN] buffers (qwen2.5-0.5B: 2·128·4864·4 B = 5 MB)
// while keeping each matrix product large enough to be compute-bound. Rows
// are independent, so the chunking never changes a result. Each chunk
// unpacks the FFN weights again: on a 0.5B Q4_K_M model with 512-token
// batches, 128/256/512 rows (with outChunk 8/16/32) measured 70/79/83
// GFLOP per CPU-second at a peak RSS of 1.18/1.21/1.30× the file; the
// smallest keeps normal mode near the 1.15× memory target.
const ffnChunk = 128

// outChunk is the most scored rows that go through the output projection
// at a time; it bounds the [rows][Vocab] logits buffer (151936·32·4 B =
// 19 MB). Each chunk unpacks the output matrix (V×E, the largest) again: on
// the 0.5B shape with 128 scored rows, 8/32/64 measured 97/110/117 GFLOP
// per CPU-second (F16) and 79/107/106 (Q8_0) at 1.05/1.07/1.09× (F16) and
// 1.09/1.12/1.16× (Q8_0) the file in peak RSS. outRows picks the chunk per
// model so that the buffer stays within 1/32 of the file.
const outChunk = 32

// outRows is the output chunk for a model file of fileBytes and a vocabulary
// of vocab: as many rows as keep the logits within fileBytes/32, 8 to
// outChunk.
func outRows(fileBytes int64, vocab int) int {
	return int(min(outChunk, max(8, fileBytes/32/(4*int64(max(1, vocab))))))
}

// outSliceBytes is the weight bytes of one vocabulary slice of the output
// projection in streaming mode (outSlices). The output matrix is the
// largest (qwen2.5-0.5B: 145 MB in Q8_0, 272 MB in F16, a third of the
// file), and each chunk of scored rows reads it whole; sliced, only one
// slice of it is resident at a time. A few MB keep each product large
// enough for every thread (8 MiB of Q8_0 at E = 896 is ~550 chunks of 16
// rows) while staying small next to two layers' weights.
const outSliceBytes = 8 << 20

// outSliceAlign is the multiple slice rows are rounded to: a multiple of
// the matmul chunks (16 rows, or 24 on the wide float tile), so that no
// slice but the last ends in a partial chunk.
const outSliceAlign = 48

// outSlice is one vocabulary slice of the output projection: a Weight over
// rows [r0, r1) of the same mapped bytes, which are bytes [off, off+n) of
// the tensor.
type outSlice struct {
	w      [1]Weight
	r0, r1 int
	off, n uint64
}

// outSliceRows is the number of output rows per slice for rows of rowBytes
// bytes: about outSliceBytes, a multiple of outSliceAlign, at least one
// multiple.
func outSliceRows(rowBytes int64) int {
	return int(max(1, outSliceBytes/max(1, rowBytes)/outSliceAlign) * outSliceAlign)
}

// layerWeights are one block's weights.
type layerWeights struct {
	attnNorm   []float32 // (E)
	bq, bk, bv []float32 // (QDim), (KVDim), (KVDim); nil without biases
	qkv        [3]Weight // Wq (QDim×E), Wk, Wv (KVDim×E)
	wo         [1]Weight // (E×QDim)
	ffnNorm    []float32 // (E)
	gateUp     [2]Weight // Wgate, Wup (F×E)
	down       [1]Weight // (E×F)
	tensors    []*model.Tensor
}

// weights are the session's read-only views of the model.
type weights struct {
	tokenEmbd  *model.Tensor // (Vocab×E), rows dequantized per token
	embRowSize int           // bytes per token_embd row
	outputNorm []float32     // (E)
	output     [1]Weight     // (Vocab×E); token_embd when tied
	outSlices  []outSlice    // output by vocabulary slices (streaming), or nil
	layers     []layerWeights
}

// sliceOutput prepares t (the output projection) as views of rows rows each
// (the last one shorter), for the backend. Each output logit depends only
// on its own weight row (matmul: y[i][r] is a function of row r and x_i),
// so the sliced products give the same bits as the whole one.
func (w *weights) sliceOutput(t *model.Tensor, be Backend, rows int) error {
	rowBytes, err := quant.RowSize(t.Type, int64(t.Cols))
	if err != nil {
		return err
	}
	w.outSlices = nil
	for r0 := 0; r0 < t.Rows; r0 += rows {
		r1 := min(r0+rows, t.Rows)
		off, end := int64(r0)*rowBytes, int64(r1)*rowBytes
		view := &model.Tensor{Info: t.Info, Type: t.Type, Rows: r1 - r0, Cols: t.Cols, Data: t.Data[off:end:end]}
		wt, err := be.NewWeight(view)
		if err != nil {
			return err
		}
		w.outSlices = append(w.outSlices, outSlice{w: [1]Weight{wt}, r0: r0, r1: r1, off: uint64(off), n: uint64(end - off)})
	}
	return nil
}

// newWeights wraps every matrix for the backend and converts the small F32
// vectors (norms, biases) into backend buffers.
func newWeights(m *model.Model, be Backend) (*weights, error) {
	if !quant.CanDequantize(m.TokenEmbd.Type) {
		return nil, fmt.Errorf("token_embd.weight: type %s: %w", m.TokenEmbd.Type, model.ErrUnsupported)
	}
	rowSize, err := quant.RowSize(m.TokenEmbd.Type, int64(m.Embed))
	if err != nil {
		return nil, err
	}
	w := &weights{tokenEmbd: m.TokenEmbd, embRowSize: int(rowSize)}
	vec := func(t *model.Tensor) []float32 {
		if t == nil || err != nil {
			return nil
		}
		var f []float32
		if f, err = t.Float32s(); err != nil {
			return nil
		}
		b := be.Alloc(len(f))
		copy(b, f)
		return b
	}
	mat := func(t *model.Tensor) Weight {
		if err != nil {
			return nil
		}
		var wt Weight
		wt, err = be.NewWeight(t)
		return wt
	}
	w.outputNorm = vec(m.OutputNorm)
	w.output[0] = mat(m.Output)
	w.layers = make([]layerWeights, len(m.Layers))
	for i := range m.Layers {
		l, lw := &m.Layers[i], &w.layers[i]
		lw.attnNorm, lw.ffnNorm = vec(l.AttnNorm), vec(l.FFNNorm)
		lw.bq, lw.bk, lw.bv = vec(l.Bq), vec(l.Bk), vec(l.Bv)
		lw.qkv = [3]Weight{mat(l.Wq), mat(l.Wk), mat(l.Wv)}
		lw.wo[0] = mat(l.Wo)
		lw.gateUp = [2]Weight{mat(l.Wgate), mat(l.Wup)}
		lw.down[0] = mat(l.Wdown)
		lw.tensors = l.Tensors()
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

// state holds the activations of one batch. Buffers are sized for cap rows
// once (grow) and re-sliced per batch; nothing in the passes below allocates.
type state struct {
	cap    int
	x      []float32 // (cap, E) residual stream (normal mode; streaming keeps one per batch)
	h      []float32 // (cap, E) normed input of a sub-block
	q      []float32 // (cap, QDim)
	k, v   []float32 // (cap, KVDim)
	att    []float32 // (cap, QDim) attention output
	proj   []float32 // (cap, E) Wo·att, Wdown·ffn
	gate   []float32 // (ffnChunk, F)
	up     []float32 // (ffnChunk, F)
	outH   []float32 // (outRows, E) final hidden state of scored rows
	logits []float32 // (outRows, Vocab)
	sliceY []float32 // (outRows, rows of the largest output slice); streaming only
	// outRows is the output chunk (scored rows per output projection).
	outRows int
	ys3     [3][]float32 // views handed to MatMul
	ys2     [2][]float32
	ys1     [1][]float32
}

// grow makes the state hold at least rows rows.
func (st *state) grow(c *model.Config, be Backend, rows int) {
	if rows <= st.cap {
		return
	}
	E, Q, KV, F := c.Embed, c.QDim(), c.KVDim(), c.FFN
	st.cap = rows
	st.x = be.Alloc(rows * E)
	st.h = be.Alloc(rows * E)
	st.q = be.Alloc(rows * Q)
	st.k = be.Alloc(rows * KV)
	st.v = be.Alloc(rows * KV)
	st.att = be.Alloc(rows * Q)
	st.proj = be.Alloc(rows * E)
	if st.gate == nil {
		st.gate = be.Alloc(ffnChunk * F)
		st.up = be.Alloc(ffnChunk * F)
		st.outH = be.Alloc(st.outRows * E)
		st.logits = be.Alloc(st.outRows * c.Vocab)
	}
}

// batch is a group of sequences pushed through the model together: their
// tokens are the rows of every matrix product.
type batch struct {
	reqs   []int   // index of each sequence in the caller's request list
	spans  []Span  // rows of each sequence
	tokens []int32 // (rows) token ids
	pos    []int32 // (rows) position of each row within its sequence
	rows   int
	scored []scoredRow // rows whose next-token distribution is wanted
}

// compact reports whether the last layer gathers the scored rows to the
// front (always, unless repeated positions make them more than the rows).
func (b *batch) compact() bool { return len(b.scored) <= b.rows }

// scoredRow names one output: row of the batch, and where the result goes.
type scoredRow struct {
	row, req, idx int
}

// embed writes the token embeddings of b into x: x_i = token_embd[tok_i].
func (s *Session) embed(b *batch, x []float32) error {
	E, w := s.cfg.Embed, s.w
	for i, tok := range b.tokens {
		row := w.tokenEmbd.Data[int(tok)*w.embRowSize:][:w.embRowSize]
		if err := quant.Dequantize(w.tokenEmbd.Type, row, x[i*E:(i+1)*E]); err != nil {
			return fmt.Errorf("engine: token_embd row %d: %w", tok, err)
		}
	}
	return nil
}

// layer pushes the rows of x (batch b) through block l. After the last
// layer, x holds the scored rows first, in b.scored order, if b.compact().
func (s *Session) layer(l int, b *batch, x []float32) error {
	c, lw, st, be := &s.cfg, &s.w.layers[l], &s.st, s.be
	n := b.rows
	E, Q, KV, F := c.Embed, c.QDim(), c.KVDim(), c.FFN
	h, q, k, v, att, proj := st.h[:n*E], st.q[:n*Q], st.k[:n*KV], st.v[:n*KV], st.att[:n*Q], st.proj[:n*E]

	// Attention. h = rmsnorm(x)·attn_norm; q,k,v = W·h (+b); rope(q,k).
	be.RMSNorm(h, x, lw.attnNorm, n, c.RMSEps)
	st.ys3 = [3][]float32{q, k, v}
	be.MatMul(h, n, lw.qkv[:], st.ys3[:])
	if lw.bq != nil {
		be.AddRow(q, lw.bq, n)
		be.AddRow(k, lw.bk, n)
		be.AddRow(v, lw.bv, n)
	}
	be.Rope(q, k, b.pos, c.Heads, c.KVHeads, &s.rope)

	// Causal softmax(q·kᵀ/√d)·v per sequence and head (GQA).
	be.Attention(att, q, k, v, b.spans, &s.attn)

	// In the last layer only the scored rows matter from here on (llama.cpp's
	// inp_out_ids): gather them to the front of att and x; rows are
	// independent, so this changes no result.
	if l == c.Layers-1 && b.compact() {
		if err := be.Sync(); err != nil {
			return err
		}
		n = len(b.scored)
		for i, sr := range b.scored {
			copy(st.q[i*Q:(i+1)*Q], att[sr.row*Q:(sr.row+1)*Q])
			copy(proj[i*E:(i+1)*E], x[sr.row*E:(sr.row+1)*E]) // proj is free until Wo
		}
		copy(x, proj[:n*E])
		x, att, h, proj = x[:n*E], st.q[:n*Q], h[:n*E], proj[:n*E]
	}

	// x += Wo·att.
	st.ys1 = [1][]float32{proj}
	be.MatMul(att, n, lw.wo[:], st.ys1[:])
	be.Add(x, proj)

	// Feed-forward, ffnChunk rows at a time. h = rmsnorm(x)·ffn_norm;
	// x += Wdown·(silu(Wgate·h) ⊙ Wup·h).
	be.RMSNorm(h, x, lw.ffnNorm, n, c.RMSEps)
	for r0 := 0; r0 < n; r0 += ffnChunk {
		m := min(ffnChunk, n-r0)
		gate, up := st.gate[:m*F], st.up[:m*F]
		if sp, ok := be.(swiGLUProducer); ok {
			sp.MatMulSwiGLU(h[r0*E:], m, lw.gateUp[0], lw.gateUp[1], gate, up)
		} else {
			st.ys2 = [2][]float32{gate, up}
			be.MatMul(h[r0*E:], m, lw.gateUp[:], st.ys2[:])
			be.SwiGLU(gate, up)
		}
		st.ys1 = [1][]float32{proj[r0*E : (r0+m)*E]}
		be.MatMul(gate, m, lw.down[:], st.ys1[:])
	}
	be.Add(x, proj)
	return nil
}

// output computes the logits at b's scored rows, st.outRows at a time:
// logits = W_out · (rmsnorm(x_row)·output_norm), and hands each row to sink
// (possibly from several goroutines at once, never twice for a row). With
// output slices (streaming), W_out is applied one slice at a time.
func (s *Session) output(b *batch, x []float32, sink func(sr scoredRow, logits []float32) error) error {
	c, st, be := &s.cfg, &s.st, s.be
	E, V := c.Embed, c.Vocab
	if err := be.Sync(); err != nil { // x is read on the host below
		return fmt.Errorf("engine: %s backend: %w", be.Name(), err)
	}
	for r0 := 0; r0 < len(b.scored); r0 += st.outRows {
		rows := b.scored[r0:min(r0+st.outRows, len(b.scored))]
		m := len(rows)
		for i, sr := range rows {
			row := sr.row
			if b.compact() {
				row = r0 + i
			}
			copy(st.outH[i*E:(i+1)*E], x[row*E:(row+1)*E])
		}
		be.RMSNorm(st.outH[:m*E], st.outH[:m*E], s.w.outputNorm, m, c.RMSEps)
		if s.w.outSlices != nil {
			if err := s.outputSliced(m); err != nil {
				return err
			}
		} else {
			st.ys1 = [1][]float32{st.logits[:m*V]}
			be.MatMul(st.outH, m, s.w.output[:], st.ys1[:])
		}
		if err := be.Sync(); err != nil {
			return fmt.Errorf("engine: %s backend: %w", be.Name(), err)
		}
		if err := s.eachRow(m, func(i int) error { return sink(rows[i], st.logits[i*V:(i+1)*V]) }); err != nil {
			return err
		}
	}
	return nil
}

// outputSliced sets the logits of the m rows of st.outH one vocabulary
// slice at a time: while slice j is multiplied, slice j+1 is read ahead, and
// once its columns are copied into the logits rows, its pages are dropped,
// so that only about two slices of W_out are resident, not the whole matrix.
// madvise failures are ignored: they are hints and change no result.
func (s *Session) outputSliced(m int) error {
	st, be, f, info, V := &s.st, s.be, s.m.File, s.m.Output.Info, s.cfg.Vocab
	E := s.cfg.Embed
	for j := range s.w.outSlices {
		sl := &s.w.outSlices[j]
		if j+1 < len(s.w.outSlices) {
			next := &s.w.outSlices[j+1]
			f.WillNeedRange(info, next.off, next.n)
		}
		n := sl.r1 - sl.r0
		y := st.sliceY[:m*n]
		st.ys1 = [1][]float32{y}
		be.MatMul(st.outH[:m*E], m, sl.w[:], st.ys1[:])
		if err := be.Sync(); err != nil {
			return fmt.Errorf("engine: %s backend: %w", be.Name(), err)
		}
		for i := range m {
			copy(st.logits[i*V+sl.r0:i*V+sl.r1], y[i*n:(i+1)*n])
		}
		f.DontNeedRange(info, sl.off, sl.n)
	}
	return nil
}

// checkFinite returns an error if a logit is NaN or ±Inf (a broken model
// file can produce them; the verifier must not turn them into numbers).
func checkFinite(logits []float32) error {
	for i, v := range logits {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("engine: logit of token %d is %v", i, v)
		}
	}
	return nil
}
