package weights

import (
	"encoding/binary"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// The quantization bound of one element (see the package doc, "The bound").
//
// tolerance(t, src, vals, e) writes into e.tol, for every element of the
// whole blocks src of type t (decoded: vals), how far a quantization to t
// may put that element from the source values it was made from:
//
//	one step of the element's block or sub-block (the code spacing d·sc)
//	+ the error that rounding the block's scales to their stored precision
//	  can cause at the ends of the code range (K-quants: 6-bit sub-block
//	  scales and mins, so nmax·d/2 + dmin/2; Q6_K, Q3_K: 8- and 6-bit
//	  signed scales; every type: the F16 rounding of d and m)
//	+ an absolute floor: values too small for an F16 scale (a block whose
//	  d underflows stores zeros).
//
// Rounding to nearest costs half a step; the other half covers the clamping
// at the block's edge that the scale searches of the K-quant and
// importance-weighted quantizers accept (make_qkx2_quants tries scales that
// map the extreme value up to one code past the range), and the least-
// squares refit of scale and min that follows. Float types have no block:
// their step is one unit in the last place of the value. e.out gets the
// outward allowance of elements at an end of their block's code range
// (clampExtra).
//
// Layouts are ggml-common.h's (as in package quant, which decodes them).
func tolerance(t quant.Type, src []byte, vals []float32, e ends) {
	switch t {
	case quant.F32:
		for i, v := range vals {
			e.tol[i], e.out[i] = abs(v)*0x1p-23, 0
		}
	case quant.F16:
		for i, v := range vals {
			e.tol[i], e.out[i] = abs(v)*0x1p-10+f16Floor, 0
		}
	case quant.BF16:
		for i, v := range vals {
			e.tol[i], e.out[i] = abs(v)*0x1p-7+0x1p-126, 0
		}
	case quant.Q4_0:
		legacy(src, vals, e, 18, -8, 7, false)
	case quant.Q5_0:
		legacy(src, vals, e, 22, -16, 15, false)
	case quant.Q8_0:
		legacy(src, vals, e, 34, -127, 127, false)
	case quant.Q8_1:
		legacy(src, vals, e, 36, -127, 127, false)
	case quant.Q4_1:
		legacy(src, vals, e, 20, 0, 15, true)
	case quant.Q5_1:
		legacy(src, vals, e, 24, 0, 31, true)
	case quant.Q4_K:
		kScaleMin(src, vals, e, 144, 15)
	case quant.Q5_K:
		kScaleMin(src, vals, e, 176, 31)
	case quant.Q6_K:
		kSigned(src, vals, e, 210, 208, 192, 16, -32, 31, 128, func(sc []byte, j int) float32 { return float32(int8(sc[j])) })
	case quant.Q3_K:
		kSigned(src, vals, e, 110, 108, 96, 16, -4, 3, 32, func(sc []byte, j int) float32 { return float32(q3kScale(sc, j)) })
	case quant.Q2_K:
		q2k(src, vals, e)
	case quant.Q8_K:
		for i := 0; i+quant.QK_K <= len(vals); i += quant.QK_K {
			d := math.Float32frombits(binary.LittleEndian.Uint32(src[292*(i/quant.QK_K):]))
			e.block(vals, i, i+quant.QK_K, abs(d), 0, -128*d, 127*d)
		}
	default:
		// Unreachable: Compare judges only types quant can decode. No
		// allowance is the safe answer.
		clear(e.tol[:len(vals)])
		clear(e.out[:len(vals)])
	}
}

// ends are tolerance's outputs: per element the bound tol, and out, the
// extra allowance of an element at an end of its block's code range in
// the outward direction (the sign of out: + at the top, − at the bottom).
type ends struct{ tol, out []float32 }

// clampExtra is the outward allowance, in steps, of an element at an end
// of its block's range. Quantizers with a scale search accept clamping the
// block's extreme values when that lowers the (weighted) error; with
// importance weights that neglect an extreme element it is clamped by more
// than a step. Measured on an imatrix-style Q4_K (TestOtherRoutes): without
// this allowance, clamped elements reached 1.46× the regular bound
// (importances over two decades); with 2 steps, the worst element over
// three decades is 0.67 of the bound. Clamping only ever pulls an extreme
// value in, so the allowance is granted outward only.
const clampExtra = 2

// block sets the bounds of elements [i0, i1) of one (sub-)block with code
// spacing step, rounding allowance round, and lowest and highest
// representable values lo, hi (in either order).
func (e ends) block(vals []float32, i0, i1 int, step, round, lo, hi float32) {
	lo, hi = min(lo, hi), max(lo, hi)
	tol, extra := step+round, clampExtra*step
	top, bottom := hi-step/4, lo+step/4
	if step == 0 {
		top, bottom = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i := i0; i < i1; i++ {
		v, out := vals[i], float32(0)
		if v >= top {
			out = extra
		} else if v <= bottom {
			out = -extra
		}
		e.tol[i], e.out[i] = tol, out
	}
}

// f16Floor is the smallest F16 step; a scale below it is stored as 0.
const f16Floor = 0x1p-24

// halfUlp16 bounds the error of storing x as F16 (half an ulp, relative).
func halfUlp16(x float32) float32 { return abs(x)*0x1p-11 + f16Floor/2 }

// legacy: blocks of 32 with an F16 d at offset 0 (and an F16 m at 2 if
// withMin); codes lo…hi: y = d·q (+ m).
func legacy(src []byte, vals []float32, e ends, size int, lo, hi float32, withMin bool) {
	for i := 0; i+32 <= len(vals); i, src = i+32, src[size:] {
		d, m := f16(src), float32(0)
		round := max(-lo, hi) * (halfUlp16(d) + f16Floor)
		if withMin {
			m = f16(src[2:])
			round += halfUlp16(m)
		}
		e.block(vals, i, i+32, abs(d), round, lo*d+m, hi*d+m)
	}
}

// kScaleMin: Q4_K, Q5_K. F16 d and dmin, 8 sub-blocks of 32 with 6-bit
// scale sc and min m: y = d·sc·q − dmin·m, q in [0, nmax].
func kScaleMin(src []byte, vals []float32, e ends, size int, nmax float32) {
	for i := 0; i+quant.QK_K <= len(vals); i, src = i+quant.QK_K, src[size:] {
		d, dmin := abs(f16(src)), abs(f16(src[2:]))
		round := nmax*d/2 + dmin/2 + 63*(nmax*halfUlp16(d)+halfUlp16(dmin)) + nmax*f16Floor
		for j := range 8 {
			sc, m := scaleMinK4(j, src[4:16])
			step, mn := d*float32(sc), dmin*float32(m)
			e.block(vals, i+32*j, i+32*j+32, step, round, -mn, nmax*step-mn)
		}
	}
}

// kSigned: Q6_K and Q3_K. An F16 d at dOff, nsub sub-blocks with a signed
// scale of at most scMax in magnitude (scale(sc, j), sc at scOff), codes
// lo…hi: y = d·scale·q.
func kSigned(src []byte, vals []float32, e ends, size, dOff, scOff, nsub int, lo, hi, scMax float32, scale func([]byte, int) float32) {
	per := quant.QK_K / nsub
	for i := 0; i+quant.QK_K <= len(vals); i, src = i+quant.QK_K, src[size:] {
		d := f16(src[dOff:])
		nmax := max(-lo, hi)
		round := nmax*abs(d)/2 + scMax*nmax*halfUlp16(d) + nmax*f16Floor
		for j := range nsub {
			step := d * scale(src[scOff:], j)
			e.block(vals, i+per*j, i+per*j+per, abs(step), round, lo*step, hi*step)
		}
	}
}

// q2k: Q2_K. 16 sub-blocks of 16, 4-bit scale (low nibble) and min (high
// nibble) per sub-block, F16 d and dmin at 80 and 82, codes 0…3.
func q2k(src []byte, vals []float32, e ends) {
	for i := 0; i+quant.QK_K <= len(vals); i, src = i+quant.QK_K, src[84:] {
		d, dmin := abs(f16(src[80:])), abs(f16(src[82:]))
		round := 3*d/2 + dmin/2 + 15*(3*halfUlp16(d)+halfUlp16(dmin)) + 3*f16Floor
		for j := range 16 {
			step, mn := d*float32(src[j]&0xf), dmin*float32(src[j]>>4)
			e.block(vals, i+16*j, i+16*j+16, step, round, -mn, 3*step-mn)
		}
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j of a Q4_K or
// Q5_K scales field (ggml's get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// q3kScale unpacks the signed 6-bit scale of sub-block j of Q3_K.
func q3kScale(s []byte, j int) int32 {
	lo := s[j%8] >> (4 * (j / 8)) & 0xf
	hi := s[8+j%4] >> (2 * (j / 4)) & 3
	return int32(lo|hi<<4) - 32
}

func f16(b []byte) float32 { return quant.F16ToF32(binary.LittleEndian.Uint16(b)) }

func abs(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
