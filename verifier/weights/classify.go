package weights

import (
	"fmt"
	"math"

	"github.com/proof-of-training/pot/verifier/quant"
)

// maxPlausibleRelErr: a relative error of 1 is what replacing the tensor by
// zeros gives, so no quantization of A is that far from A. It decides only
// when the expected error cannot be computed (no quantizer for B's type).
const maxPlausibleRelErr = 1.0

// classify sets r's class, errors and detail from a tensor's sums. The
// tensor's bytes are known to differ when the types are equal.
func classify(r *TensorResult, s *sums, tA, tB quant.Type) {
	same := tA == tB
	requant := newChunkJob(tA, tB).requant
	r.Blocks, r.DiffBlocks = s.blocks, s.diff
	if s.blocks > 0 {
		r.DiffFraction = float64(s.diff) / float64(s.blocks)
	}
	target := "A's " + tA.String() // what B was compared with
	if !same {
		target = "the requantization of A to " + tB.String()
	}

	// Byte-exact requantization needs no arithmetic to be believed, so it
	// is decided before any float (NaN-prone) test.
	if requant && s.diff == 0 {
		r.Class = ExactRequant
		r.Detail = "B is " + target
		r.RelErr, r.ExpectedErr = finite(math.Sqrt(s.d2/s.a2)), finite(math.Sqrt(s.e2/s.a2))
		if r.ExpectedErr > 0 {
			r.Ratio = r.RelErr / r.ExpectedErr
		}
		return
	}
	e2 := s.e2
	if !requant {
		e2 = 0 // NaN on purpose when there is no quantizer
	}
	for _, v := range []float64{s.a2, s.d2, e2, s.b2, s.r2, s.la2, s.ld2, s.le2} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			r.Class, r.Detail = Changed, fmt.Sprintf("non-finite values (NaN or Inf) in A or B, and B is not %s", target)
			return
		}
	}
	if s.d2 == 0 {
		// Same values, other bytes (±0, an unused scale): nothing changed
		// that inference could see, but no byte-exact proof either.
		r.Class, r.Detail = ConsistentWithQuantization, "B's values equal A's, encoded differently"
		return
	}
	if s.a2 == 0 {
		r.Class, r.Detail = Changed, "A is all zeros and B is not"
		return
	}
	rel := math.Sqrt(s.d2 / s.a2)
	r.RelErr = rel
	if s.la2 > 0 {
		r.LocalRelErr = finite(math.Sqrt(s.ld2 / s.la2))
	}
	if !same && !requant {
		r.Class = Unsupported
		r.Detail = fmt.Sprintf("rel err %.3g; package quant has no %s quantizer, so the expected error is unknown", rel, tB)
		if rel >= maxPlausibleRelErr {
			r.Class = Changed
			r.Detail = fmt.Sprintf("rel err %.3g: no closer to A than zeros are", rel)
		}
		return
	}
	var fwd, rev float64
	if !same {
		fwd = math.Sqrt(s.e2 / s.a2)
		if s.b2 > 0 {
			rev = math.Sqrt(s.r2 / s.b2)
		}
	}
	expected := math.Hypot(fwd, rev)
	r.ExpectedErr = expected
	if expected > 0 {
		r.Ratio = rel / expected
	}
	// Lossless: the type change costs nothing either way (same type, or a
	// widening such as F16→F32 of values that were F16 to begin with).
	lossless := expected == 0

	if r.DiffFraction <= MajorityFraction {
		// Most blocks equal the reference bytes: judge the others alone.
		tol := math.Max(RatioConsistent*RatioConsistent*s.le2, sq(roundingTolerance(tB))*s.la2)
		switch {
		case s.ld2 > tol:
			r.Class = Changed
			r.Detail = fmt.Sprintf("%d of %d blocks differ from %s beyond rounding (rel err %.3g on them)",
				s.diff, s.blocks, target, r.LocalRelErr)
		case !lossless && r.DiffFraction <= MaxRoundingBlockFraction:
			r.Class = ExactRequant
			r.Detail = fmt.Sprintf("B is %s except %d of %d blocks that differ within rounding", target, s.diff, s.blocks)
		default:
			r.Class = ConsistentWithQuantization
			r.Detail = fmt.Sprintf("%d of %d blocks differ from %s, each within %s rounding (rel err %.3g on them)",
				s.diff, s.blocks, target, tB, r.LocalRelErr)
		}
		return
	}
	if lossless {
		r.Class = Changed
		r.Detail = fmt.Sprintf("rel err %.3g where %s loses nothing (%d of %d blocks differ from %s)",
			rel, tB, s.diff, s.blocks, target)
		return
	}
	what := fmt.Sprintf("rel err %.3g = %.2f× what %s→%s costs on this tensor (%.3g)", rel, r.Ratio, tA, tB, expected)
	switch {
	case r.Ratio <= RatioConsistent:
		r.Class, r.Detail = ConsistentWithQuantization, what
		if !s.revDiffer && s.b2 > 0 {
			r.Detail += "; A is exactly the quantization of B to " + tA.String()
		}
	case r.Ratio > RatioChanged:
		r.Class, r.Detail = Changed, what
	default:
		r.Class, r.Detail = Unexplained, what
	}
}

func sq(x float64) float64 { return x * x }

// finite maps NaN and ±Inf to 0, so that a report always encodes as JSON.
func finite(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}
