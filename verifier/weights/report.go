package weights

import (
	"fmt"
)

// MaxRoundingBlocks is how many blocks of one tensor may differ from PoT's
// requantization by rounding flips alone (at most maxTinyElems elements,
// each one step off) while the tensor still counts as ExactRequant. It is
// an absolute count, not a fraction, so that it cannot hide an edit spread
// over a large tensor. Package quant reproduces llama.cpp's quantizers bit
// for bit: 0 of the 5120 Q4_K, 5120 Q6_K, 40960 Q8_0 and 40960 Q4_0 blocks
// of ../shared/testdata/qwen2-tiny differ (llama-quantize c392e50,
// TestTestdataPairs). A build that rounds some ties the other way (e.g.
// FMA-fused) gets a few; more than that makes the tensor Requantized,
// which is not a failure but a behavioural test.
const MaxRoundingBlocks = 4

// Class is the outcome for one tensor.
type Class uint8

// The classes, from best to worst for the candidate.
const (
	// Exact: same type and identical bytes, or (named in Detail) bytes
	// that differ only in encoding (±0, an unused scale) with equal values.
	Exact Class = iota
	// ExactRequant: the types differ and B is PoT's quantization of deq(A)
	// to B's type, except at most MaxRoundingBlocks blocks of rounding
	// flips.
	ExactRequant
	// Requantized: B differs from A, but every block is within what
	// quantizing the same weights to B's type (and, for a quantized A, to
	// A's type) can produce: another quantization of the same weights (an
	// imatrix, a BF16 step, another tool), or a change too small to tell
	// from one. The weights alone cannot decide; the behavioural test must.
	Requantized
	// Unsupported: PoT cannot decode a type, or (Q2_K, Q3_K) has no
	// quantizer to bound B's scales with; no block exceeded B's own bound.
	Unsupported
	// NotCompared: skipped after an early stop (Options.StopAtFirstDifference).
	NotCompared
	// Changed: a block is beyond the quantization bound; Detail names the
	// tensor's first such row and the worst element's block.
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
	Exact: "exact", ExactRequant: "exact_requant", Requantized: "requantized", Unsupported: "unsupported",
	NotCompared: "not_compared", Changed: "changed", Missing: "missing", Extra: "extra", ShapeMismatch: "shape_mismatch",
}

var classWords = [numClasses]string{
	Exact: "identical", ExactRequant: "PoT's own requantization of A", Requantized: "another quantization of the same weights",
	Unsupported: "cannot be checked", NotCompared: "not compared", Changed: "weights changed",
	Missing: "missing from B", Extra: "not in A", ShapeMismatch: "another shape",
}

// String returns the class's snake_case name, as in JSON.
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Words describes the class in plain words, for people.
func (c Class) Words() string {
	if c < numClasses {
		return classWords[c]
	}
	return c.String()
}

// MarshalText makes a Class print as its name in JSON.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a class name.
func (c *Class) UnmarshalText(b []byte) error {
	return parseName(classNames[:], b, (*uint8)(c), "class")
}

// Structural reports whether c is a structural difference (no data compared).
func (c Class) Structural() bool { return c == Missing || c == Extra || c == ShapeMismatch }

// Verdict is the model-level outcome: how the candidate's weights relate
// to the reference's. A verifier maps Identical and Faithful to SAME,
// Different and Structural to DIFFERENT, and hands OtherQuantization and
// Inconclusive to the behavioural test.
type Verdict uint8

const (
	// Inconclusive: a tensor could not be checked (Unsupported) and none
	// is Changed.
	Inconclusive Verdict = iota
	// Identical: every tensor has identical bytes.
	Identical
	// Faithful: every tensor is Exact or ExactRequant: B is PoT's own
	// requantization of A.
	Faithful
	// Different: some tensor's weights were changed (Changed).
	Different
	// OtherQuantization: no tensor is Changed, and some are Requantized:
	// B is another quantization of A's weights, or differs from them by
	// less than a quantization step.
	OtherQuantization
	// Structural: a tensor is missing, extra or of another shape.
	Structural
	numVerdicts
)

var verdictNames = [numVerdicts]string{
	Inconclusive: "inconclusive", Identical: "identical", Faithful: "faithful", Different: "different",
	OtherQuantization: "other_quantization", Structural: "structural",
}

var verdictWords = [numVerdicts]string{
	Inconclusive:      "undecided: some tensors cannot be checked from the weights",
	Identical:         "identical weights",
	Faithful:          "a faithful requantization of the reference (PoT's own)",
	Different:         "weights changed",
	OtherQuantization: "another quantization of the same weights (the weights alone cannot say more)",
	Structural:        "different tensors (missing, extra or reshaped)",
}

// String returns the verdict's snake_case name, as in JSON.
func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Words describes the verdict in plain words, for people.
func (v Verdict) Words() string {
	if v < numVerdicts {
		return verdictWords[v]
	}
	return v.String()
}

// MarshalText makes a Verdict print as its name in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a verdict name.
func (v *Verdict) UnmarshalText(b []byte) error {
	return parseName(verdictNames[:], b, (*uint8)(v), "verdict")
}

func parseName(names []string, b []byte, dst *uint8, what string) error {
	for i, n := range names {
		if n == string(b) {
			*dst = uint8(i)
			return nil
		}
	}
	return fmt.Errorf("weights: unknown %s %q", what, b)
}

// TensorResult is the comparison of one tensor.
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
	Blocks     int64 `json:"blocks,omitempty"`
	DiffBlocks int64 `json:"diff_blocks,omitempty"`
	// BeyondBlocks counts the blocks with an element beyond the
	// quantization bound, in BeyondRows rows (rows of Dims[0] elements:
	// for token_embd and output, one row per token).
	BeyondBlocks int64 `json:"beyond_blocks,omitempty"`
	BeyondRows   int64 `json:"beyond_rows,omitempty"`
	// WorstRatio is the largest |b−a| / bound over the differing blocks'
	// elements: above 1 is beyond. A difference where the bound is 0, or a
	// NaN, shows as math.MaxFloat64.
	WorstRatio float64 `json:"worst_ratio,omitempty"`

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
