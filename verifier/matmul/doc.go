// Package matmul holds the CPU compute kernels of PoT's inference engine:
// products of quantized weight matrices (ggml blocks, typically views into a
// memory-mapped GGUF file, never dequantized whole) with batches of float32
// activation vectors.
//
// # Numerics
//
// The kernels reproduce what llama.cpp's CPU backend computes (ggml-cpu,
// commit c392e50, the one that made ../shared/testdata): before a product the
// activations are converted to the weight type's vec_dot_type (type_traits_cpu
// in ggml-cpu.c):
//
//	Q4_0, Q5_0, Q8_0 -> Q8_0 (x86 quantize_row_q8_0: d = amax/127 as f16,
//	                    q = round-half-even(x·127/amax))
//	Q4_1, Q5_1       -> Q8_1 (as Q8_0, plus s = f16(d·Σq))
//	Q2_K … Q6_K      -> Q8_K (quantize_row_q8_K_ref: d = 1/iscale as f32,
//	                    q = min(127, nearest_int(-127/max·x)), bsums per 16)
//	F16 -> F16, BF16 -> BF16, F32 -> F32
//
// and the dot products are integer block sums scaled by the block scales, as
// in ggml_vec_dot_q8_0_q8_0, ggml_vec_dot_q4_K_q8_K etc. (ggml-cpu-quants.c).
// The integer part is exact, so its evaluation order is free. The float part
// has one fixed order, documented on each kernel (see kernel_generic.go), that
// every implementation (pure Go, AVX2, AVX-512, NEON) follows operation by
// operation, so results are bitwise identical across code paths, GOARCHes
// (NaN payloads aside, see below), thread counts, and batch compositions:
// output y[i][r] depends only on weight row r and activation vector i. llama.cpp sums the float parts in a different
// (SIMD-lane) order, so we agree with it to float32 rounding (≈1e-7 relative
// per product), not bit for bit.
//
// The float steps are acc = acc + w·x. For F32 weights each is a float32
// fused multiply-add, acc = fl32(acc + w·x) with a single rounding (what
// ggml's FMA kernels compute per element, and vfmadd231ps computes; the
// Go twins use fma32, a correctly rounded emulation tested against exact
// big.Float sums), for every input, NaN and Inf included. Which NaN comes
// out of a NaN input or an invalid operation is the instruction set's
// choice, so fma32 follows the host's (nanFMA: x86's or arm64's): the NaN
// payloads of F32 results, like those of any float operation, may differ
// between GOARCHes, never between code paths on one. (A per-chunk NaN rule
// would have tied the rounding of one output to its neighbour rows and
// batch vectors.)
//
// For F16 and BF16 the reference rounds every product before adding it. A
// fused multiply-add gives the same bits whenever the product w·x is exact
// in float32 and no input is a NaN, and the float tiles fuse exactly then
// (unpack.go): F16 weights always have exact products with F16
// activations (≤ 22 significant bits, between 2^−48 and 2^32), so they
// fuse unless a weight chunk or the activations contain a NaN; BF16
// products (≤ 16 bits) are exact while they stay in float32's normal range,
// which the tiles check per weight chunk and call from the least and
// greatest magnitudes (noted while unpacking the weights, and in one pass
// over the rounded activations). NaN inputs are excluded only because x86
// FMA would pick a different NaN payload than vaddps when the accumulator
// is already NaN; Inf inputs and the NaNs they make (Inf·0, Inf − Inf)
// come out the same.
//
// # Layout and speed
//
// The heavy case is prefill: a matrix times a batch of 64–512 vectors.
// Quantized activations are stored interleaved, eight vectors per "group",
// so that one SIMD lane holds one vector: a micro-kernel broadcasts four
// weight codes and multiplies them into eight vectors at once (vpmaddubsw),
// and the per-vector float work is amortized over whole blocks. Weight rows
// are first unpacked, 16 rows at a time, into 8-bit codes (unsigned, with
// the type's offset applied later in integers; signed only for Q8_0) plus
// per-group integer scales ("panels", unpack.go), which lets one integer
// kernel serve every quantized type. See matmul.go for tiling and threading.
//
// # API
//
//	NewMatrix(t, rows, cols, data) (Matrix, error)   // validate a ggml weight matrix once
//	MatMul(y, w, x, n, pool)                         // y[n][rows] = x[n][cols]·wᵀ
//	(*Activations).Quantize(x, n, cols, t, pool)     // convert x once …
//	MatMulQ(y, w, act, pool)                         // … and reuse it for Q, K, V / gate, up
//	NewPool(threads), (*Pool).Close                  // worker goroutines; nil = serial
//	Dot(a, b), Axpy(alpha, x, y)                     // attention helpers, fixed order
//	ExpSum(e, x, m)                                  // log-softmax normalizer, fixed order
//	VecDotType(t), HasAsm()
//
// # Code paths
//
// Each kernel has a pure-Go twin (…Generic, always compiled, the reference)
// and an AVX2 version (kernel_amd64.s); the integer product kernel also has
// a NEON version using SDOT, the 2-row float tile one with FMUL/FADD or
// FMLA (kernel_arm64.s, needs FEAT_DotProd: Apple M1+; tested here under
// qemu-aarch64 only). With AVX-512 (F, BW, VL) the float
// weights use a wide tile, 12 rows × 16 vectors in zmm registers
// (tileF32WAVX512, Go twin tileF32WGeneric), and with AVX512-VNNI the
// integer tile sums groups with vpdpbusd (tileI8VNNI); there the one-group
// kinds (Q4_0, Q5_0, Q8_0: 32-element blocks of scale 1) take a loop of
// their own, unrolled over a block with pointers and float accumulators
// in registers (at 64 tokens Q4_0 and Q8_0 +23–25%, Q4_K_M +17% through
// its Q5_0/Q8_0 tensors). With AMX-INT8 (Sapphire Rapids and later, and
// Linux granting the tile state: amxPermitted) the integer products take
// the matrix tile instead (widei8.go, amx_amd64.s; Go twin
// tileI8WGeneric): one tdpbssd per scale group multiplies all 16 rows of
// a chunk by a pair of groups (16×16 exact int32 sums), two sets of tiles
// alternating so that one group's product runs while the previous one's
// sums are scaled and added in zmm registers; the activations' group
// pairs are interleaved once per quantization (pairCodes) so that one
// tile row holds a 4-element step of all 16 vectors, and the panel's
// scales are turned group-major (wideTables). The one-group kinds again
// take a loop of their own (tileI8AMX1). F16 and BF16 rows
// are widened with vcvtph2ps / a shift (and their magnitude range noted);
// float activations are rounded (vcvtps2ph, or integer ops for BF16) and
// interleaved eight vectors at a time by a register transpose. Legacy
// nibble codes (Q4_0/Q4_1/Q5_0/Q5_1) and Q8_0 codes reach the panel through
// small AVX2 kernels, their f16 block scales four at a time through
// vcvtph2ps; the wide tiles' outputs reach y by a register transpose
// and one masked store per vector (transpose16), the 2-row tiles' by
// masked scatters. SiLUMul
// runs Expf's float64 steps in four ymm lanes, or eight zmm lanes with
// AVX-512 (its table by vgatherdpd).
// The float tiles have a second inner loop with vfmadd231ps (AVX-512, or
// AVX2 with FMA) or FMLA (NEON), always taken for F32 and where the
// Numerics section allows for F16/BF16; the Go twins then step with fma32
// (F32 runs on them only where no tile can fuse: noasm, x86 without FMA,
// arm64 without FEAT_DotProd; ~13× slower than the unfused Go loop: 0.4
// against 5.1 GFLOP/cpu-s, fma32 is not inlined). F32 rows are read in
// place (no unpack) when aligned. On F16 and BF16
// weights MatMulQ is 1.3–1.65× faster with it (the separate multiply and
// add kept both FMA ports busy for half the work; the 24 weight broadcasts
// per step and the row unpack, which streams the weights from memory, keep
// it from 2×).
// The path is chosen once at init from golang.org/x/sys/cpu; the build tag
// noasm forces the Go code. The integer sums are exact and the float steps
// identical (every output is the same even/odd chain of tileF32Generic
// whatever the tile shape; F32 always fused, F16/BF16 fused only where
// that changes no bit), so SIMD and Go results are bitwise equal
// (TestAsmLikeGeneric, TestWideLikeNarrow, TestWideLikeNarrowI8, TestEveryAMD64Kernel,
// TestFloatEdgeCases, TestFusedLikeUnfused; fma32 itself: TestFMA32), for
// NaN/Inf inputs too.
//
// # Left out
//
// IQ*/TQ* types, Q8_1/Q8_K as weight types, a zmm (16-vector) integer
// tile, vdpbf16ps for BF16 (its pairwise DAZ/FTZ rounding would force every
// other path to emulate it; BF16 runs on the wide float tile), NEON
// versions of the unpack, vector and quantization kernels (pure Go on
// arm64), any repacking of weights at load time, and
// a kernel for tiny batches: vectors are processed 16 at a time, so n = 1
// costs as much as n = 16 (decode is ~30× less efficient than prefill).
//
// # Security
//
// Weight bytes come from untrusted files; NewMatrix checks that their length
// matches the shape exactly, and no code value can index outside a buffer
// (codes are masked before use). Lengths passed to MatMul come from the
// engine, not from files: a wrong one is a programmer error and panics.
// NaN or Inf activations give unspecified (but deterministic, and identical
// on every code path) results; here alone the activation codes may differ
// from ggml's.
package matmul
