// Package weights compares the tensors of two GGUF models, a reference A and
// a candidate B, and says whether B's weights are A's: byte-identical, a
// faithful (re)quantization of A, different, or not decidable from the
// weights alone.
//
// # Method
//
// Tensors are matched by name. A tensor missing from either side, or with a
// different shape, is a structural difference. Each matched pair is then
// classified (see Class):
//
//   - Exact: same type, identical bytes. Compared byte-wise straight from
//     the memory maps, without dequantizing, at memory or disk speed.
//   - ExactRequant: the types differ and B's bytes are PoT's own
//     quantization of A's dequantized values to B's type (quant.Quantize,
//     which reproduces llama-quantize without an importance matrix), up to
//     a few blocks whose rounding differs (MaxRoundingBlockFraction). This
//     proves B is a faithful quantization of A.
//   - Otherwise the relative error rel = ‖deq(B) − deq(A)‖₂ / ‖deq(A)‖₂ is
//     set against what the type change costs on this very tensor,
//     expected = √(fwd² + rev²), where fwd = ‖deq(q_B(A)) − deq(A)‖₂ /
//     ‖deq(A)‖₂ is the cost of B's type on A and rev the cost of A's type
//     on B (zero when A is F32; it covers a reference that is itself a
//     quantization of B's source, and is measured only where it can
//     decide the class). Their ratio decides between
//     ConsistentWithQuantization, Unexplained and Changed (RatioConsistent,
//     RatioChanged). When most blocks reproduce A's (re)quantization
//     exactly, B demonstrably derives from A, and the differing blocks
//     alone are judged: beyond rounding they are an edit (Changed).
//
// The model verdict (Verdict) is IDENTICAL, FAITHFUL, DIFFERENT or
// INCONCLUSIVE; INCONCLUSIVE hands the decision to the behavioural test.
//
// # Cost
//
// Compare streams: each tensor is cut into chunks of 64Ki elements
// (bounded buffers of about 1.5 MB per worker), the workers share
// a tensor's chunks, and each tensor's pages are released (DontNeed) once it
// is done, so the resident memory stays small on models larger than RAM.
// Partial sums are reduced in chunk order, so the report does not depend on
// the thread count. Requantizing to a K-quant is the costly step (a few
// million elements per second per core with package quant's reference
// quantizers); the byte fast path and F16/Q8_0 run at hundreds of MB/s.
//
// # Left out
//
// Metadata (tokenizer, chat template, hyper-parameters) is not compared
// here: IDENTICAL means identical tensor data, not identical files (file and
// metadata hashes are other checks). Importance-matrix quantizations cannot
// be reproduced, so they come out ConsistentWithQuantization at best. Types
// without a quantizer in package quant (Q2_K, Q3_K) are Unsupported as
// requantization targets.
//
// # Security
//
// Both files are untrusted. Compare relies on package gguf's validation
// (tensor extents, sizes matching shape × type, no overflow) and trusts no
// count beyond it: the number of tensors is capped (Options.MaxTensors)
// before anything proportional to it is allocated, buffers are sized from
// constants, and NaN or Inf values never make a tensor pass (only
// byte-exact matches do). Faithfulness is claimed only on byte-exact
// evidence; a rounding allowance is granted only to a tiny fraction of
// blocks, each of which must itself be within quantization noise.
package weights
