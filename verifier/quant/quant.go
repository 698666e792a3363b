package quant

import (
	"errors"
	"fmt"
)

// Error classes, for errors.Is.
var (
	// ErrUnsupported: the type is unknown or has no kernel in this direction.
	ErrUnsupported = errors.New("unsupported type")
	// ErrLength: the element count is not a whole number of blocks, or the
	// byte slice does not hold exactly that many blocks.
	ErrLength = errors.New("bad length")
)

type kernels struct {
	dequant func(src []byte, dst []float32)
	quant   func(src []float32, dst []byte) // nil: dequantize only
}

var kernelTable = map[Type]kernels{
	F32:  {dequantF32, quantF32},
	F16:  {dequantF16, quantF16},
	BF16: {dequantBF16, quantBF16},
	Q4_0: {dequantQ4_0, quantQ4_0},
	Q4_1: {dequantQ4_1, quantQ4_1},
	Q5_0: {dequantQ5_0, quantQ5_0},
	Q5_1: {dequantQ5_1, quantQ5_1},
	Q8_0: {dequantQ8_0, quantQ8_0},
	Q8_1: {dequantQ8_1, quantQ8_1},
	Q2_K: {dequantQ2_K, nil},
	Q3_K: {dequantQ3_K, nil},
	Q4_K: {dequantQ4_K, quantQ4_K},
	Q5_K: {dequantQ5_K, quantQ5_K},
	Q6_K: {dequantQ6_K, quantQ6_K},
	Q8_K: {dequantQ8_K, quantQ8_K},
}

// Supported reports whether both Dequantize and Quantize handle t.
// (Q2_K and Q3_K are dequantize-only: Supported is false for them, and
// Dequantize still accepts them.)
func Supported(t Type) bool { return kernelTable[t].quant != nil }

// CanDequantize reports whether Dequantize handles t.
func CanDequantize(t Type) bool { return kernelTable[t].dequant != nil }

// checkLengths validates a row of n elements of t stored in nbytes bytes.
func checkLengths(op string, t Type, n, nbytes int) error {
	bs := t.BlockSize()
	if n%bs != 0 {
		return fmt.Errorf("quant: %s %s: %d elements is not a whole number of blocks of %d: %w", op, t, n, bs, ErrLength)
	}
	if want := n / bs * t.TypeSize(); nbytes != want {
		return fmt.Errorf("quant: %s %s: %d bytes for %d elements, want %d: %w", op, t, nbytes, n, want, ErrLength)
	}
	return nil
}

// Dequantize decodes len(dst) elements of type t from src into dst, exactly
// as llama.cpp's dequantize_row_* (bit-identical float32 results).
// len(dst) must be a whole number of t's blocks and len(src) must equal
// RowSize(t, len(dst)); otherwise, or if t cannot be dequantized, it returns
// an error naming the type and nothing is written.
func Dequantize(t Type, src []byte, dst []float32) error {
	k := kernelTable[t]
	if k.dequant == nil {
		return fmt.Errorf("quant: dequantize %s: %w", t, ErrUnsupported)
	}
	if err := checkLengths("dequantize", t, len(dst), len(src)); err != nil {
		return err
	}
	k.dequant(src, dst)
	return nil
}

// Quantize encodes src into dst as type t, bit-identical to llama.cpp's
// quantize_row_*_ref without importance matrix (what `llama-quantize --pure`
// writes for t; for F16/BF16, ggml_fp32_to_fp16_row / _bf16_row_ref).
// len(src) must be a whole number of t's blocks and len(dst) must equal
// RowSize(t, len(src)); otherwise, or if t has no quantizer, it returns an
// error naming the type and nothing is written. Blocks are independent, so
// any split of a tensor into rows gives the same bytes.
func Quantize(t Type, src []float32, dst []byte) error {
	k := kernelTable[t]
	if k.quant == nil {
		return fmt.Errorf("quant: quantize %s: %w", t, ErrUnsupported)
	}
	if err := checkLengths("quantize", t, len(src), len(dst)); err != nil {
		return err
	}
	k.quant(src, dst)
	return nil
}

// Activation quantizers for verifier/matmul. They mirror what llama.cpp's
// CPU backend does to the activation vector before an integer dot product
// (ggml-cpu's vec_dot_type: Q8_0 for Q4_0/Q5_0/Q8_0 weights, Q8_1 for
// Q4_1/Q5_1, Q8_K for the K-quants). The lengths come from the caller, so a
// wrong length is a programmer error and panics.

func mustLengths(t Type, n, nbytes int) {
	if err := checkLengths("quantize", t, n, nbytes); err != nil {
		panic(err)
	}
}

// QuantizeQ8_0 quantizes src to Q8_0 blocks (f16 d; i8 qs[32]) as
// quantize_row_q8_0_ref: d = amax/127, q = roundf(x·(1/d)) with ties away
// from zero. It panics unless len(src)%32 == 0 and len(dst) == len(src)/32·34.
func QuantizeQ8_0(src []float32, dst []byte) {
	mustLengths(Q8_0, len(src), len(dst))
	quantQ8_0(src, dst)
}

// QuantizeQ8_0X86 quantizes src to Q8_0 blocks as ggml-cpu's
// quantize_row_q8_0 does on x86 builds with AVX or later (presumably the
// path behind the reference logits in ../shared/testdata, made on an
// AVX-512 machine): the stored d is still
// amax/127, but q = round-half-even(x·(127/amax)). It differs from
// QuantizeQ8_0 only on rare ties and last-bit differences of the multiplier.
// (ggml's ARM NEON path is a third variant: 1/d with ties to even.)
// Same length contract as QuantizeQ8_0.
func QuantizeQ8_0X86(src []float32, dst []byte) {
	mustLengths(Q8_0, len(src), len(dst))
	quantQ8_0X86(src, dst)
}

// QuantizeQ8_1 quantizes src to Q8_1 blocks (f16 d; f16 s = d·Σq;
// i8 qs[32]) as quantize_row_q8_1_ref. It panics unless len(src)%32 == 0
// and len(dst) == len(src)/32·36.
func QuantizeQ8_1(src []float32, dst []byte) {
	mustLengths(Q8_1, len(src), len(dst))
	quantQ8_1(src, dst)
}

// QuantizeQ8_K quantizes src to Q8_K blocks (f32 d; i8 qs[256];
// i16 bsums[16], little-endian) as quantize_row_q8_K_ref, which is also
// what ggml-cpu uses on x86 and ARM. It panics unless len(src)%256 == 0 and
// len(dst) == len(src)/256·292.
func QuantizeQ8_K(src []float32, dst []byte) {
	mustLengths(Q8_K, len(src), len(dst))
	quantQ8_K(src, dst)
}
