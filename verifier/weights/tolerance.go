package weights

import (
	"encoding/binary"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// The quantization bound of one element (see the package doc, "The bound").
//
// tolerance(t, src, dst) writes, for every element of the whole blocks src
// of type t, how far a quantization to t may put that element from the
// source values it was made from:
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
// their step is one unit in the last place of the value.
//
// Layouts are ggml-common.h's (as in package quant, which decodes them).
func tolerance(t quant.Type, src []byte, dst []float32) {
	switch t {
	case quant.F32:
		for i := range dst {
			dst[i] = abs(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))) * 0x1p-23
		}
	case quant.F16:
		for i := range dst {
			dst[i] = abs(quant.F16ToF32(binary.LittleEndian.Uint16(src[2*i:])))*0x1p-10 + 0x1p-24
		}
	case quant.BF16:
		for i := range dst {
			dst[i] = abs(quant.BF16ToF32(binary.LittleEndian.Uint16(src[2*i:])))*0x1p-7 + 0x1p-126
		}
	case quant.Q4_0:
		legacy(src, dst, 18, 8, false)
	case quant.Q5_0:
		legacy(src, dst, 22, 16, false)
	case quant.Q8_0:
		legacy(src, dst, 34, 127, false)
	case quant.Q8_1:
		legacy(src, dst, 36, 127, false)
	case quant.Q4_1:
		legacy(src, dst, 20, 15, true)
	case quant.Q5_1:
		legacy(src, dst, 24, 31, true)
	case quant.Q4_K:
		kScaleMin(src, dst, 144, 15)
	case quant.Q5_K:
		kScaleMin(src, dst, 176, 31)
	case quant.Q6_K:
		kSigned(src, dst, 210, 208, 192, 16, 32, 128, func(sc []byte, j int) float32 { return float32(int8(sc[j])) })
	case quant.Q3_K:
		kSigned(src, dst, 110, 108, 96, 16, 4, 32, func(sc []byte, j int) float32 { return float32(q3kScale(sc, j)) })
	case quant.Q2_K:
		q2k(src, dst)
	case quant.Q8_K:
		for ; len(dst) >= quant.QK_K; src, dst = src[292:], dst[quant.QK_K:] {
			d := abs(math.Float32frombits(binary.LittleEndian.Uint32(src)))
			fill(dst[:quant.QK_K], d)
		}
	default:
		// Unreachable: Compare judges only types quant can decode. No
		// allowance is the safe answer.
		clear(dst)
	}
}

// f16Floor is the smallest F16 step; a scale below it is stored as 0.
const f16Floor = 0x1p-24

// halfUlp16 bounds the error of storing x as F16 (half an ulp, relative).
func halfUlp16(x float32) float32 { return abs(x)*0x1p-11 + f16Floor/2 }

// legacy: blocks of 32 with an F16 d (and F16 m if withMin), d at offset 0,
// m at 2; codes up to nmax in magnitude.
func legacy(src []byte, dst []float32, size int, nmax float32, withMin bool) {
	for ; len(dst) >= 32; src, dst = src[size:], dst[32:] {
		d := abs(f16(src))
		tol := d + nmax*(halfUlp16(d)+f16Floor)
		if withMin {
			tol += halfUlp16(f16(src[2:]))
		}
		fill(dst[:32], tol)
	}
}

// kScaleMin: Q4_K, Q5_K. F16 d and dmin, 8 sub-blocks of 32 with 6-bit
// scale sc and min m: y = d·sc·q − dmin·m, q in [0, nmax].
func kScaleMin(src []byte, dst []float32, size int, nmax float32) {
	for ; len(dst) >= quant.QK_K; src, dst = src[size:], dst[quant.QK_K:] {
		d, dmin := abs(f16(src)), abs(f16(src[2:]))
		round := nmax*d/2 + dmin/2 + 63*(nmax*halfUlp16(d)+halfUlp16(dmin)) + nmax*f16Floor
		for j := range 8 {
			sc, _ := scaleMinK4(j, src[4:16])
			fill(dst[32*j:32*j+32], d*float32(sc)+round)
		}
	}
}

// kSigned: Q6_K and Q3_K. An F16 d at dOff, 16 sub-blocks of 16 with a
// signed scale of at most scMax in magnitude (from scale(sc, j), sc at
// scOff), codes up to nmax in magnitude: y = d·scale·q.
func kSigned(src []byte, dst []float32, size, dOff, scOff int, nsub int, nmax, scMax float32, scale func([]byte, int) float32) {
	per := quant.QK_K / nsub
	for ; len(dst) >= quant.QK_K; src, dst = src[size:], dst[quant.QK_K:] {
		d := abs(f16(src[dOff:]))
		round := nmax*d/2 + scMax*nmax*halfUlp16(d) + nmax*f16Floor
		for j := range nsub {
			fill(dst[per*j:per*j+per], d*abs(scale(src[scOff:], j))+round)
		}
	}
}

// q2k: Q2_K. 16 sub-blocks of 16, 4-bit scale (low nibble) and min (high
// nibble) per sub-block, F16 d and dmin at 80 and 82, codes 0…3.
func q2k(src []byte, dst []float32) {
	for ; len(dst) >= quant.QK_K; src, dst = src[84:], dst[quant.QK_K:] {
		d, dmin := abs(f16(src[80:])), abs(f16(src[82:]))
		round := 3*d/2 + dmin/2 + 15*(3*halfUlp16(d)+halfUlp16(dmin)) + 3*f16Floor
		for j := range 16 {
			fill(dst[16*j:16*j+16], d*float32(src[j]&0xf)+round)
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

func fill(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}
