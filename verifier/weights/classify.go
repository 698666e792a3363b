package weights

import (
	"fmt"
	"math"
	"strings"

	"github.com/proof-of-training/pot/verifier/quant"
)

// classify sets r's class and detail from a tensor's sums. When the types
// are equal the tensor's bytes are known to differ.
func classify(r *TensorResult, s *sums, job *chunkJob) {
	tA, tB := job.tA, job.tB
	r.Blocks, r.DiffBlocks = s.blocks, s.diff
	r.BeyondBlocks, r.BeyondRows = s.beyond, s.rows
	if s.worstAt >= 0 {
		r.WorstRatio = min(s.worst, math.MaxFloat64)
	}
	exact := s.diff - s.sameVals - s.tiny // blocks that are neither equal nor rounding flips
	switch {
	case s.beyond > 0:
		r.Class = Changed
		r.Detail = fmt.Sprintf("%d of %d blocks (%s) are beyond what quantization to %s can explain; worst %s at %s",
			s.beyond, s.blocks, rowsWords(r.Name, s), boundTypes(tA, tB), ratioWords(s.worst), where(r.Name, s.worstAt, job.cols, tB))
	case !job.hasRef():
		r.Class = Unsupported
		r.Detail = fmt.Sprintf("every block is within the bound of its own %s scales (worst %s), but package quant has no %s quantizer to check those scales against",
			tB, ratioWords(s.worst), tB)
	case tA == tB && exact == 0:
		r.Class = Exact
		r.Detail = fmt.Sprintf("equal values; %d of %d blocks are encoded differently", s.diff, s.blocks)
	case tA == tB:
		r.Class = Requantized
		r.Detail = fmt.Sprintf("%d of %d blocks differ from A's, each within what two %s quantizations of the same weights can differ by (worst %s)",
			s.diff, s.blocks, tA, ratioWords(s.worst))
	case exact == 0 && s.tiny <= MaxRoundingBlocks:
		r.Class = ExactRequant
		r.Detail = "B is PoT's requantization of A to " + tB.String()
		if s.diff > 0 {
			r.Detail += fmt.Sprintf(", except %d of %d blocks with at most %d codes rounded the other way", s.diff, s.blocks, maxTinyElems)
		}
	default:
		r.Class = Requantized
		r.Detail = fmt.Sprintf("%d of %d blocks differ from PoT's requantization of A to %s, each within what quantizing the same weights to %s can produce (worst %s)",
			s.diff, s.blocks, tB, boundTypes(tA, tB), ratioWords(s.worst))
	}
}

// boundTypes names the quantizations the bound allows for.
func boundTypes(tA, tB quant.Type) string {
	if tA == tB || tA == quant.F32 {
		return tB.String()
	}
	return tA.String() + " and " + tB.String()
}

func ratioWords(r float64) string {
	if r >= math.MaxFloat64 || math.IsInf(r, 0) {
		return "a difference where no rounding is allowed (or NaN)"
	}
	return fmt.Sprintf("%.3g× the bound", r)
}

// rowsWords names the rows holding blocks beyond the bound.
func rowsWords(name string, s *sums) string {
	if s.rows == 1 {
		return "in " + rowName(name, s.firstRow)
	}
	return fmt.Sprintf("in %d rows, the first %s", s.rows, rowName(name, s.firstRow))
}

// vocabTensor reports whether the tensor's rows are tokens.
func vocabTensor(name string) bool {
	return strings.HasPrefix(name, "token_embd.") || strings.HasPrefix(name, "output.")
}

func rowName(name string, row int64) string {
	if vocabTensor(name) {
		return fmt.Sprintf("row %d (token %d)", row, row)
	}
	return fmt.Sprintf("row %d", row)
}

// where names the block holding element e: its row and columns.
func where(name string, e, cols int64, t quant.Type) string {
	bs := int64(t.BlockSize())
	c0 := e % cols / bs * bs
	if bs == 1 {
		return fmt.Sprintf("%s, column %d", rowName(name, e/cols), c0)
	}
	return fmt.Sprintf("%s, columns %d–%d", rowName(name, e/cols), c0, c0+bs-1)
}
