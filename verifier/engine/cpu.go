package engine

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"unsafe"

	"github.com/proof-of-training/pot/verifier/matmul"
	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
)

// CPU is the pure-Go Backend. Matrix products go to package matmul (weights
// stay quantized; activations are quantized to the weight's vec_dot type as
// llama.cpp's CPU backend does). The other operations are written here in
// plain Go with a fixed reduction order per output element, and every
// element is computed by exactly one goroutine, so the results do not
// depend on the thread count.
//
// Products are wrapped in explicit float32 conversions (float32(a*b)) where
// they feed an addition: the Go spec then forbids fusing them into an FMA,
// so amd64 and arm64 round identically.
type CPU struct {
	threads int
	pool    *matmul.Pool
	act     matmul.Activations // x converted once for weights sharing it
	ms      []matmul.Matrix    // scratch of MatMul
	ys      [][]float32

	attn attnBuf // attention scratch of the shared path
	// attnW is the scratch of each pool worker for short sequences, and
	// attnGen numbers Attention calls (a worker's cached K and Vᵀ are
	// valid within one call only).
	attnW   []attnBuf
	attnGen uint64
}

// NewCPU returns a CPU backend using threads goroutines (≤ 0: one per CPU).
func NewCPU(threads int) *CPU {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	return &CPU{threads: threads, pool: matmul.NewPool(threads), attnW: make([]attnBuf, threads)}
}

// Name returns "cpu".
func (c *CPU) Name() string { return "cpu" }

// Threads returns the number of worker goroutines.
func (c *CPU) Threads() int { return c.threads }

// Alloc returns make([]float32, n).
func (c *CPU) Alloc(n int) []float32 { return make([]float32, n) }

// Sync is a no-op: every CPU operation has finished when it returns.
func (c *CPU) Sync() error { return nil }

// Close releases the matmul worker pool.
func (c *CPU) Close() error {
	c.pool.Close()
	return nil
}

// cpuWeight is a matmul.Matrix over the memory-mapped tensor bytes.
type cpuWeight struct {
	m          matmul.Matrix
	rows, cols int
}

func (w *cpuWeight) Rows() int { return w.rows }
func (w *cpuWeight) Cols() int { return w.cols }

// NewWeight wraps t's bytes (no copy).
func (c *CPU) NewWeight(t *model.Tensor) (Weight, error) {
	m, err := matmul.NewMatrix(t.Type, t.Rows, t.Cols, t.Data)
	if err != nil {
		return nil, fmt.Errorf("engine: tensor %q: %w", t.Name(), err)
	}
	return &cpuWeight{m: m, rows: t.Rows, cols: t.Cols}, nil
}

// MatMul multiplies each weight by the n rows of x. Consecutive weights
// with the same vec_dot type (Q, K and V; gate and up) share one conversion
// of x and one job of the pool.
func (c *CPU) MatMul(x []float32, n int, ws []Weight, ys [][]float32) {
	if len(ws) == 1 {
		cw := ws[0].(*cpuWeight)
		matmul.MatMul(ys[0][:n*cw.rows], cw.m, x[:n*cw.cols], n, c.pool)
		return
	}
	for j0 := 0; j0 < len(ws); {
		cw := ws[j0].(*cpuWeight)
		vt, _ := matmul.VecDotType(cw.m.Type)
		c.act.Quantize(x[:n*cw.cols], n, cw.cols, cw.m.Type, c.pool)
		c.ms, c.ys = c.ms[:0], c.ys[:0]
		for j := j0; j < len(ws); j++ {
			wj := ws[j].(*cpuWeight)
			if t, _ := matmul.VecDotType(wj.m.Type); t != vt {
				break
			}
			c.ms = append(c.ms, wj.m)
			c.ys = append(c.ys, ys[j][:n*wj.rows])
		}
		matmul.MatMulQs(c.ys, c.ms, &c.act, c.pool)
		j0 += len(c.ms)
	}
}

// MatMulSwiGLU sets u = up·x and g = silu(gate·x)·u for the n rows of x
// (MatMul of both, then SwiGLU, bitwise) as one job of the pool
// (matmul.MatMulSwiGLU: each worker applies SwiGLU to the rows it has just
// computed) when gate and up are integer types taking the same
// activations; else in two steps (float weights: slower fused, see there).
func (c *CPU) MatMulSwiGLU(x []float32, n int, gate, up Weight, g, u []float32) {
	gw, uw := gate.(*cpuWeight), up.(*cpuWeight)
	gt, _ := matmul.VecDotType(gw.m.Type)
	ut, _ := matmul.VecDotType(uw.m.Type)
	float := gt == quant.F32 || gt == quant.F16 || gt == quant.BF16
	if float || gt != ut || gw.rows != uw.rows || gw.cols != uw.cols {
		c.MatMul(x, n, []Weight{gate, up}, [][]float32{g, u})
		c.SwiGLU(g[:n*gw.rows], u)
		return
	}
	c.act.Quantize(x[:n*gw.cols], n, gw.cols, gw.m.Type, c.pool)
	matmul.MatMulSwiGLU(g[:n*gw.rows], u[:n*uw.rows], gw.m, uw.m, &c.act, c.pool)
}

// parallel calls fn(lo, hi) on contiguous parts of [0, n) on the matmul
// pool's workers (no goroutine is started per call). Which worker runs a
// part never changes a result: parts are disjoint and each element's
// computation is self-contained. Below minPart elements per part the work
// is split into fewer parts, so that tiny operations do not pay a wake-up.
func (c *CPU) parallel(n, minPart int, fn func(lo, hi int)) {
	t := min(c.threads, n/max(1, minPart))
	if t <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	c.pool.Run(t, func(_ *matmul.Local, i int) { fn(i*n/t, (i+1)*n/t) })
}

// RMSNorm follows ggml_compute_forward_rms_norm_f32 then ggml_mul: the
// squares are float32 products summed in float64 in index order, mean =
// float32(sum/dim), scale = 1/sqrtf(mean + eps) in float32 (a float64 square
// root rounded to float32 is the correctly rounded sqrtf), y = (x·scale)·w.
func (c *CPU) RMSNorm(y, x, w []float32, n int, eps float32) {
	dim := len(w)
	c.parallel(n, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi, yi := x[i*dim:(i+1)*dim], y[i*dim:(i+1)*dim]
			var sum float64
			for _, v := range xi {
				sum += float64(v * v)
			}
			mean := float32(sum / float64(dim))
			scale := 1 / float32(math.Sqrt(float64(mean+eps)))
			for j, v := range xi {
				yi[j] = float32(v*scale) * w[j]
			}
		}
	})
}

// AddRow adds b to each of the n rows of x.
func (c *CPU) AddRow(x, b []float32, n int) {
	dim := len(b)
	c.parallel(n, elemPart/max(1, dim), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi := x[i*dim : (i+1)*dim]
			for j, v := range b {
				xi[j] += v
			}
		}
	})
}

// Add sets x += y.
func (c *CPU) Add(x, y []float32) {
	y = y[:len(x)]
	c.parallel(len(x), elemPart, func(lo, hi int) {
		for i, v := range y[lo:hi] {
			x[lo+i] += v
		}
	})
}

// elemPart is the fewest elements of an elementwise operation (Add) given
// to one worker: about 10 µs of work, the order of a worker's wake-up.
const elemPart = 16 << 10

// SwiGLU sets g = silu(g)·u with silu(z) = z/(1+expf(−z)) as ggml_silu_f32
// (our expf, matmul.Expf).
func (c *CPU) SwiGLU(g, u []float32) {
	u = u[:len(g)]
	c.parallel(len(g), elemPart/4, func(lo, hi int) { matmul.SiLUMul(g[lo:hi], u[lo:hi]) })
}

// maxRopeDim bounds Rope.Dim so the per-row cos/sin cache fits on the stack;
// the engine rejects models with wider heads.
const maxRopeDim = 1024

// Rope follows ggml's rope_f32 (ggml-cpu ops.cpp) with ext_factor 0 and
// attn_factor 1: θ starts at the position (as float32) and is multiplied by
// theta_scale = powf(base, −2/n_rot) after each pair, in float32, exactly as
// ggml_rope_cache_init iterates; each pair's angle is freq_scale·θ/factor.
func (c *CPU) Rope(q, k []float32, pos []int32, qHeads, kHeads int, r *Rope) {
	hd, dim := r.HeadDim, r.Dim
	thetaScale := float32(math.Pow(float64(r.Base), float64(float32(-2)/float32(dim))))
	qw, kw := qHeads*hd, kHeads*hd
	c.parallel(len(pos), 1, func(lo, hi int) {
		var cache [maxRopeDim]float32 // cos, sin per pair
		for i := lo; i < hi; i++ {
			theta := float32(pos[i])
			for i0 := 0; i0 < dim; i0 += 2 {
				t := theta
				if r.FreqFactors != nil {
					t /= r.FreqFactors[i0/2]
				}
				t *= r.FreqScale
				cache[i0] = float32(math.Cos(float64(t)))
				cache[i0+1] = float32(math.Sin(float64(t)))
				theta *= thetaScale
			}
			for h := range qHeads {
				rotate(q[i*qw+h*hd:][:hd], cache[:dim], r.Style)
			}
			for h := range kHeads {
				rotate(k[i*kw+h*hd:][:hd], cache[:dim], r.Style)
			}
		}
	})
}

// rotate applies one row's cos/sin cache to a head: NORM pairs (2i, 2i+1),
// NEOX pairs (i, i+dim/2). Elements past dim are left as they are.
func rotate(x, cache []float32, style model.RopeStyle) {
	dim := len(cache)
	for i0 := 0; i0 < dim; i0 += 2 {
		cos, sin := cache[i0], cache[i0+1]
		a, b := i0, i0+1
		if style == model.RopeNeox {
			a, b = i0/2, i0/2+dim/2
		}
		x0, x1 := x[a], x[b]
		x[a] = float32(x0*cos) - float32(x1*sin)
		x[b] = float32(x0*sin) + float32(x1*cos)
	}
}

// attnBlock is how many query rows of one head go through attention at a
// time: it bounds the [attnBlock][Len] score buffer (32 MB at a 32k context).
const attnBlock = 256

// Attention computes causal softmax attention per (sequence, head) as ggml
// does with an F32 KV cache, with the two products done by package matmul
// (F32 kernels) instead of scalar loops: S = Q·Kᵀ over all Len keys of the
// sequence, then per query row i: s_j·scale for j ≤ i, p_j = expf(s_j − max)
// · (1/Σ) with Σ accumulated in float64 in ascending j, p_j = 0 for j > i
// (the causal mask, as ggml's −Inf mask gives), and out = P·V. Every product
// has Len columns, so a row's result depends only on its own sequence, never
// on the batch around it or the thread count.
func (c *CPU) Attention(out, q, k, v []float32, spans []Span, a *AttnShape) {
	var short, long []Span
	for _, sp := range spans {
		if sp.Len <= attnLocalLen {
			short = append(short, sp)
		} else {
			long = append(long, sp)
		}
	}
	c.attentionLocal(out, q, k, v, short, a)
	for _, sp := range long {
		c.attentionShared(out, q, k, v, sp, a)
	}
}

// attnLocalLen is the longest sequence whose heads are computed one per
// work item, each on one worker (attentionLocal); longer ones share every
// product among the workers (attentionShared). A short sequence's products
// are too small to split (a 48-token head is about 0.3 MFLOP, less than the
// cost of waking the other workers), while a worker's scratch for a long
// one (≈ attnBlock·Len floats) would be multiplied by the thread count.
const attnLocalLen = 512

// attentionLocal computes the heads of the spans (each at most attnLocalLen
// long) as independent work items of the pool, longest sequences first so
// that the last items are the cheapest. Each worker copies the K and Vᵀ of
// a KV head into its scratch once for consecutive query heads of the group.
func (c *CPU) attentionLocal(out, q, k, v []float32, spans []Span, a *AttnShape) {
	if len(spans) == 0 {
		return
	}
	hd, group := a.HeadDim, a.Heads/a.KVHeads
	qw, kw := a.Heads*hd, a.KVHeads*hd
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(x, y Span) int { return y.Len - x.Len })
	c.attnGen++
	gen := c.attnGen
	c.pool.Run(len(spans)*a.Heads, func(l *matmul.Local, it int) {
		si, h := it/a.Heads, it%a.Heads
		sp, kh := spans[si], h/group
		L := sp.Len
		sc := &c.attnW[l.ID()]
		sc.size(L, hd)
		if key := [3]uint64{gen, uint64(si), uint64(kh)}; sc.key != key {
			sc.key = key
			sc.loadKV(k, v, sp, kw, kh*hd, hd)
		}
		km := f32Matrix(L, hd, sc.k[:L*hd])
		vm := f32Matrix(hd, L, sc.vt[:hd*L])
		for i0 := 0; i0 < L; i0 += attnBlock {
			nb := min(attnBlock, L-i0)
			for i := range nb {
				copy(sc.q[i*hd:(i+1)*hd], q[(sp.Start+i0+i)*qw+h*hd:][:hd])
			}
			s := sc.s[:nb*L]
			l.MatMul(s, km, sc.q[:nb*hd], nb)
			for i := range nb {
				causalSoftmax(s[i*L:(i+1)*L], i0+i, a.Scale)
			}
			l.MatMul(sc.o[:nb*hd], vm, s, nb)
			for i := range nb {
				copy(out[(sp.Start+i0+i)*qw+h*hd:][:hd], sc.o[i*hd:(i+1)*hd])
			}
		}
	})
}

// attentionShared computes the heads of one long sequence one after the
// other, each product shared among the pool's workers.
func (c *CPU) attentionShared(out, q, k, v []float32, sp Span, a *AttnShape) {
	hd, group := a.HeadDim, a.Heads/a.KVHeads
	qw, kw := a.Heads*hd, a.KVHeads*hd
	L := sp.Len
	sc := &c.attn
	sc.size(L, hd)
	for kh := range a.KVHeads {
		sc.loadKV(k, v, sp, kw, kh*hd, hd)
		km := f32Matrix(L, hd, sc.k[:L*hd])
		vm := f32Matrix(hd, L, sc.vt[:hd*L])
		for h := kh * group; h < (kh+1)*group; h++ {
			for i0 := 0; i0 < L; i0 += attnBlock {
				nb := min(attnBlock, L-i0)
				for i := range nb {
					copy(sc.q[i*hd:(i+1)*hd], q[(sp.Start+i0+i)*qw+h*hd:][:hd])
				}
				s := sc.s[:nb*L]
				matmul.MatMul(s, km, sc.q[:nb*hd], nb, c.pool)
				c.parallel(nb, 1, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						causalSoftmax(s[i*L:(i+1)*L], i0+i, a.Scale)
					}
				})
				matmul.MatMul(sc.o[:nb*hd], vm, s, nb, c.pool)
				for i := range nb {
					copy(out[(sp.Start+i0+i)*qw+h*hd:][:hd], sc.o[i*hd:(i+1)*hd])
				}
			}
		}
	}
}

// causalSoftmax turns the scores of query i (row of Len keys) into
// attention weights, zero past i.
func causalSoftmax(row []float32, i int, scale float32) {
	m := float32(math.Inf(-1))
	for j := range row[:i+1] {
		row[j] *= scale
		m = max(m, row[j])
	}
	var sum float64
	for j, x := range row[:i+1] {
		e := matmul.Expf(x - m)
		row[j] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for j := range row[:i+1] {
		row[j] *= inv
	}
	clear(row[i+1:])
}

// attnBuf is attention scratch, grown on demand.
type attnBuf struct {
	k, vt, q, s, o []float32
	key            [3]uint64 // (call, span, KV head) whose K, Vᵀ k and vt hold
}

// size makes b hold sequences of length L with head width hd.
func (b *attnBuf) size(L, hd int) {
	grow := func(s []float32, n int) []float32 {
		if len(s) < n {
			return make([]float32, n)
		}
		return s
	}
	nb := min(attnBlock, L)
	b.k, b.vt = grow(b.k, L*hd), grow(b.vt, L*hd)
	b.q, b.o, b.s = grow(b.q, nb*hd), grow(b.o, nb*hd), grow(b.s, nb*L)
}

// loadKV copies the K [L][hd] and transposed V [hd][L] of the KV head at
// column off of k and v (rows kw wide) for span sp into b.
func (b *attnBuf) loadKV(k, v []float32, sp Span, kw, off, hd int) {
	L := sp.Len
	for j := range L {
		copy(b.k[j*hd:(j+1)*hd], k[(sp.Start+j)*kw+off:][:hd])
		for d, x := range v[(sp.Start+j)*kw+off:][:hd] {
			b.vt[d*L+j] = x
		}
	}
}

// f32Matrix views float32 scratch as an F32 matmul.Matrix (GGUF's F32 is
// little-endian float32, the in-memory layout on every Go port PoT builds
// for: amd64, arm64).
func f32Matrix(rows, cols int, x []float32) matmul.Matrix {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), 4*len(x))
	m, err := matmul.NewMatrix(quant.F32, rows, cols, b)
	if err != nil {
		panic(err) // sizes are ours: a programmer error
	}
	return m
}
