package quant_test

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// A second, deliberately naive dequantizer: one element at a time, its
// value computed from the element index with the bit positions of
// ggml-common.h spelled out (no loops over sub-blocks, no shared helpers
// with the package). Multiplication order follows dequantize_row_*, so the
// results must be bitwise equal to Dequantize on arbitrary bytes.

func h16(b []byte) float32 { return quant.F16ToF32(binary.LittleEndian.Uint16(b)) }

func nib(b byte, high bool) int {
	if high {
		return int(b >> 4)
	}
	return int(b & 15)
}

func refElem(t quant.Type, b []byte, i int) float32 {
	switch t {
	case quant.Q4_0:
		return float32(nib(b[2+i%16], i >= 16)-8) * h16(b)
	case quant.Q4_1:
		return float32(float32(nib(b[4+i%16], i >= 16))*h16(b)) + h16(b[2:])
	case quant.Q5_0:
		qh := binary.LittleEndian.Uint32(b[2:])
		q := nib(b[6+i%16], i >= 16) + int(qh>>i&1)*16
		return float32(q-16) * h16(b)
	case quant.Q5_1:
		qh := binary.LittleEndian.Uint32(b[4:])
		q := nib(b[8+i%16], i >= 16) + int(qh>>i&1)*16
		return float32(float32(q)*h16(b)) + h16(b[2:])
	case quant.Q8_0:
		return float32(int8(b[2+i])) * h16(b)
	case quant.Q8_1:
		return float32(int8(b[4+i])) * h16(b)
	case quant.Q8_K:
		return math.Float32frombits(binary.LittleEndian.Uint32(b)) * float32(int8(b[4+i]))
	case quant.Q2_K: // scales[16] qs[64] d dmin
		sc := b[i/16]
		q := int(b[16+32*(i/128)+i%32]) >> (2 * (i % 128 / 32)) & 3
		d, m := h16(b[80:]), h16(b[82:])
		return float32(float32(d*float32(sc&15))*float32(q)) - float32(m*float32(sc>>4))
	case quant.Q3_K: // hmask[32] qs[64] scales[12] d
		s := b[96:108]
		j := i / 16
		lo := int(s[j%8]) >> (4 * (j / 8)) & 15
		hi := int(s[8+j%4]) >> (2 * (j / 4)) & 3
		q := int(b[32+32*(i/128)+i%32])>>(2*(i%128/32))&3 - 4
		if b[i%32]>>(i/32)&1 == 1 {
			q += 4
		}
		return float32(h16(b[108:])*float32(lo|hi<<4-32)) * float32(q)
	case quant.Q4_K, quant.Q5_K: // d dmin scales[12] [qh[32]] qs[128]
		s := b[4:16]
		j := i / 32
		var sc, m int
		if j < 4 {
			sc, m = int(s[j]&63), int(s[j+4]&63)
		} else {
			sc = int(s[j+4]&15) | int(s[j-4]>>6)<<4
			m = int(s[j+4]>>4) | int(s[j]>>6)<<4
		}
		qs := b[16:]
		if t == quant.Q5_K {
			qs = b[48:]
		}
		q := nib(qs[32*(i/64)+i%32], i%64 >= 32)
		if t == quant.Q5_K {
			q += int(b[16+i%32]>>j&1) * 16
		}
		d, dmin := h16(b), h16(b[2:])
		return float32(float32(d*float32(sc))*float32(q)) - float32(dmin*float32(m))
	case quant.Q6_K: // ql[128] qh[64] scales[16] d
		h, l, g := i/128, i%32, i%128/32
		ql := b[64*h+32*(g%2)+l]
		q := nib(ql, g >= 2) | int(b[128+32*h+l]>>(2*g)&3)<<4
		sc := int8(b[192+8*h+l/16+2*g])
		return h16(b[208:]) * float32(sc) * float32(q-32)
	}
	panic("no reference for " + t.String())
}

// TestDequantizeMatchesNaive compares Dequantize with refElem on random
// blocks (random bytes, with every f16 field replaced by a random finite
// half so that no NaN hides a difference).
func TestDequantizeMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	f16Fields := map[quant.Type][]int{
		quant.Q4_0: {0}, quant.Q4_1: {0, 2}, quant.Q5_0: {0}, quant.Q5_1: {0, 2},
		quant.Q8_0: {0}, quant.Q8_1: {0, 2}, quant.Q2_K: {80, 82}, quant.Q3_K: {108},
		quant.Q4_K: {0, 2}, quant.Q5_K: {0, 2}, quant.Q6_K: {208}, quant.Q8_K: nil,
	}
	for typ, fields := range f16Fields {
		const nblk = 64
		bs, ts := typ.BlockSize(), typ.TypeSize()
		src := make([]byte, nblk*ts)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		for b := range nblk {
			for _, o := range fields {
				h := uint16(r.Uint32()) &^ 0x4000 // exponent < 16: finite, |v| < 2
				binary.LittleEndian.PutUint16(src[b*ts+o:], h)
			}
			if typ == quant.Q8_K {
				binary.LittleEndian.PutUint32(src[b*ts:], math.Float32bits(float32(r.NormFloat64())))
			}
		}
		dst := make([]float32, nblk*bs)
		if err := quant.Dequantize(typ, src, dst); err != nil {
			t.Fatal(err)
		}
		for i, got := range dst {
			want := refElem(typ, src[i/bs*ts:], i%bs)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("%s element %d: %g, naive %g", typ, i, got, want)
			}
		}
	}
}
