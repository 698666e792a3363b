package matmul

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// lanes is the number of activation vectors in one interleaved group: one
// per 32-bit lane of a 256-bit register.
const lanes = 8

// Activations is a batch of n activation vectors of cols elements, converted
// to a vec_dot_type (see VecDotType) and stored interleaved for the kernels.
// Build it once with Quantize and multiply it by every matrix that takes the
// same input (Q, K and V; gate and up). The zero value is empty and ready for
// Quantize; buffers are reused across calls. An Activations must not be
// quantized while a MatMulQ is reading it.
type Activations struct {
	vt            quant.Type
	n, cols, nblk int
	groups        int // ceil(n/lanes); lanes past n hold zeros
	// Integer vec_dot types (Q8_0, Q8_1: blocks of 32; Q8_K: 256):
	q  []byte    // [groups][cols/4][lanes][4]: int8 codes of 4 consecutive elements per lane
	d  []float32 // [groups][nblk][lanes]: block scale as used in the dot (f16 already widened)
	s  []float32 // Q8_1 only, [groups][nblk][lanes]: f16 s = d·Σq, widened
	sy []int32   // Q8_0 only, [groups][nblk][lanes]: Σq of the block
	bs []uint32  // Q8_K only, [groups][nblk][8][lanes]: int16 pairs (bsum_2p, bsum_2p+1)
	// qp holds q with each pair of groups interleaved (pairCodes), valid
	// while pairsOK.
	qp      []byte
	pairsOK bool
	// Float vec_dot types (F32, F16, BF16: values already rounded to the type):
	f   []float32  // [groups][cols][lanes]
	fr  magRange   // F16, BF16: of all values in f
	frg []magRange // F16, BF16: per group, joined into fr
}

// Type returns the vec_dot_type the batch is stored as.
func (a *Activations) Type() quant.Type { return a.vt }

// Len returns the number of vectors and their length.
func (a *Activations) Len() (n, cols int) { return a.n, a.cols }

// Quantize converts x, n row-major vectors of cols elements, to the
// vec_dot_type of weight type t, bit-exactly as ggml-cpu does on x86 (see the
// package doc). It panics if t is not a supported weight type, n < 1,
// len(x) != n·cols, or cols is not a whole number of t's blocks (programmer
// errors). p may be nil (single-threaded).
func (a *Activations) Quantize(x []float32, n, cols int, t quant.Type, p *Pool) {
	if p == nil {
		a.quantize(x, n, cols, t, serial)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a.quantize(x, n, cols, t, p.runLocked)
}

func (a *Activations) quantize(x []float32, n, cols int, t quant.Type, run runner) {
	k, ok := weightKinds[t]
	if !ok {
		panic(fmt.Sprintf("matmul: Quantize for unsupported type %s", t))
	}
	if n < 1 || cols < 1 || len(x) != n*cols || cols%t.BlockSize() != 0 || cols%k.sb != 0 {
		panic(fmt.Sprintf("matmul: Quantize(len %d, n %d, cols %d, %s): bad lengths", len(x), n, cols, t))
	}
	a.vt, a.n, a.cols = k.act, n, cols
	a.pairsOK = false
	a.groups = (n + lanes - 1) / lanes
	a.nblk = cols / k.sb
	g := a.groups
	switch k.act {
	case quant.F32, quant.F16, quant.BF16:
		a.f = grow(a.f, g*cols*lanes)
	default:
		a.q = grow(a.q, g*cols*lanes)
		a.d = grow(a.d, g*a.nblk*lanes)
		if k.act == quant.Q8_1 {
			a.s = grow(a.s, g*a.nblk*lanes)
		}
		if k.act == quant.Q8_0 {
			a.sy = grow(a.sy, g*a.nblk*lanes)
		}
		if k.act == quant.Q8_K {
			a.bs = grow(a.bs, g*a.nblk*8*lanes)
		}
	}
	a.frg = grow(a.frg, g)
	run(g, func(w *worker, gi int) {
		if k.epi == epiFloat {
			a.interleaveFloat(gi, x)
			return
		}
		for l := range lanes {
			v := gi*lanes + l
			var xv []float32
			if v < n {
				xv = x[v*cols : (v+1)*cols]
			}
			a.quantizeLane(gi, l, xv, w.codes[:])
		}
	})
	a.fr = noRange
	if k.epi == epiFloat {
		for _, r := range a.frg {
			a.fr = a.fr.join(r)
		}
	}
}

// interleaveFloat stores the vectors of group g as f[e][lane], rounded to
// F16/BF16 if that is the vec_dot type (then their magRange goes to frg[g]);
// lanes past n are zero.
func (a *Activations) interleaveFloat(g int, x []float32) {
	cols := a.cols
	f := a.f[g*cols*lanes : (g+1)*cols*lanes]
	nl := min(lanes, a.n-g*lanes)
	var rows [lanes][]float32
	for l := range nl {
		v := g*lanes + l
		rows[l] = x[v*cols : (v+1)*cols]
	}
	if nl < lanes {
		clear(f)
	}
	e0 := 0 // elements done by the SIMD kernel
	if c8 := cols &^ 7; nl == lanes && c8 > 0 && interleave8 != nil {
		interleave8(x[g*lanes*cols:(g+1)*lanes*cols], cols, f[:c8*lanes], roundMode(a.vt))
		e0 = c8
	}
	for l := range nl {
		interleaveLane(a.vt, rows[l][e0:], f[e0*lanes:], l)
	}
	a.frg[g] = halfRange(a.vt, f)
}

// interleaveLane stores one vector's elements r as lane l of f (f[e][lane]),
// rounded to vt (F32: as is): the Go twin of interleave8, which does eight
// lanes and eight elements at a time with a register transpose.
func interleaveLane(vt quant.Type, r, f []float32, l int) {
	switch vt {
	case quant.F32:
		for e, v := range r {
			f[e*lanes+l] = v
		}
	case quant.F16:
		for e, v := range r {
			f[e*lanes+l] = quant.F16ToF32(quant.F32ToF16(v))
		}
	case quant.BF16:
		for e, v := range r {
			f[e*lanes+l] = quant.BF16ToF32(quant.F32ToBF16(v))
		}
	}
}

// roundMode numbers the float vec_dot types for interleave8: 0 F32, 1 F16,
// 2 BF16.
func roundMode(vt quant.Type) int {
	switch vt {
	case quant.F16:
		return 1
	case quant.BF16:
		return 2
	}
	return 0
}

// halfRange is the magRange of f, float32 values that are exactly F16 (vt
// = F16) or BF16 values (or F32, then noRange): the range of their float32
// magnitudes (absRange, one SIMD pass, much cheaper than tracking it while
// rounding) converted to half bit patterns, which orders them alike.
func halfRange(vt quant.Type, f []float32) magRange {
	half := quant.F32ToF16
	switch vt {
	case quant.BF16:
		half = quant.F32ToBF16
	case quant.F32:
		return noRange
	}
	lo, hi := absRange(f)
	r := magRange{lo: math.MaxUint32, hi: uint32(half(math.Float32frombits(hi)))}
	if lo != math.MaxUint32 {
		r.lo = uint32(half(math.Float32frombits(lo)))
	}
	return r
}

// absRangeGeneric returns the least nonzero and the greatest float32
// magnitude bit pattern (sign cleared) of x; lo = MaxUint32 if every value
// is ±0.
func absRangeGeneric(x []float32) (lo, hi uint32) {
	lo = math.MaxUint32
	for _, v := range x {
		m := math.Float32bits(v) &^ (1 << 31)
		hi = max(hi, m)
		if m != 0 {
			lo = min(lo, m)
		}
	}
	return lo, hi
}

// absRange is absRangeGeneric with the dispatched kernel for multiples of 8.
func absRange(x []float32) (lo, hi uint32) {
	n := len(x) &^ 7
	lo, hi = math.MaxUint32, 0
	if n > 0 && absRange8 != nil {
		lo, hi = absRange8(x[:n])
		x = x[n:]
	}
	l, h := absRangeGeneric(x)
	return min(lo, l), max(hi, h)
}

// pairCodes returns the codes with each pair of groups interleaved per
// 4-element step, the matrix tile's layout (i8TileW.y), an odd last group
// paired with itself. It is built once per quantization, when the first
// product plans (planQ runs before its items, never concurrently).
func (a *Activations) pairCodes() []byte {
	if a.pairsOK {
		return a.qp
	}
	pairs, step, glen := (a.groups+1)/2, 4*lanes, a.cols*lanes
	a.qp = grow(a.qp, pairs*2*glen)
	for p := range pairs {
		ga, gb := 2*p, min(2*p+1, a.groups-1)
		src0, src1 := a.q[ga*glen:(ga+1)*glen], a.q[gb*glen:(gb+1)*glen]
		dst := a.qp[p*2*glen : (p+1)*2*glen]
		for k := range a.cols / 4 {
			copy(dst[2*k*step:(2*k+1)*step], src0[k*step:(k+1)*step])
			copy(dst[(2*k+1)*step:(2*k+2)*step], src1[k*step:(k+1)*step])
		}
	}
	a.pairsOK = true
	return a.qp
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// quantizeLane converts one vector (nil: a padding lane, all zero) into lane
// l of group g, for the integer vec_dot types; codes is scratch of 256
// bytes.
func (a *Activations) quantizeLane(g, l int, x []float32, codes []byte) {
	cols := a.cols
	q := a.q[g*cols*lanes : (g+1)*cols*lanes]
	sb := cols / a.nblk
	for b := range a.nblk {
		c := codes[:sb]
		var d, s float32
		var sum int32
		switch {
		case x == nil:
			clear(c)
		case a.vt == quant.Q8_K:
			d = quantQ8KBlock(x[b*sb:(b+1)*sb], c)
		default:
			d, s, sum = quantQ8_0x86Block(x[b*sb:(b+1)*sb], c)
		}
		// step k of the block (elements 4k..4k+3) goes to lane l of step b·sb/4+k
		dst := q[b*sb*lanes+4*l:]
		for k := range sb / 4 {
			binary.LittleEndian.PutUint32(dst[k*4*lanes:], binary.LittleEndian.Uint32(c[4*k:]))
		}
		di := (g*a.nblk+b)*lanes + l
		a.d[di] = d
		if a.vt == quant.Q8_1 {
			a.s[di] = s
		}
		if a.vt == quant.Q8_0 {
			a.sy[di] = sum
		}
		if a.vt == quant.Q8_K {
			bs := a.bs[(g*a.nblk+b)*8*lanes:]
			for p := range 8 {
				var s0, s1 int32
				for j := range 16 {
					s0 += int32(int8(c[32*p+j]))
					s1 += int32(int8(c[32*p+16+j]))
				}
				bs[p*lanes+l] = pair2(s0, s1)
			}
		}
	}
}

// roundCode rounds v to the nearest integer, ties to even, clamped to ±127;
// NaN gives −127 (as vmaxps does in the AVX2 twin). For |v| ≤ 127 adding
// 1.5·2^23 makes the float32 addition round at the units place (ggml's
// nearest_int).
func roundCode(v float32) int8 {
	switch {
	case !(v >= -127): // also NaN
		return -127
	case v > 127:
		return 127
	}
	return int8(int32(math.Float32bits(v+12582912)&0x7fffff) - 0x400000)
}

// absMaxGeneric returns max |x[i]|, ignoring NaNs (0 if there is none).
func absMaxGeneric(x []float32) float32 {
	var m float32
	for _, v := range x {
		if a := abs32(v); a > m {
			m = a
		}
	}
	return m
}

// quantScaleGeneric sets q[i] = roundCode(x[i]·scale) and returns Σq.
func quantScaleGeneric(x []float32, scale float32, q []byte) int32 {
	q = q[:len(x)]
	var sum int32
	for i, v := range x {
		c := roundCode(v * scale)
		q[i] = byte(c)
		sum += int32(c)
	}
	return sum
}

// quantQ8_0x86Block quantizes 32 values as ggml-cpu's AVX2 quantize_row_q8_0
// (and quantize_row_q8_1): amax = max|x|, stored d = f16(amax/127),
// q = round-half-even(x·(127/amax)). It returns d widened back to float32 and
// Q8_1's s = f16(d·Σq) widened (computed from the unrounded d, as ggml does),
// and Σq.
func quantQ8_0x86Block(x []float32, q []byte) (d, s float32, sum int32) {
	amax := absMax(x[:32])
	dd := amax / 127
	var id float32
	if amax != 0 {
		id = 127 / amax
	}
	sum = quantScale(x[:32], id, q[:32])
	d = quant.F16ToF32(quant.F32ToF16(dd))
	s = quant.F16ToF32(quant.F32ToF16(dd * float32(sum)))
	return d, s, sum
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// quantQ8KBlock quantizes 256 values as quantize_row_q8_K_ref: max is the
// first value of largest magnitude, iscale = −127/max, q = min(127,
// nearest_int(iscale·x)) (round half to even), d = 1/iscale; all zero if
// max = 0.
func quantQ8KBlock(x []float32, q []byte) (d float32) {
	x = x[:256]
	amax := absMax(x)
	if amax == 0 {
		clear(q)
		return 0
	}
	var mx float32
	for _, v := range x { // the first value of largest magnitude
		if abs32(v) == amax {
			mx = v
			break
		}
	}
	iscale := -127 / mx
	quantScale(x, iscale, q[:256])
	return 1 / iscale
}
