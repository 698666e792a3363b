// Package weights compares the tensors of two GGUF models, a reference A and
// a candidate B, and says what B's weights are: A's (byte-identical), PoT's
// own requantization of A, another quantization of the same weights, or
// changed weights.
//
// # Method
//
// Tensors are matched by name. A tensor missing from either side, or with a
// different shape, is a structural difference. Every other tensor is judged
// block by block (B's blocks; a block never spans two rows, so every row —
// for token_embd and output, every token — is judged on its own too). No
// error is pooled over a tensor or a model: one block beyond the bound makes
// its tensor Changed, whatever the rest of the tensor looks like.
//
// "The reference bytes" are A's own when the types are equal, and PoT's
// quantization of deq(A) to B's type (quant.Quantize, which reproduces
// llama-quantize without an importance matrix) when they differ. Then:
//
//   - Exact: B's bytes are the reference bytes, same type (compared
//     straight from the memory maps at memory or disk speed). Bytes that
//     differ only in encoding (±0, an unused scale) with equal decoded
//     values are Exact too, and say so.
//   - ExactRequant: the types differ and B's bytes are the reference
//     bytes, except at most MaxRoundingBlocks blocks in which at most two
//     elements are one step off (ties rounded the other way by another
//     build). An absolute count, never a fraction of the tensor.
//   - Changed: some element of B is farther from A than the bound below.
//   - Requantized: anything else: B differs from the reference bytes, yet
//     every element is within the bound. This is what another route to a
//     quantized file gives (a BF16 intermediate, round-to-nearest, an
//     importance matrix, another tool), and also what an edit smaller than
//     a quantization step gives: the weights cannot tell these apart, so a
//     behavioural test must.
//
// The model verdict (Report.Verdict) is IDENTICAL or FAITHFUL (a verifier
// may call both SAME), DIFFERENT (a Changed tensor), STRUCTURAL, or
// OTHER_QUANTIZATION / INCONCLUSIVE, which hand the decision to the
// behavioural test. No tensor class leads to FAITHFUL except Exact and
// ExactRequant.
//
// # The bound
//
// Two quantizations of the same source weights w, with element steps sA
// and sB (the code spacing of the element's block or sub-block: d, d·sc),
// each put every element within one of its own steps of w, so
//
//	|b − a| ≤ tolA + tolB + viaBF16·|a|,   tol = step + scale rounding
//
// Rounding to nearest costs half a step; the other half covers the scale
// searches that let an extreme value clamp by up to a step, the
// least-squares refits that follow, and the F16 rounding of the scales.
// Where the block's scales are themselves rounded to a few bits (the
// 6-bit sub-block scales and mins of Q4_K/Q5_K, the 8-bit ones of Q6_K)
// that rounding can move the ends of the code range by nmax·d/2, which
// tol includes. An element at an end of its block's code range may be
// farther from w in the outward direction only (a clamped extreme value;
// importance weights can make a quantizer clamp by more than a step):
// clampExtra steps more, granted outward only. viaBF16 allows for a
// source that went through BF16 before quantization. Float types have no
// blocks: their step is an ulp of the value. The rules per type are in
// tolerance.go.
//
// B's step is taken from B's file, which the candidate chooses: it is
// capped at capFactor times the step PoT's quantizer (or, for the same
// type, A's file) uses on the same values, so that a block cannot claim a
// huge scale and pass as anything, zeros included. Types without a
// quantizer (Q2_K, Q3_K) cannot be capped: there B's own bound still
// proves a change when exceeded, and the tensor is Unsupported otherwise.
//
// Evidence (TestTestdataPairs, TestOtherRoutes): on the qwen2-tiny files
// that llama-quantize made from one F32 source, every pair (F16, BF16,
// Q8_0, Q4_0, Q4_K, Q6_K, F32, both ways) stays within 0.50 of the bound;
// quantizations through a BF16 step, by round-to-nearest and by an
// imatrix-style weighted Q4_K search (importances spread over three
// decades) stay within 0.67 of it, against the F32 source and against
// PoT's own quantization. Edits beyond a step (row swaps, a row scaled by
// 1.45, noise on a block, swapped layers, retyping from another type)
// exceed it several times over (TestAttacks, TestByteAttacks).
//
// # Cost
//
// Compare streams: each tensor is cut into chunks of 8Ki elements
// (bounded buffers of about 0.4 MB per worker), the workers share a
// tensor's chunks, and each tensor's pages are released (DontNeed) once it
// is done, so the resident memory stays small on models larger than RAM.
// Findings are reduced in chunk order, so the report does not depend on
// the thread count or the chunking. Identical blocks are skipped after a
// byte comparison; only differing blocks are decoded and judged.
// Requantizing to a K-quant is the costly step (a few million elements per
// second per core with package quant's reference quantizers).
//
// # Left out
//
// Metadata (tokenizer, chat template, hyper-parameters) is not compared
// here: IDENTICAL means identical tensor data, not identical files. An F32
// candidate against an F32 reference is held to the BF16-route allowance
// (2⁻⁷ of each value), not to bit equality. Edits below a quantization
// step (a row scaled by 1.05 in a 4-bit type, a low-rank edit of a few
// percent under Q4) are Requantized at best, never Faithful: the weights
// cannot tell them from another quantization.
//
// # Security
//
// Both files are untrusted. Compare relies on package gguf's validation
// (tensor extents, sizes matching shape × type, no overflow) and trusts no
// count beyond it: the number of tensors is capped (Options.MaxTensors)
// before anything proportional to it is allocated, buffers are sized from
// constants, and a NaN or Inf never passes (only byte-exact matches do).
// Faithfulness is claimed only on byte-exact evidence, up to an absolute
// number of individually tiny blocks; the candidate's own scales never
// widen the bound beyond what the reference's values justify.
package weights
