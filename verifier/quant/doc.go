// Package quant implements the ggml tensor element types that GGUF files
// store: their block layouts, dequantization, and quantizers that reproduce
// llama.cpp's own bit for bit, so that PoT can prove a file is a faithful
// requantization of a reference.
//
// # API
//
//	Dequantize(t, src, dst)  // blocks of type t -> float32
//	Quantize(t, src, dst)    // float32 -> blocks of type t
//	Supported(t)             // both directions available
//	CanDequantize(t)         // Dequantize available (adds Q2_K, Q3_K)
//	F16ToF32, F32ToF16, BF16ToF32, F32ToBF16   // scalar conversions
//	QuantizeQ8_0, QuantizeQ8_0X86, QuantizeQ8_1, QuantizeQ8_K // activations
//
// Dequantize and Quantize take whole rows: len(dst) (resp. len(src)) must be a
// whole number of blocks and the byte side must be exactly RowSize bytes.
// Blocks are independent, so callers may split a tensor by rows and work in
// parallel; every function is safe for concurrent use (the only package
// state is a read-only F16→F32 table).
//
// # What is reproduced
//
// Block layouts follow ggml/src/ggml-common.h. The algorithms are those of
// ggml/src/ggml-quants.c in llama.cpp (commit c392e50, Feb 2025, the one that
// made ../shared/testdata): dequantize_row_* and quantize_row_*_ref. Quantize
// is what `llama-quantize --pure` writes without an importance matrix
// (quantize_q4_K etc. fall back to quantize_row_*_ref when imatrix is NULL).
// It covers F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q4_K, Q5_K,
// Q6_K and Q8_K. Q2_K and Q3_K are dequantize-only.
//
// Verification: requantizing ../shared/testdata/qwen2-tiny-F32.gguf
// reproduces llama-quantize's F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K files
// byte for byte (every block). Q4_1, Q5_0, Q5_1, Q5_K, Q8_1 and Q8_K share
// their code paths with those (only constants and bit packing differ) and
// are checked by hand-computed blocks and round trips, not against
// llama.cpp output. Dequantization of every type is checked against a
// second, per-element implementation.
//
// Bit-exactness needs the C code's float32 rounding after every operation.
// llama-quantize's ggml-base library is compiled for plain x86-64 (no FMA),
// so every product is rounded before it is added. The Go compiler fuses
// x*y+z into one FMA instruction on arm64, ppc64le, s390x, riscv64 and on
// amd64 with GOAMD64=v3; the spec forbids that only across an explicit
// conversion. Every product that C rounds before an add is therefore
// written float32(x*y) here, which makes the results identical on every
// GOARCH (TestNoFusedMultiplyAdd inspects the arm64 assembly).
//
// # Speed
//
// The Q4_K/Q5_K scale search (make_qkx2_quants: 21 or 16 candidate scales
// per sub-block of 32) dominates K-quant requantization. It runs on the 32
// sub-blocks of four super-blocks at once, one per SIMD lane (kLanes,
// kquant_lanes.go): in AVX-512 as two interleaved streams of 16 lanes
// (kqLoop2AVX512; the other stream's work fills the wait on each
// stream's in-order sums), on four AVX2 quarters without AVX-512, in Go
// elsewhere or with the noasm tag. The prep gathers x straight from the
// row and computes the weights once; the search is branch-free: a lane
// that wins keeps the candidate's iscale and min (kqState.win, winLo), and
// kqCodes makes the codes once, in natural order, together with the
// requantization by the packed scales; the packing is AVX2 byte work.
// Each lane performs the scalar code's float32 operations in its order
// (vdivps and vsqrtps are correctly rounded like the scalar ones; the
// codes use nearest_int's integer trick, exact for every input, NaN and
// Inf included), so results are bitwise those of makeQKX2, the scalar
// reference kept in kquant_ref_test.go (TestLanesLikeScalar,
// TestKQuantLikeScalar on every path; TestKQPassesLikeGo checks each
// assembly pass against its Go twin). Measured with BenchmarkQuantizeRow
// (CPU-ns per element, one thread, the scalar reference in the same run)
// on the 2-core Sapphire Rapids dev host under load: Q4_K 78 → 6.4 (12×),
// Q5_K 62 → 5.1 (12×). Two lessons from getting there: a legacy-SSE
// `MOVL AX, Xn` before the AVX passes cost a third of the time, and
// passing the packer as a func value moved each block's codes to the heap
// (~10%). Rounding in the float domain instead of nearest_int's integer
// trick (as Q6_K does) measured within noise here and was left out.
// Q6_K's make_qx_quants runs on the 16 sub-blocks of a super-block as
// lanes (qxLanes, qx_amd64.s: branch-free AVX-512 search, float-domain
// rounding for finite rows, prep/final/packing in AVX-512 too): 40 → 3.6
// CPU-ns.
//
// # Left out
//
// Importance-matrix quantization (quantize_row_*_impl), the IQ*/TQ* types,
// MXFP4, Q2_K/Q3_K quantizers, AVX2 for make_qx_quants (Q6_K) and for
// the Q4_K/Q5_K prep's gather and kqCodes (Go on AVX2-only hosts), and
// SIMD dot products (they live in verifier/matmul).
//
// # Security
//
// Inputs are lengths and bytes, often from untrusted files. Every entry point
// checks lengths once and returns an error; no data value can cause a panic or
// an out-of-range access (quantized codes are masked before use). NaN or Inf
// inputs to a quantizer give unspecified but deterministic codes. The
// activation quantizers (QuantizeQ8_*) take lengths from the caller, not from
// files, and panic on a wrong length as a programmer error.
package quant
