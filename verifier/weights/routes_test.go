package weights

import (
	"encoding/binary"
	"math"
	"math/rand/v2"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Other routes to a quantized file than PoT's (llama-quantize's reference
// quantizers): each is a legitimate quantization of the same weights that
// PoT cannot reproduce, and must never be called a change.

// viaBF16 rounds every value to BF16 first, as converting a model to BF16
// before quantizing it does.
func viaBF16Route(t quant.Type, x []float32, out []byte) error {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = quant.BF16ToF32(quant.F32ToBF16(v))
	}
	return quant.Quantize(t, y, out)
}

// viaQ8 quantizes to Q8_0 first (a Q8_0 file requantized to a smaller
// type, as users do when only the Q8_0 is published).
func viaQ8(t quant.Type, x []float32, out []byte) error {
	if t == quant.Q8_0 || t.BlockSize() == 1 {
		return quant.Quantize(t, x, out)
	}
	q := make([]byte, len(x)/32*34)
	y := make([]float32, len(x))
	if err := quant.Quantize(quant.Q8_0, x, q); err != nil {
		return err
	}
	if err := quant.Dequantize(quant.Q8_0, q, y); err != nil {
		return err
	}
	return quant.Quantize(t, y, out)
}

// rtn quantizes Q4_0 and Q8_0 by plain round-to-nearest-even on the
// symmetric scale amax/7 (Q4_0, so that nothing clamps) or 127/amax (Q8_0,
// ggml-cpu's x86 variant); Q4_K with each sub-block's own min and max, no
// search; other types as PoT does.
func rtn(t quant.Type, x []float32, out []byte) error {
	switch t {
	case quant.Q4_0:
		for ; len(x) >= 32; x, out = x[32:], out[18:] {
			var amax float32
			for _, v := range x[:32] {
				amax = max(amax, abs(v))
			}
			d := amax / 7
			binary.LittleEndian.PutUint16(out, quant.F32ToF16(d))
			d = quant.F16ToF32(binary.LittleEndian.Uint16(out))
			code := func(v float32) uint8 {
				if d == 0 {
					return 8
				}
				return uint8(min(7, max(-8, math.RoundToEven(float64(v/d)))) + 8)
			}
			for j := range 16 {
				out[2+j] = code(x[j]) | code(x[j+16])<<4
			}
		}
		return nil
	case quant.Q8_0:
		quant.QuantizeQ8_0X86(x, out)
		return nil
	case quant.Q4_K:
		return quantQ4K(x, out, nil, false)
	}
	return quant.Quantize(t, x, out)
}

// imatrix returns a Q4_K quantizer in the style of llama.cpp's importance-
// matrix quantization: per element weights imp·√(σ²+x²) with random
// importances imp (log-uniform over two decades, seeded), a weighted search
// for each sub-block's scale and min, and weighted least-squares refits.
func imatrix(seed uint64) func(t quant.Type, x []float32, out []byte) error {
	return func(t quant.Type, x []float32, out []byte) error {
		if t != quant.Q4_K {
			return quant.Quantize(t, x, out)
		}
		r := rand.New(rand.NewPCG(seed, uint64(len(x))))
		w := make([]float32, len(x))
		for i := range w {
			w[i] = float32(math.Pow(10, 3*r.Float64()-1.5))
		}
		return quantQ4K(x, out, w, true)
	}
}

// quantQ4K is a Q4_K quantizer written for these tests (not llama.cpp's):
// per sub-block of 32 a scale s > 0 and min m ≥ 0 with x ≈ s·L − m, L in
// 0…15, chosen by weighted least squares over 21 candidate scales when
// search is set (weights imp·√(σ²+x²), or √(σ²+x²) if imp is nil), else
// from the sub-block's extremes; then the 6-bit super-block encoding.
func quantQ4K(x []float32, out []byte, imp []float32, search bool) error {
	for ; len(x) >= 256; x, out = x[256:], out[144:] {
		var scales, mins [8]float32
		var sig2 float32
		for _, v := range x[:256] {
			sig2 += v * v
		}
		sig2 /= 256
		for j := range 8 {
			xs := x[32*j : 32*j+32]
			w := make([]float32, 32)
			for i, v := range xs {
				w[i] = float32(math.Sqrt(float64(sig2 + v*v)))
				if imp != nil {
					w[i] *= imp[32*j+i]
				}
			}
			scales[j], mins[j] = fitSubBlock(xs, w, search)
		}
		encodeQ4K(x[:256], &scales, &mins, out[:144])
		if imp != nil {
			imp = imp[256:]
		}
	}
	return nil
}

// fitSubBlock returns scale and min for x ≈ scale·L − min.
func fitSubBlock(x, w []float32, search bool) (scale, mn float32) {
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	lo = min(lo, 0)
	if hi == lo {
		return 0, -lo
	}
	scale, mn = (hi-lo)/15, -lo
	if !search {
		return scale, mn
	}
	best := weightedErr(x, w, scale, mn)
	for is := -10; is <= 10; is++ {
		iscale := (15 + 0.1*float64(is)) / float64(hi-lo)
		// Codes for this trial scale, then the weighted least-squares
		// scale and offset for those codes.
		var sw, swl, swl2, swx, swlx float64
		for i, v := range x {
			l := math.Max(0, math.Min(15, math.Round(iscale*float64(v-lo))))
			wi := float64(w[i])
			sw += wi
			swl += wi * l
			swl2 += wi * l * l
			swx += wi * float64(v)
			swlx += wi * l * float64(v)
		}
		det := sw*swl2 - swl*swl
		if det <= 0 {
			continue
		}
		s := (sw*swlx - swl*swx) / det
		off := (swl2*swx - swl*swlx) / det // x ≈ s·L + off
		if off > 0 {
			off, s = 0, swlx/swl2
		}
		if s <= 0 {
			continue
		}
		if e := weightedErr(x, w, float32(s), float32(-off)); e < best {
			best, scale, mn = e, float32(s), float32(-off)
		}
	}
	return scale, mn
}

func weightedErr(x, w []float32, scale, mn float32) float64 {
	var e float64
	for i, v := range x {
		l := max(0, min(15, math.Round(float64((v+mn)/scale))))
		d := float64(v) - (float64(scale)*l - float64(mn))
		e += float64(w[i]) * d * d
	}
	return e
}

// encodeQ4K writes one Q4_K block (ggml-common.h block_q4_K): F16 d and
// dmin, twelve bytes of 6-bit sub-block scales and mins, 128 bytes of
// 4-bit codes recomputed with the rounded scales.
func encodeQ4K(x []float32, scales, mins *[8]float32, out []byte) {
	clear(out)
	var ms, mm float32
	for j := range 8 {
		ms, mm = max(ms, scales[j]), max(mm, mins[j])
	}
	binary.LittleEndian.PutUint16(out, quant.F32ToF16(ms/63))
	binary.LittleEndian.PutUint16(out[2:], quant.F32ToF16(mm/63))
	d := quant.F16ToF32(binary.LittleEndian.Uint16(out))
	dmin := quant.F16ToF32(binary.LittleEndian.Uint16(out[2:]))
	sc := out[4:16]
	var L [256]uint8
	for j := range 8 {
		ls, lm := uint8(0), uint8(0)
		if d > 0 {
			ls = uint8(min(63, math.Round(float64(scales[j]/d))))
		}
		if dmin > 0 {
			lm = uint8(min(63, math.Round(float64(mins[j]/dmin))))
		}
		if j < 4 {
			sc[j], sc[j+4] = ls, lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= ls >> 4 << 6
			sc[j] |= lm >> 4 << 6
		}
		step, off := d*float32(ls), dmin*float32(lm)
		for i, v := range x[32*j : 32*j+32] {
			if step > 0 {
				L[32*j+i] = uint8(max(0, min(15, math.Round(float64((v+off)/step)))))
			}
		}
	}
	qs := out[16:144]
	for c := range 4 {
		for l := range 32 {
			qs[32*c+l] = L[64*c+l] | L[64*c+l+32]<<4
		}
	}
}
