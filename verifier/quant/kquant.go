package quant

import (
	"encoding/binary"
	"math"
)

// Row kernels for the K-quants (super-blocks of QK_K = 256 elements).
// Reference: llama.cpp ggml/src/ggml-quants.c (nearest_int,
// make_qx_quants, make_qkx2_quants, quantize_row_q{4,5,6}_K_ref,
// dequantize_row_q{2,3,4,5,6}_K, quantize_row_q8_K_ref); layouts in
// ggml/src/ggml-common.h.
//
// Every float32(a*b) below marks a product that the C code rounds before it
// is added; see the package doc on FMA.

// groupMaxEps is GROUP_MAX_EPS: a group whose largest |x| is below it is
// treated as all zero.
const groupMaxEps = 1e-15

// nearestInt is ggml's nearest_int: adding 1.5·2^23 pushes the fraction
// out of the float32 mantissa, so the addition itself rounds to nearest,
// ties to even. Valid for |f| < 2^22, which every caller guarantees for
// finite inputs. The float32(f) conversion keeps a product passed as f from
// being fused into the addition.
func nearestInt(f float32) int32 {
	v := float32(f) + 12582912
	return int32(math.Float32bits(v)&0x007fffff) - 0x00400000
}

func clamp(v, lo, hi int32) int32 { return max(lo, min(hi, v)) }

func sqrt32(f float32) float32 { return float32(math.Sqrt(float64(f))) } // correctly rounded, as sqrtf

// min32 and max32 are the C comparisons `if (x < min) min = x` and
// `if (x > max) max = x` (Go's builtin min/max treat NaN and ±0 differently).
func min32(a, b float32) float32 {
	if b < a {
		return b
	}
	return a
}

func max32(a, b float32) float32 {
	if b > a {
		return b
	}
	return a
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j (0…7) from the
// 12-byte scales field of Q4_K/Q5_K (get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

// Q2_K: u8 scales[16] (low nibble scale, high nibble min); u8 qs[64];
// f16 d; f16 dmin. 16 sub-blocks of 16 with 2-bit codes.

func dequantQ2_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[84:], dst[QK_K:] {
		scales, qs := src[0:16], src[16:80]
		d, dmin := f16At(src[80:]), f16At(src[82:])
		y, is := dst, 0
		for n := 0; n < QK_K; n += 128 {
			q := qs[n/4 : n/4+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for half := 0; half < 32; half += 16 {
					sc := scales[is]
					is++
					dl, ml := float32(d*float32(sc&0xf)), float32(dmin*float32(sc>>4))
					for l := range 16 {
						y[l] = float32(dl*float32(q[half+l]>>shift&3)) - ml
					}
					y = y[16:]
				}
			}
		}
	}
}

// Q3_K: u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 six-bit scales); f16 d.
// 16 sub-blocks of 16 with 3-bit codes: 2 low bits in qs, the high bit in
// hmask (set means +0, clear means −4).

func q3kScale(s []byte, j int) int32 {
	var lo uint8
	if j < 8 {
		lo = s[j] & 0xf
	} else {
		lo = s[j-8] >> 4
	}
	hi := s[8+j%4] >> (2 * (j / 4)) & 3
	return int32(lo|hi<<4) - 32
}

func dequantQ3_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[110:], dst[QK_K:] {
		hm, qs, scales := src[0:32], src[32:96], src[96:108]
		d := f16At(src[108:])
		y, is := dst, 0
		m := uint8(1)
		for n := 0; n < QK_K; n += 128 {
			q := qs[n/4 : n/4+32]
			for shift := uint(0); shift < 8; shift += 2 {
				for half := 0; half < 32; half += 16 {
					dl := float32(d * float32(q3kScale(scales, is)))
					is++
					for l := range 16 {
						v := int32(q[half+l] >> shift & 3)
						if hm[half+l]&m == 0 {
							v -= 4
						}
						y[l] = dl * float32(v)
					}
					y = y[16:]
				}
				m <<= 1
			}
		}
	}
}

// Q4_K: f16 d; f16 dmin; u8 scales[12]; u8 qs[128]. 8 sub-blocks of 32 with
// 6-bit scale and min; y = d·sc·q − dmin·m.

func dequantQ4_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[144:], dst[QK_K:] {
		d, dmin := f16At(src), f16At(src[2:])
		scales, qs := src[4:16], src[16:144]
		for c := range 4 { // 64-element chunks: low nibbles, then high nibbles
			sc1, m1 := scaleMinK4(2*c, scales)
			sc2, m2 := scaleMinK4(2*c+1, scales)
			d1, dm1 := float32(d*float32(sc1)), float32(dmin*float32(m1))
			d2, dm2 := float32(d*float32(sc2)), float32(dmin*float32(m2))
			q, y := qs[32*c:32*c+32], dst[64*c:64*c+64]
			for l, b := range q {
				y[l] = float32(d1*float32(b&0xf)) - dm1
				y[l+32] = float32(d2*float32(b>>4)) - dm2
			}
		}
	}
}

// quantKScales packs the 6-bit scales and mins of one super-block's 8
// sub-blocks into dst[0:16] (d and dmin as f16, then the scales; dst must be
// zero) and returns the packed scales and mins as floats, dj = d·sc and
// dm = dmin·m, with which quantize_row_q4_K_ref/q5_K_ref requantize.
func quantKScales(scales, mins []float32, dst []byte) (dj, dm [8]float32) {
	var maxScale, maxMin float32
	for j := range 8 {
		maxScale = max32(maxScale, scales[j])
		maxMin = max32(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := dst[4:16]
	for j := range 8 {
		ls := min(63, uint8(nearestInt(invScale*scales[j])))
		lm := min(63, uint8(nearestInt(invMin*mins[j])))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	putF16(dst, maxScale/63)
	putF16(dst[2:], maxMin/63)
	d, dmin := f16At(dst), f16At(dst[2:])
	for j := range 8 {
		s, m := scaleMinK4(j, sc)
		dj[j] = float32(d * float32(s))
		dm[j] = float32(dmin * float32(m))
	}
	return dj, dm
}

// kQuantRow quantizes a row of Q4_K or Q5_K super-blocks (bs bytes each),
// four at a time: make_qkx2_quants on their 32 sub-blocks of 32 with the
// weights av_x + |x| (av_x the RMS of the sub-block), lane j of kLanes being
// sub-block j (bitwise as makeQKX2, the scalar reference in
// kquant_ref_test.go, on each); then each super-block's scales are packed,
// its codes made (kqCodes: requantized with the packed scales, except in a
// sub-block whose packed scale is 0, which keeps the fitted codes) and
// packed.
func kQuantRow(src []float32, dst []byte, bs int, nmax int32, rmin, rdelta float32, nstep int) {
	var k kLanes // every field is written before it is read
	var st kqState
	for len(src) >= QK_K {
		n := min(4, len(src)/QK_K)
		scales, mins := k.fit(src, n, &st, nmax, rmin, rdelta, nstep)
		for b := range n {
			blk := dst[bs*b : bs*(b+1)]
			clear(blk)
			a := kqCodeArgs{nmax: nmax}
			a.dj, a.dm = quantKScales(scales[8*b:8*b+8], mins[8*b:8*b+8], blk)
			for j := range 8 {
				a.win[j], a.winLo[j] = st.win[8*b+j], st.winLo[8*b+j]
				switch {
				case a.dj[j] != 0:
					a.mode[j] = 0
				case st.live[8*b+j] != 0:
					a.mode[j] = 1
				default:
					a.mode[j] = 2
				}
			}
			var L [QK_K]uint8 // on the stack: packQ4_K/packQ5_K are called directly
			kqCodes((*[QK_K]float32)(src[QK_K*b:]), &a, &L)
			if bs == 144 {
				packQ4_K(&L, blk)
			} else {
				packQ5_K(&L, blk)
			}
		}
		src, dst = src[n*QK_K:], dst[n*bs:]
	}
}

// quantQ4_K is quantize_row_q4_K_ref.
func quantQ4_K(src []float32, dst []byte) {
	kQuantRow(src, dst, 144, 15, -1, 0.1, 20)
}

// packQ4KGeneric stores the codes as nibbles: low for the first 32 of
// each 64, high for the next (packQ4_K dispatches).
func packQ4KGeneric(L *[QK_K]uint8, dst []byte) {
	qs := dst[16:144]
	for c := range 4 {
		for l := range 32 {
			qs[32*c+l] = L[64*c+l] | L[64*c+l+32]<<4
		}
	}
}

// Q5_K: f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]. As Q4_K with
// a fifth bit per element in qh: bit 2c of qh[l] for element 64c+l, bit 2c+1
// for element 64c+32+l.

func dequantQ5_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[176:], dst[QK_K:] {
		d, dmin := f16At(src), f16At(src[2:])
		scales, qh, qs := src[4:16], src[16:48], src[48:176]
		for c := range 4 {
			sc1, m1 := scaleMinK4(2*c, scales)
			sc2, m2 := scaleMinK4(2*c+1, scales)
			d1, dm1 := float32(d*float32(sc1)), float32(dmin*float32(m1))
			d2, dm2 := float32(d*float32(sc2)), float32(dmin*float32(m2))
			q, y := qs[32*c:32*c+32], dst[64*c:64*c+64]
			for l, b := range q {
				h := qh[l] >> (2 * c)
				y[l] = float32(d1*float32(b&0xf|(h&1)<<4)) - dm1
				y[l+32] = float32(d2*float32(b>>4|(h>>1&1)<<4)) - dm2
			}
		}
	}
}

// quantQ5_K is quantize_row_q5_K_ref.
func quantQ5_K(src []float32, dst []byte) {
	kQuantRow(src, dst, 176, 31, -0.5, 0.1, 15)
}

// packQ5KGeneric is packQ4KGeneric with the fifth bits in qh; dst must
// be cleared (packQ5_K dispatches).
func packQ5KGeneric(L *[QK_K]uint8, dst []byte) {
	qh, qs := dst[16:48], dst[48:176]
	for c := range 4 {
		for l := range 32 {
			l1, l2 := L[64*c+l], L[64*c+l+32]
			qh[l] |= (l1>>4&1)<<(2*c) | (l2>>4&1)<<(2*c+1)
			qs[32*c+l] = l1&0xf | (l2&0xf)<<4
		}
	}
}

// Q6_K: u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d. 16 sub-blocks of 16,
// 6-bit codes (4 low bits in ql, 2 high bits in qh), y = d·scale·(q−32).

func dequantQ6_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[210:], dst[QK_K:] {
		d := f16At(src[208:])
		for h := range 2 { // two halves of 128
			ql, qh := src[64*h:64*h+64], src[128+32*h:128+32*h+32]
			sc := src[192+8*h : 192+8*h+8]
			y := dst[128*h : 128*h+128]
			for l := range 32 {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = d * float32(int8(sc[is])) * float32(q1)
				y[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
		}
	}
}

// quantQ6_K is quantize_row_q6_K_ref: makeQX on the 16 sub-blocks at once
// (qxLanes), the scales packed as int8, the codes requantized with them
// (qxFinal; a sub-block whose packed scale is 0 keeps the fitted codes).
func quantQ6_K(src []float32, dst []byte) {
	var q qxLanes // every field is written before it is read
	for ; len(src) >= QK_K; src, dst = src[QK_K:], dst[210:] {
		clear(dst[:210])
		scales := q.fit((*[QK_K]float32)(src), 32)
		var maxScale, maxAbsScale float32
		for ib := range 16 {
			if a := abs32(scales[ib]); a > maxAbsScale {
				maxAbsScale, maxScale = a, scales[ib]
			}
		}
		if maxAbsScale < groupMaxEps {
			continue // an all-zero block, d = 0
		}
		iscale := -128 / maxScale
		putF16(dst[208:], 1/iscale)
		sc := dst[192:208]
		d := f16At(dst[208:])
		var dj [16]float32
		for ib := range 16 {
			sc[ib] = uint8(int8(min(127, nearestInt(iscale*scales[ib]))))
			dj[ib] = float32(d * float32(int8(sc[ib])))
		}
		qxFinal(&q, &dj)
		qxPack(&q, (*[192]byte)(dst))
	}
}

// Q8_K: f32 d; i8 qs[256]; i16 bsums[16] (sums of 16 consecutive codes).
// Used for activations only; y = d·q.

func dequantQ8_K(src []byte, dst []float32) {
	for ; len(dst) >= QK_K; src, dst = src[292:], dst[QK_K:] {
		d := math.Float32frombits(binary.LittleEndian.Uint32(src))
		for j, q := range src[4:260] {
			dst[j] = d * float32(int8(q))
		}
	}
}

// quantQ8_K is quantize_row_q8_K_ref (also ggml-cpu's quantize_row_q8_K on
// x86 and ARM): iscale = −127/max with max the signed value of largest
// magnitude, q = min(127, nearest_int(iscale·x)), d = 1/iscale. For an
// all-zero block the reference leaves bsums unwritten; here they are 0.
func quantQ8_K(src []float32, dst []byte) {
	for ; len(src) >= QK_K; src, dst = src[QK_K:], dst[292:] {
		x := src[:QK_K]
		amax, max := absMaxSigned(x)
		if amax == 0 {
			clear(dst[:292])
			continue
		}
		iscale := -127 / max
		qs := dst[4:260]
		for j, v := range x {
			qs[j] = uint8(int8(min(127, nearestInt(iscale*v))))
		}
		for j := range 16 {
			var sum int32
			for _, q := range qs[16*j : 16*j+16] {
				sum += int32(int8(q))
			}
			binary.LittleEndian.PutUint16(dst[260+2*j:], uint16(int16(sum)))
		}
		binary.LittleEndian.PutUint32(dst, math.Float32bits(1/iscale))
	}
}
