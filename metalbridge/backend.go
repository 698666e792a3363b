package metalbridge

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
)

// ErrUnavailable is returned (wrapped) when there is no usable Metal GPU:
// not a Mac, no device, or the kernels failed to compile.
var ErrUnavailable = errors.New("metalbridge: Metal is not available")

// bufID names a device buffer; the device maps it to its own object.
type bufID uint32

// device is what the Backend needs from a GPU: shared-memory buffers,
// read-only views of the model's bytes, kernel launches in issue order, and
// a wait. The Metal device (device_darwin.go) implements it; so does the
// emulator the tests run on Linux (emu_test.go).
type device interface {
	// alloc returns a zeroed shared buffer of n bytes and its host view.
	alloc(n int) (bufID, []byte, error)
	// wrap makes b (weights, usually memory-mapped) readable by kernels,
	// without a copy where the platform allows, and returns the buffer and
	// the offset of b[0] in it. b is never written.
	wrap(b []byte) (bufID, int, error)
	// launch encodes one dispatch; errors surface at sync.
	launch(d *dispatch)
	// sync runs everything launched so far and waits for it.
	sync() error
	close() error
}

// Backend is the Metal implementation of engine.Backend: every operation
// is a kernel of kernels.metal, encoded in issue order and run at Sync
// (several layers per command buffer), over buffers in unified memory that
// the host sees as the []float32 slices Alloc returns. Kernel choice,
// tiling and grid sizes are decided here, in portable code, and the same
// code drives the emulator in the tests.
//
// Numerics differ from the CPU backend's (activations stay float instead of
// being quantized for the dot products, prefill products round to half,
// reductions run in another order), within the tolerances the self-test
// checks; results are deterministic for a given GPU and batch shape.
type Backend struct {
	dev      device
	name     string
	regions  []region // host ranges of alloc'd buffers, sorted by base
	tmpFree  []tmpBuf // scratch buffers free for reuse
	tmpUsed  []tmpBuf // scratch buffers read by launched, unsynced kernels
	err      error    // first error since the last Sync
	selfTest SelfTest
	matVec   bool // use mul_mv for batches below mulMMMinRows (SetMatVec)
}

// region is the host range [base, end) of buffer id.
type region struct {
	base, end uintptr
	id        bufID
}

// tmpBuf is a scratch buffer for small per-call inputs (positions, span
// starts, rope factors) copied from Go memory.
type tmpBuf struct {
	id  bufID
	mem []byte
}

// newBackend returns a Backend on dev.
func newBackend(dev device, name string) *Backend {
	return &Backend{dev: dev, name: name}
}

// Name returns "metal" (the emulator's backend says "metal-emu").
func (b *Backend) Name() string { return b.name }

// SelfTest returns the result of the start-up comparison with the CPU
// backend (zero if none ran).
func (b *Backend) SelfTest() SelfTest { return b.selfTest }

// Alloc returns a zeroed buffer of n floats in shared memory. On failure it
// returns an ordinary Go slice and records the error for the next Sync,
// whose kernels would not see the slice.
func (b *Backend) Alloc(n int) []float32 {
	if n <= 0 {
		return nil
	}
	id, mem, err := b.dev.alloc(4 * n)
	if err != nil {
		b.fail(fmt.Errorf("metalbridge: alloc %d floats: %w", n, err))
		return make([]float32, n)
	}
	f := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(mem))), n)
	base := uintptr(unsafe.Pointer(unsafe.SliceData(mem)))
	r := region{base: base, end: base + uintptr(len(mem)), id: id}
	i, _ := slices.BinarySearchFunc(b.regions, base, func(r region, p uintptr) int { return cmpPtr(r.base, p) })
	b.regions = slices.Insert(b.regions, i, r)
	return f
}

func cmpPtr(a, b uintptr) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fail records the first error of a batch of work.
func (b *Backend) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// at binds s, which must lie in memory from Alloc (a programmer error
// otherwise, unless an Alloc failed: then nothing runs before the next
// Sync reports it), as kernel argument index.
func (b *Backend) at(index int, s []float32) binding {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	i, found := slices.BinarySearchFunc(b.regions, p, func(r region, p uintptr) int { return cmpPtr(r.base, p) })
	if !found {
		i--
	}
	if i < 0 || p+4*uintptr(len(s)) > b.regions[i].end {
		if b.err != nil {
			return binding{index: index} // a failed Alloc's stand-in; nothing launches until Sync
		}
		panic("metalbridge: a buffer not from Alloc passed to the Metal backend")
	}
	return binding{index: index, buf: b.regions[i].id, off: int(p - b.regions[i].base)}
}

// tmp copies src (Go memory) into a scratch buffer, reused after the next
// Sync, and binds it as argument index.
func (b *Backend) tmp(index int, src []byte) binding {
	var t tmpBuf
	for i, f := range b.tmpFree {
		if len(f.mem) >= len(src) {
			t = f
			b.tmpFree = slices.Delete(b.tmpFree, i, i+1)
			break
		}
	}
	if t.mem == nil {
		id, mem, err := b.dev.alloc(max(256, len(src)))
		if err != nil {
			b.fail(fmt.Errorf("metalbridge: scratch buffer: %w", err))
			return binding{index: index} // never launched: the recorded error stops launches until Sync
		}
		t = tmpBuf{id: id, mem: mem}
	}
	copy(t.mem, src)
	b.tmpUsed = append(b.tmpUsed, t)
	return binding{index: index, buf: t.id}
}

// launch checks d against the kernel's parameters and encodes it.
func (b *Backend) launch(d *dispatch) {
	if b.err != nil {
		return
	}
	d.check()
	b.dev.launch(d)
}

// Sync runs the encoded kernels and waits for them; it returns the first
// error since the previous Sync.
func (b *Backend) Sync() error {
	err := b.dev.sync()
	b.tmpFree = append(b.tmpFree, b.tmpUsed...)
	b.tmpUsed = b.tmpUsed[:0]
	if b.err != nil {
		err, b.err = b.err, nil
	}
	return err
}

// Close releases the device and every buffer.
func (b *Backend) Close() error { return b.dev.close() }

// weight is a weight matrix readable by the kernels.
type weight struct {
	t          quant.Type
	rows, cols int
	rowBytes   int
	buf        bufID
	off        int
	name       string
	data       []byte // the caller's bytes, kept alive for no-copy buffers
}

func (w *weight) Rows() int { return w.rows }
func (w *weight) Cols() int { return w.cols }

// supportedTypes are the weight types kernels.metal's dq16 knows.
var supportedTypes = []quant.Type{quant.F32, quant.F16, quant.BF16, quant.Q4_0, quant.Q4_1, quant.Q5_0, quant.Q5_1, quant.Q8_0,
	quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K}

// NewWeight makes t's bytes readable by the kernels (no copy where the
// platform allows). Quantized rows must be whole 32-column groups, as every
// GGUF block type's are.
func (b *Backend) NewWeight(t *model.Tensor) (engine.Weight, error) {
	if !slices.Contains(supportedTypes, t.Type) {
		return nil, fmt.Errorf("metalbridge: tensor %q: type %s: %w", t.Name(), t.Type, model.ErrUnsupported)
	}
	rb, err := quant.RowSize(t.Type, int64(t.Cols))
	if err != nil || t.Rows <= 0 || int64(len(t.Data)) != rb*int64(t.Rows) || rb > math.MaxUint32 {
		return nil, fmt.Errorf("metalbridge: tensor %q: %s %d×%d in %d bytes: bad shape", t.Name(), t.Type, t.Rows, t.Cols, len(t.Data))
	}
	id, off, err := b.dev.wrap(t.Data)
	if err != nil {
		return nil, fmt.Errorf("metalbridge: tensor %q: %w", t.Name(), err)
	}
	return &weight{t: t.Type, rows: t.Rows, cols: t.Cols, rowBytes: int(rb), buf: id, off: off, data: t.Data}, nil
}

// SetMatVec lets MatMul use the mat-vec kernel (float activations, one
// simdgroup per weight row) for batches of fewer than mulMMMinRows rows,
// which reads the weights once per 8 rows instead of computing 32-row
// tiles. Off by default: the two kernels round differently (mul_mm rounds
// its operands to half), so with it on a row's result depends on how many
// rows share its batch, which breaks engine.Backend's batch-invariance
// contract. Prefill-only verification needs mul_mm's throughput anyway.
func (b *Backend) SetMatVec(on bool) { b.matVec = on }

// MatMul computes ys[j] = x·W_jᵀ with the simdgroup-matrix kernel mul_mm
// (or mul_mv for small batches after SetMatVec(true)). mul_mm computes
// every output element by the same sequence of 8×8 tile products whatever
// the tile it falls in, so a row's result does not depend on the rest of
// the batch (the self-test checks this bitwise).
func (b *Backend) MatMul(x []float32, n int, ws []engine.Weight, ys [][]float32) {
	kernel := kMulMM
	if b.matVec && n < mulMMMinRows {
		kernel = kMulMV
	}
	b.matMul(kernel, x, n, ws, ys)
}

// matMul runs MatMul with the given kernel.
func (b *Backend) matMul(kernel string, x []float32, n int, ws []engine.Weight, ys [][]float32) {
	if n <= 0 {
		return
	}
	for j, ew := range ws {
		w := ew.(*weight)
		a := matArgs{Type: int32(w.t), Rows: int32(w.rows), Cols: int32(w.cols), N: int32(n),
			RowBytes: uint32(w.rowBytes), XStride: int32(w.cols), YStride: int32(w.rows)}
		d := dispatch{kernel: kMulMV, threads: mvRowsPerGroup * simdWidth,
			groups: [3]int{ceilDiv(w.rows, mvRowsPerGroup), ceilDiv(n, mvBatch), 1}}
		if kernel == kMulMM {
			d = dispatch{kernel: kMulMM, threads: mmThreads, tgMem: mmSharedBytes,
				groups: [3]int{ceilDiv(w.rows, mmTile), ceilDiv(n, mmTile), 1}}
		}
		d.binds = []binding{{index: 0, bytes: argBytes(&a)}, {index: 1, buf: w.buf, off: w.off},
			b.at(2, x[:n*w.cols]), b.at(3, ys[j][:n*w.rows])}
		b.launch(&d)
	}
}

// RMSNorm normalizes the n rows of x (width len(w)) into y.
func (b *Backend) RMSNorm(y, x, w []float32, n int, eps float32) {
	if n <= 0 {
		return
	}
	dim := len(w)
	a := normArgs{Dim: int32(dim), Eps: eps}
	b.launch(&dispatch{kernel: kRMSNorm, threads: simdWidth, groups: [3]int{n, 1, 1},
		binds: []binding{{index: 0, bytes: argBytes(&a)}, b.at(1, x[:n*dim]), b.at(2, w), b.at(3, y[:n*dim])}})
}

// elementwise launches one of the 256-thread elementwise kernels over x.
func (b *Backend) elementwise(kernel string, x, y []float32, dim int) {
	if len(x) == 0 {
		return
	}
	a := eltArgs{Count: int32(len(x)), Dim: int32(dim)}
	b.launch(&dispatch{kernel: kernel, threads: eltThreads, groups: [3]int{ceilDiv(len(x), eltThreads), 1, 1},
		binds: []binding{{index: 0, bytes: argBytes(&a)}, b.at(1, x), b.at(2, y)}})
}

// AddRow adds b to each of the n rows of x.
func (b *Backend) AddRow(x, bias []float32, n int) {
	b.elementwise(kAddRow, x[:n*len(bias)], bias, len(bias))
}

// Add sets x += y.
func (b *Backend) Add(x, y []float32) { b.elementwise(kAdd, x, y[:len(x)], len(x)) }

// SwiGLU sets g = silu(g)·u.
func (b *Backend) SwiGLU(g, u []float32) { b.elementwise(kSwiGLU, g, u[:len(g)], len(g)) }

// Rope rotates q and k by each row's position; θ_scale is computed exactly
// as the CPU backend computes it.
func (b *Backend) Rope(q, k []float32, pos []int32, qHeads, kHeads int, r *engine.Rope) {
	n := len(pos)
	if n == 0 || r.Dim == 0 {
		return
	}
	a := ropeArgs{QHeads: int32(qHeads), KHeads: int32(kHeads), HeadDim: int32(r.HeadDim), Dim: int32(r.Dim),
		ThetaScale: float32(math.Pow(float64(r.Base), float64(float32(-2)/float32(r.Dim)))), FreqScale: r.FreqScale}
	if r.Style == model.RopeNeox {
		a.Neox = 1
	}
	posB := b.tmp(3, int32Bytes(pos))
	factors := binding{index: 4, buf: posB.buf} // unread without factors
	if r.FreqFactors != nil {
		a.HasFactors = 1
		factors = b.tmp(4, float32Bytes(r.FreqFactors[:r.Dim/2]))
	}
	b.launch(&dispatch{kernel: kRope, threads: simdWidth, groups: [3]int{ceilDiv(r.Dim/2, simdWidth), qHeads + kHeads, n},
		binds: []binding{{index: 0, bytes: argBytes(&a)}, b.at(1, q[:n*qHeads*r.HeadDim]), b.at(2, k[:n*kHeads*r.HeadDim]), posB, factors}})
}

// Attention runs causal attention within each span: row i of a span
// starting at s attends to rows s … i.
func (b *Backend) Attention(out, q, k, v []float32, spans []engine.Span, a *engine.AttnShape) {
	n := 0
	for _, sp := range spans {
		n = max(n, sp.Start+sp.Len)
	}
	if n == 0 {
		return
	}
	if a.HeadDim > maxHeadDim || a.HeadDim <= 0 || a.KVHeads <= 0 || a.Heads%a.KVHeads != 0 {
		b.fail(fmt.Errorf("metalbridge: attention with %d heads, %d KV heads of width %d: %w (head width ≤ %d)",
			a.Heads, a.KVHeads, a.HeadDim, model.ErrUnsupported, maxHeadDim))
		return
	}
	start := make([]int32, n)
	for i := range start {
		start[i] = int32(i) // rows outside every span attend to themselves only
	}
	for _, sp := range spans {
		for i := sp.Start; i < sp.Start+sp.Len; i++ {
			start[i] = int32(sp.Start)
		}
	}
	qw, kw := a.Heads*a.HeadDim, a.KVHeads*a.HeadDim
	args := attnArgs{Heads: int32(a.Heads), KVHeads: int32(a.KVHeads), HeadDim: int32(a.HeadDim), Scale: a.Scale}
	b.launch(&dispatch{kernel: kAttention, threads: simdWidth, groups: [3]int{a.Heads, n, 1},
		binds: []binding{{index: 0, bytes: argBytes(&args)}, b.at(1, q[:n*qw]), b.at(2, k[:n*kw]), b.at(3, v[:n*kw]),
			b.at(4, out[:n*qw]), b.tmp(5, int32Bytes(start))}})
}

// RowMaxLSE writes, for each of the n rows of logits (width dim), the
// maximum and log Σ exp(l − max) to res[2i] and res[2i+1]: the
// normalization of a log-softmax at scored positions, on the GPU. The
// engine's scorer computes it on the host in float64 (the certified path);
// this is for callers that only need the GPU's figure.
func (b *Backend) RowMaxLSE(res, logits []float32, n, dim int) {
	if n <= 0 {
		return
	}
	a := normArgs{Dim: int32(dim)}
	b.launch(&dispatch{kernel: kRowMaxLSE, threads: simdWidth, groups: [3]int{n, 1, 1},
		binds: []binding{{index: 0, bytes: argBytes(&a)}, b.at(1, logits[:n*dim]), b.at(2, res[:2*n])}})
}

// TopK writes the k best ids of each of the n rows of logits (width dim)
// to ids[i·k … i·k+k−1], as floats, ranked by logit descending with ties
// to the smaller id: the engine's top-k order. k ≤ dim; a wrong k is a
// programmer error.
func (b *Backend) TopK(ids, logits []float32, n, dim, k int) {
	if n <= 0 || k <= 0 {
		return
	}
	if k > dim || dim >= 1<<24 {
		panic(fmt.Sprintf("metalbridge: TopK k %d of %d ids", k, dim))
	}
	a := topKArgs{Dim: int32(dim), K: int32(k)}
	b.launch(&dispatch{kernel: kRowTopK, threads: simdWidth, groups: [3]int{n, 1, 1},
		binds: []binding{{index: 0, bytes: argBytes(&a)}, b.at(1, logits[:n*dim]), b.at(2, ids[:n*k])}})
}

func int32Bytes(s []int32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

func float32Bytes(s []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

var _ engine.Backend = (*Backend)(nil)
