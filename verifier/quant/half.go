package quant

import "math"

// f16Table maps every IEEE binary16 bit pattern to its float32 value, like
// ggml's ggml_table_f32_f16. 256 KiB, built once at package initialization
// (a pure computation, about 0.2 ms).
var f16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = f16ToF32Slow(uint16(h))
	}
	return &t
}()

// F16ToF32 converts an IEEE 754 binary16 value to float32. The conversion is
// exact; NaN payloads are kept (shifted into the float32 mantissa).
func F16ToF32(h uint16) float32 { return f16Table[h] }

func f16ToF32Slow(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0: // zero or subnormal: mant·2^-24, exact in float32
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(v))
	default: // rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	}
}

// F32ToF16 converts f to IEEE 754 binary16, rounding to nearest, ties to
// even, like ggml's GGML_FP32_TO_FP16 (F16C's vcvtps2ph with rounding mode 0,
// or the portable ggml_compute_fp32_to_fp16 that llama-quantize uses).
// Values of magnitude ≥ 65520 become ±Inf, tiny values round to subnormals
// or ±0. NaN becomes the quiet NaN 0x7e00 with f's sign, as in the portable
// conversion (F16C would keep the top payload bits instead).
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return sign | 0x7e00
	case abs >= 0x477ff000: // ≥ 65520, halfway between 65504 and 2^16: rounds to Inf
		return sign | 0x7c00
	case abs >= 0x38800000: // ≥ 2^-14: normal binary16
		m := abs - 112<<23          // rebias exponent 127 -> 15
		m += 0xfff + (m>>13)&1      // round the 13 dropped bits to nearest even
		return sign | uint16(m>>13) // a mantissa carry correctly bumps the exponent
	default: // subnormal binary16 or zero: count units of 2^-24
		// f·2^24 is exact in float64; RoundToEven rounds it to the unit.
		// The result is ≤ 0x400, which is the smallest normal's encoding.
		q := math.RoundToEven(float64(math.Float32frombits(abs)) * (1 << 24))
		return sign | uint16(q)
	}
}

// BF16ToF32 converts a bfloat16 value (the upper half of a float32) to
// float32. It is exact.
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// F32ToBF16 converts f to bfloat16 as ggml_compute_fp32_to_bf16 does:
// round to nearest, ties to even, subnormals kept (not flushed), and a NaN
// quieted by setting bit 6 of the result while keeping sign and top payload.
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 64
	}
	return uint16((u + 0x7fff + (u>>16)&1) >> 16)
}
