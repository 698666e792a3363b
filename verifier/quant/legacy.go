package quant

import (
	"encoding/binary"
	"math"
)

// Row kernels for the float types and the 32-element ("legacy") quants.
// Reference: llama.cpp ggml/src/ggml-quants.c, dequantize_row_q4_0 …
// quantize_row_q8_1_ref; layouts in ggml/src/ggml-common.h.
//
// Every kernel processes whole blocks; the caller (Dequantize, Quantize or
// the QuantizeQ8_* wrappers) has already checked that src and dst hold
// exactly the same number of blocks.

const qk = 32 // elements per block of Q4_0 … Q8_1

func f16At(b []byte) float32     { return F16ToF32(binary.LittleEndian.Uint16(b)) }
func putF16(b []byte, f float32) { binary.LittleEndian.PutUint16(b, F32ToF16(f)) }

// abs32 is fabsf: clears the sign bit.
func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

func dequantF32(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func quantF32(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func dequantF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = f16Table[binary.LittleEndian.Uint16(src[2*i:])]
	}
}

func quantF16(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToF16(v))
	}
}

func dequantBF16(src []byte, dst []float32) {
	for i := range dst {
		dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func quantBF16(src []float32, dst []byte) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], F32ToBF16(v))
	}
}

// absMaxSigned returns the largest |v| and the signed v that attains it
// first (strict >, as the C loops `if (amax < fabsf(v))`).
func absMaxSigned(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, max = a, v
		}
	}
	return amax, max
}

// minMax returns the smallest and largest element, starting from ±FLT_MAX
// as quantize_row_q4_1_ref does.
func minMax(x []float32) (lo, hi float32) {
	lo, hi = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	return lo, hi
}

// Q4_0: f16 d; u8 qs[16]. y[j] = d·((qs[j]&15)−8), y[j+16] = d·((qs[j]>>4)−8).

func dequantQ4_0(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[18:], dst[qk:] {
		d := f16At(src)
		qs := src[2:18]
		for j, q := range qs {
			dst[j] = float32(int32(q&0xf)-8) * d
			dst[j+16] = float32(int32(q>>4)-8) * d
		}
	}
}

func quantQ4_0(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[18:] {
		x := src[:qk]
		_, max := absMaxSigned(x)
		d := max / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		for j := range 16 {
			// (int8_t)(x*id + 8.5f) truncates toward zero, then MIN(15, ·).
			x0 := float32(x[j] * id)
			x1 := float32(x[j+16] * id)
			xi0 := min(15, int32(x0+8.5))
			xi1 := min(15, int32(x1+8.5))
			dst[2+j] = uint8(xi0)&0xf | uint8(xi1)<<4
		}
	}
}

// Q4_1: f16 d, m; u8 qs[16]. y = d·q + m.

func dequantQ4_1(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[20:], dst[qk:] {
		d, m := f16At(src), f16At(src[2:])
		for j, q := range src[4:20] {
			dst[j] = float32(float32(q&0xf)*d) + m
			dst[j+16] = float32(float32(q>>4)*d) + m
		}
	}
}

func quantQ4_1(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[20:] {
		x := src[:qk]
		lo, hi := minMax(x)
		d := (hi - lo) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		putF16(dst[2:], lo)
		for j := range 16 {
			x0 := float32((x[j] - lo) * id)
			x1 := float32((x[j+16] - lo) * id)
			xi0 := min(15, int32(x0+0.5))
			xi1 := min(15, int32(x1+0.5))
			dst[4+j] = uint8(xi0)&0xf | uint8(xi1)<<4
		}
	}
}

// Q5_0: f16 d; u32 qh (LE); u8 qs[16]. Element j's fifth bit is bit j of qh
// (j+16 for the high nibbles). y = d·(q−16).

func dequantQ5_0(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[22:], dst[qk:] {
		d := f16At(src)
		qh := binary.LittleEndian.Uint32(src[2:])
		for j, q := range src[6:22] {
			h0 := uint8(qh>>j) & 1 << 4
			h1 := uint8(qh>>(j+16)) & 1 << 4
			dst[j] = float32(int32(q&0xf|h0)-16) * d
			dst[j+16] = float32(int32(q>>4|h1)-16) * d
		}
	}
}

func quantQ5_0(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[22:] {
		x := src[:qk]
		_, max := absMaxSigned(x)
		d := max / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		var qh uint32
		for j := range 16 {
			x0 := float32(x[j] * id)
			x1 := float32(x[j+16] * id)
			xi0 := uint8(min(31, int32(x0+16.5)))
			xi1 := uint8(min(31, int32(x1+16.5)))
			dst[6+j] = xi0&0xf | (xi1&0xf)<<4
			qh |= uint32(xi0>>4&1) << j
			qh |= uint32(xi1>>4&1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(dst[2:], qh)
	}
}

// Q5_1: f16 d, m; u32 qh; u8 qs[16]. y = d·q + m.

func dequantQ5_1(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[24:], dst[qk:] {
		d, m := f16At(src), f16At(src[2:])
		qh := binary.LittleEndian.Uint32(src[4:])
		for j, q := range src[8:24] {
			h0 := uint8(qh>>j) & 1 << 4
			h1 := uint8(qh>>(j+16)) & 1 << 4
			dst[j] = float32(float32(q&0xf|h0)*d) + m
			dst[j+16] = float32(float32(q>>4|h1)*d) + m
		}
	}
}

func quantQ5_1(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[24:] {
		x := src[:qk]
		lo, hi := minMax(x)
		d := (hi - lo) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		putF16(dst[2:], lo)
		var qh uint32
		for j := range 16 {
			x0 := float32((x[j] - lo) * id)
			x1 := float32((x[j+16] - lo) * id)
			// (uint8_t)(x + 0.5f): no clamp in the reference.
			xi0 := uint8(int32(x0 + 0.5))
			xi1 := uint8(int32(x1 + 0.5))
			dst[8+j] = xi0&0xf | (xi1&0xf)<<4
			qh |= uint32(xi0>>4&1) << j
			qh |= uint32(xi1>>4&1) << (j + 16)
		}
		binary.LittleEndian.PutUint32(dst[4:], qh)
	}
}

// Q8_0: f16 d; i8 qs[32]. y = d·q.

func dequantQ8_0(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[34:], dst[qk:] {
		d := f16At(src)
		for j, q := range src[2:34] {
			dst[j] = float32(int8(q)) * d
		}
	}
}

// amaxRef is the amax loop of quantize_row_q8_0_ref: amax = MAX(amax, |v|).
func amaxRef(x []float32) float32 {
	var amax float32
	for _, v := range x {
		if a := abs32(v); !(amax > a) {
			amax = a
		}
	}
	return amax
}

// quantQ8_0 is quantize_row_q8_0_ref: d = amax/127, id = 1/d,
// q = roundf(x·id) (ties away from zero).
func quantQ8_0(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[34:] {
		x := src[:qk]
		d := amaxRef(x) / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		for j, v := range x {
			dst[2+j] = uint8(int8(math.Round(float64(v * id))))
		}
	}
}

// quantQ8_0X86 is ggml-cpu's quantize_row_q8_0 on x86 with AVX/AVX2/AVX-512
// (ggml-cpu-quants.c): d = amax/127 is stored, but the multiplier is
// id = 127/amax and the rounding is _MM_ROUND_NEAREST (ties to even).
func quantQ8_0X86(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[34:] {
		x := src[:qk]
		amax := amaxRef(x)
		putF16(dst, amax/127)
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		for j, v := range x {
			dst[2+j] = uint8(int8(math.RoundToEven(float64(v * id))))
		}
	}
}

// Q8_1: f16 d; f16 s = d·Σq; i8 qs[32]. y = d·q.

func dequantQ8_1(src []byte, dst []float32) {
	for ; len(dst) >= qk; src, dst = src[36:], dst[qk:] {
		d := f16At(src)
		for j, q := range src[4:36] {
			dst[j] = float32(int8(q)) * d
		}
	}
}

// quantQ8_1 is quantize_row_q8_1_ref.
func quantQ8_1(src []float32, dst []byte) {
	for ; len(src) >= qk; src, dst = src[qk:], dst[36:] {
		x := src[:qk]
		d := amaxRef(x) / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		putF16(dst, d)
		var sum int32
		for j, v := range x {
			q := int8(math.Round(float64(v * id)))
			dst[4+j] = uint8(q)
			sum += int32(q)
		}
		putF16(dst[2:], float32(sum)*d)
	}
}
