package quant_test

import (
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// BenchmarkDequantize reports throughput in MB/s of float32 output
// (4 bytes per element), one 1 Mi-element row per op.
func BenchmarkDequantize(b *testing.B) {
	const n = 1 << 20
	x := normal(5, n, 1)
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_1,
		quant.Q5_0, quant.Q5_1, quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			rs, err := quant.RowSize(typ, n)
			if err != nil {
				b.Fatal(err)
			}
			src := make([]byte, rs)
			if quant.Supported(typ) {
				if err := quant.Quantize(typ, x, src); err != nil {
					b.Fatal(err)
				}
			} else {
				for i := range src {
					src[i] = byte(i * 2654435761 >> 13)
				}
			}
			dst := make([]float32, n)
			b.SetBytes(4 * n)
			for b.Loop() {
				if err := quant.Dequantize(typ, src, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuantize reports MB/s of float32 input.
func BenchmarkQuantize(b *testing.B) {
	const n = 1 << 16
	x := normal(6, n, 1)
	for _, typ := range []quant.Type{quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.Q8_K} {
		b.Run(typ.String(), func(b *testing.B) {
			rs, _ := quant.RowSize(typ, n)
			dst := make([]byte, rs)
			b.SetBytes(4 * n)
			for b.Loop() {
				if err := quant.Quantize(typ, x, dst); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
