package weights

import (
	"fmt"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Classification bounds. They are decision thresholds, so each states the
// evidence for its value.
const (
	// MaxRoundingBlockFraction is the fraction of a tensor's blocks that may
	// differ from PoT's requantization while the tensor still counts as an
	// exact requantization (each differing block must also be within
	// quantization noise, see RatioConsistent). Package quant reproduces
	// llama.cpp's quantizers bit for bit for the legacy types and F16/BF16,
	// and the K-quants can differ only where float rounding steers the
	// iterative scale search (make_qkx2_quants) to another choice. Measured:
	// 0 of 5120 Q4_K and 0 of 5120 Q6_K blocks differ on
	// ../shared/testdata/qwen2-tiny (llama-quantize c392e50, TestTestdataPairs),
	// 0 of 40960 for Q8_0 and Q4_0. 0.1% leaves room for other llama.cpp
	// builds (e.g. FMA-fused ones) without letting a real edit through: an
	// edited block must still pass the noise test.
	MaxRoundingBlockFraction = 0.001

	// MajorityFraction: when at most this fraction of blocks differ from A's
	// (re)quantization, the exact majority proves B was made from A by the
	// reference quantizer, and only the differing blocks are judged. An
	// independent quantization (importance matrix, another tool) changes the
	// scales of nearly every block, so it never gets here.
	MajorityFraction = 0.5

	// RatioConsistent bounds rel/expected for ConsistentWithQuantization.
	// Two quantizations of one source differ from each other by about the
	// root-sum-square of their own errors, which is what expected estimates;
	// measured per-tensor ratios for the same-source pairs of qwen2-tiny
	// (TestCrossQuantRatios) are 0.999–1.006 for Q8_0 vs Q4_0/Q4_K/Q6_K,
	// F16 vs Q4_0, BF16 vs F16 and Q4_K vs its F32 source, and 1.19–1.21
	// for Q4_0 vs Q4_K (requantizing values already on a 4-bit grid costs
	// less than quantizing the source, so expected runs low). 1.5 leaves
	// margin for importance-matrix quantization, which trades unweighted
	// error for weighted error.
	RatioConsistent = 1.5

	// RatioChanged: above it the weights moved several times farther than
	// the type change explains, which no quantizer does: Changed. Between
	// RatioConsistent and RatioChanged a tensor is Unexplained.
	RatioChanged = 4.0
)

// roundingTolerance is the largest relative L2 difference a block of type t
// can show between two quantizations of the same values that differ only in
// rounding: about three times the typical relative error of t on Gaussian
// weights (measured with package quant: F16 2.1e-4, BF16 1.7e-3, Q8_0
// 5.4e-3, Q6_K 1.8e-2, Q5_K 3.6e-2, Q5_0 4.3e-2, Q4_K 7.1e-2, Q4_0 8.6e-2).
// It judges differing blocks where the target type loses nothing
// (same type, or a lossless widening), so expected is 0.
func roundingTolerance(t quant.Type) float64 {
	switch t {
	case quant.F32:
		return 0x1p-22 // two ulps
	case quant.F16:
		return 1e-3
	case quant.BF16:
		return 6e-3
	case quant.Q8_0, quant.Q8_1, quant.Q8_K:
		return 0.02
	case quant.Q6_K:
		return 0.06
	case quant.Q5_0, quant.Q5_1, quant.Q5_K:
		return 0.12
	case quant.Q4_0, quant.Q4_1, quant.Q4_K:
		return 0.25
	default: // Q3_K, Q2_K
		return 0.6
	}
}

// Class is the outcome for one tensor.
type Class uint8

// The classes, from best to worst for the candidate.
const (
	// Exact: same type and identical bytes.
	Exact Class = iota
	// ExactRequant: B is PoT's quantization of deq(A) to B's type, except at
	// most MaxRoundingBlockFraction of blocks that differ within rounding.
	ExactRequant
	// ConsistentWithQuantization: B differs from A by about what a
	// quantization costs (rel/expected ≤ RatioConsistent), or only by
	// rounding in the same type; the weights cannot tell more.
	ConsistentWithQuantization
	// Unexplained: RatioConsistent < rel/expected ≤ RatioChanged.
	Unexplained
	// Unsupported: a type PoT cannot dequantize or requantize to.
	Unsupported
	// NotCompared: skipped after an early stop (Options.StopAtFirstDifference).
	NotCompared
	// Changed: the weights were modified (see TensorResult.Detail).
	Changed
	// Missing: the tensor is in A but not in B.
	Missing
	// Extra: the tensor is in B but not in A.
	Extra
	// ShapeMismatch: the tensor's dimensions differ.
	ShapeMismatch
	numClasses
)

var classNames = [numClasses]string{
	Exact: "Exact", ExactRequant: "ExactRequant", ConsistentWithQuantization: "ConsistentWithQuantization",
	Unexplained: "Unexplained", Unsupported: "Unsupported", NotCompared: "NotCompared", Changed: "Changed",
	Missing: "Missing", Extra: "Extra", ShapeMismatch: "ShapeMismatch",
}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// MarshalText makes a Class print as its name in JSON.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a class name.
func (c *Class) UnmarshalText(b []byte) error {
	for i, n := range classNames {
		if n == string(b) {
			*c = Class(i)
			return nil
		}
	}
	return fmt.Errorf("weights: unknown class %q", b)
}

// Structural reports whether c is a structural difference (no data compared).
func (c Class) Structural() bool { return c == Missing || c == Extra || c == ShapeMismatch }

// Verdict is the model-level outcome.
type Verdict uint8

const (
	// Inconclusive: no difference proven and no faithfulness proven; the
	// behavioural test must decide.
	Inconclusive Verdict = iota
	// Identical: every tensor is Exact.
	Identical
	// Faithful: every tensor is Exact or ExactRequant, at least one requantized.
	Faithful
	// Different: a structural difference or a Changed tensor.
	Different
	numVerdicts
)

var verdictNames = [numVerdicts]string{Inconclusive: "INCONCLUSIVE", Identical: "IDENTICAL", Faithful: "FAITHFUL", Different: "DIFFERENT"}

func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// MarshalText makes a Verdict print as its name in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a verdict name.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, n := range verdictNames {
		if n == string(b) {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("weights: unknown verdict %q", b)
}

// TensorResult is the comparison of one tensor. Errors are relative L2
// norms; they are 0 where not computed (Exact, structural, NotCompared).
type TensorResult struct {
	Name  string   `json:"name"`
	Class Class    `json:"class"`
	TypeA string   `json:"type_a,omitempty"` // ggml type name; empty if absent from A
	TypeB string   `json:"type_b,omitempty"`
	DimsA []uint64 `json:"dims_a,omitempty"`
	DimsB []uint64 `json:"dims_b,omitempty"`
	Bytes int64    `json:"bytes"` // data bytes read from A and B together

	// Blocks counts B-type blocks; DiffBlocks those whose bytes differ from
	// A's (same type) or from PoT's requantization of A (types differ).
	Blocks       int64   `json:"blocks,omitempty"`
	DiffBlocks   int64   `json:"diff_blocks,omitempty"`
	DiffFraction float64 `json:"diff_fraction,omitempty"`

	RelErr float64 `json:"rel_err,omitempty"` // ‖deq B − deq A‖ / ‖deq A‖
	// ExpectedErr is what the type change costs on this tensor,
	// √(fwd² + rev²) (see the package doc); 0 if lossless. rev is measured
	// only where most blocks differ from the reference bytes, the one case
	// where it can change the class; elsewhere it is left out.
	ExpectedErr float64 `json:"expected_err,omitempty"`
	Ratio       float64 `json:"ratio,omitempty"` // RelErr/ExpectedErr; 0 if ExpectedErr is 0
	// LocalRelErr is ‖deq B − deq A‖/‖deq A‖ over the differing blocks only.
	LocalRelErr float64 `json:"local_rel_err,omitempty"`

	Detail string `json:"detail,omitempty"` // why the class, in words
}

// Report is the result of Compare.
type Report struct {
	A       string         `json:"a"` // paths as opened
	B       string         `json:"b"`
	Verdict Verdict        `json:"verdict"`
	Reason  string         `json:"reason"`            // one line naming the first offending tensor
	Counts  map[Class]int  `json:"counts"`            // tensors per class
	Stopped bool           `json:"stopped,omitempty"` // tensors left NotCompared (StopAtFirstDifference)
	Bytes   int64          `json:"bytes"`             // tensor bytes read, both files
	Tensors []TensorResult `json:"tensors"`           // A's order, then B's extra tensors
}
