package stats

import (
	"errors"
	"fmt"
	"math"
)

// The rank test: the decision rule of the behavioural test.
//
// A faithful candidate (the reference requantized to the candidate's exact
// types) shows challenge distances d from some distribution F; the verifier
// measures m calibration distances c_1…c_m from F on challenges disjoint
// from the test ones. A test challenge's rank is the number of calibration
// distances at least as large as its distance; (rank+1)/(m+1) is its
// conformal p-value. A Rule has two levels, each a score in [0, 1] computed
// from the rank and a confidence sequence (Sequence: Waudby-Smith & Ramdas,
// JRSS-B 2024) on its mean μ, at level α/(2L) for L levels:
//
//   - The tail level scores 1[d > t], t the Rank-th largest calibration
//     distance. For a faithful candidate the test distances are i.i.d.
//     from F given the calibration, so μ = P_F(d > t), and by
//     exchangeability μ ~ Beta(Rank, m+1−Rank) over the calibration draw
//     (order statistics of uniforms: David & Nagaraja, Order Statistics,
//     3rd ed., §2.2): μ ≤ Faithful except with probability α/(4L), and
//     t is at least F's (1−Quantile) quantile except with probability
//     α/(4L). It catches edits that move a few inputs far.
//   - The rank level scores the fraction of calibration distances below d,
//     1 − rank/m. For a faithful candidate μ = (1/m)·Σ_j P_F(d > c_j), a
//     mean of m i.i.d. uniforms (at most, with ties), so by Bernstein's
//     inequality (variance 1/12) μ ≤ Faithful = ½ + √(2·(1/12)·ln(1/a)/m)
//     + ln(1/a)/(3m) except with probability a = α/(4L); Quantile is the
//     symmetric lower bound. It accumulates small systematic shifts that
//     move most inputs a little, which a maximum never sees.
//
// DIFFERENT: some level's lower bound exceeds its Faithful: the candidate
// deviates more than any faithful copy plausibly does. SAME: every level's
// upper bound is below its Epsilon. With L levels the chance that either
// statement is wrong is at most L·(α/(2L) + α/(4L) + α/(4L)) = α.
// DIFFERENT wins when both hold: a model proven unfaithful is never SAME.
//
// The exact rule (m = 0) serves a candidate that must reproduce the
// reference bit for bit (same weights, types, engine): there any distance
// above the score package's epsilon proves a difference, so one exceedance
// is DIFFERENT, and SAME bounds the fraction of inputs with any difference.

// Level kinds.
const (
	LevelTail = "tail" // 1[d above the Rank-th largest calibration distance]
	LevelRank = "rank" // the fraction of calibration distances below d
)

// Design is a preset's choice of the rank test before the calibration size
// is known.
type Design struct {
	Alpha      float64 // total error probability, in (0, 1)
	NMin, NMax int     // no verdict before NMin challenges; UNDECIDED at NMax
	// Tail is the target exceedance rate of a faithful candidate at the
	// tail level (its Rank is round(Tail·(m+1))), TailEpsilon its SAME
	// tolerance.
	Tail, TailEpsilon float64
	// RankEpsilon is the SAME tolerance of the rank level (a faithful
	// candidate's mean is ½).
	RankEpsilon float64
}

// Level is one level of a Rule.
type Level struct {
	Kind string `json:"kind"` // LevelTail or LevelRank
	// Rank (tail levels): a challenge exceeds the level when fewer than
	// Rank calibration distances are at least its distance.
	Rank int `json:"rank"`
	// Faithful bounds a faithful candidate's mean score (grid point,
	// rounded up); DIFFERENT when the lower bound passes it.
	Faithful float64 `json:"faithful"`
	// Quantile: for a tail level, the threshold is at least the
	// (1−Quantile) quantile of a faithful copy's distances; for the rank
	// level, the lower bound of a faithful candidate's mean (grid point,
	// rounded down).
	Quantile float64 `json:"quantile"`
	// Epsilon: SAME needs the upper bound below it.
	Epsilon float64 `json:"epsilon"`
}

// Rule is the complete decision rule of one run.
type Rule struct {
	Alpha float64 `json:"alpha"`
	// Calibration is m, the number of calibration distances; 0 is the exact
	// rule (a zero noise floor).
	Calibration int     `json:"calibration"`
	Levels      []Level `json:"levels"`
	NMin        int     `json:"nMin"`
	NMax        int     `json:"nMax"`
}

// ErrRule reports a rule or design that cannot give sound verdicts.
var ErrRule = errors.New("stats: invalid rule")

// maxCalibration bounds m: far above any preset, and a cap on the work a
// recorded rule can ask for.
const maxCalibration = 1 << 16

// NewRule returns the rule of design d for m calibration distances (m = 0:
// the exact rule). It fails when m is too small for SAME to be reachable:
// a faithful candidate's bound must sit well below Epsilon.
func (d Design) NewRule(m int) (Rule, error) {
	if !(d.Alpha > 0 && d.Alpha < 1) || d.NMin < 1 || d.NMax < d.NMin || d.NMax > maxN {
		return Rule{}, fmt.Errorf("%w: alpha %v, nMin %d, nMax %d", ErrRule, d.Alpha, d.NMin, d.NMax)
	}
	if m < 0 || m > maxCalibration {
		return Rule{}, fmt.Errorf("%w: %d calibration distances", ErrRule, m)
	}
	r := Rule{Alpha: d.Alpha, Calibration: m, NMin: d.NMin, NMax: d.NMax}
	if m == 0 {
		r.Levels = []Level{{Kind: LevelTail, Rank: 1, Epsilon: d.TailEpsilon}}
		return r, r.Validate()
	}
	a := float64(d.Alpha / 8) // float64(): keep 1−a from fusing into an FMA
	rank := max(1, int(math.Round(d.Tail*float64(m+1))))
	if rank > m {
		return Rule{}, fmt.Errorf("%w: tail rate %v needs more than %d calibration distances", ErrRule, d.Tail, m)
	}
	la := math.Log(1 / a)
	t := math.Sqrt(float64(2*la)/float64(12*m)) + la/float64(3*m)
	r.Levels = []Level{
		{Kind: LevelTail, Rank: rank, Faithful: gridUp(betaQuantile(rank, m+1-rank, 1-a)),
			Quantile: gridDown(betaQuantile(rank, m+1-rank, a)), Epsilon: d.TailEpsilon},
		{Kind: LevelRank, Faithful: gridUp(0.5 + t), Quantile: gridDown(0.5 - t), Epsilon: d.RankEpsilon},
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	for _, lv := range r.Levels {
		// SAME must stay reachable: a faithful candidate's mean is below
		// Faithful, and the upper bound needs room to fall under Epsilon.
		if lv.Faithful+minMargin > lv.Epsilon {
			return Rule{}, fmt.Errorf("%w: %d calibration distances are too few: a faithful copy's %s score may reach "+
				"%.3f, too close to the SAME tolerance %.3f", ErrRule, m, lv.Kind, lv.Faithful, lv.Epsilon)
		}
	}
	return r, nil
}

// minMargin is the least room between a faithful candidate's exceedance
// bound and the SAME tolerance: below it SAME would take thousands of
// challenges.
const minMargin = 0.05

// Validate checks the rule's internal consistency (it is also read from
// certificates and checkpoints).
func (r Rule) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrRule}, args...)...)
	}
	switch {
	case !(r.Alpha > 0 && r.Alpha < 1):
		return bad("alpha %v outside (0, 1)", r.Alpha)
	case r.NMin < 1 || r.NMax < r.NMin || r.NMax > maxN:
		return bad("nMin %d, nMax %d", r.NMin, r.NMax)
	case r.Calibration < 0 || r.Calibration > maxCalibration:
		return bad("calibration %d", r.Calibration)
	case r.Calibration == 0 && len(r.Levels) != 1, r.Calibration > 0 && len(r.Levels) != 2:
		return bad("%d levels for %d calibration distances", len(r.Levels), r.Calibration)
	}
	for i, lv := range r.Levels {
		wantKind := LevelTail
		if i == 1 {
			wantKind = LevelRank
		}
		switch {
		case lv.Kind != wantKind:
			return bad("level %d: kind %q, want %q", i, lv.Kind, wantKind)
		case lv.Kind == LevelTail && (lv.Rank < 1 || (r.Calibration > 0 && lv.Rank > r.Calibration)):
			return bad("level %d: rank %d", i, lv.Rank)
		case lv.Kind == LevelRank && lv.Rank != 0:
			return bad("level %d: rank %d on a rank level", i, lv.Rank)
		case !(lv.Faithful >= 0 && lv.Faithful < 1) || !(lv.Quantile >= 0 && lv.Quantile <= lv.Faithful):
			return bad("level %d: faithful %v, quantile %v", i, lv.Faithful, lv.Quantile)
		case !(lv.Epsilon > lv.Faithful && lv.Epsilon < 1):
			return bad("level %d: epsilon %v not in (faithful %v, 1)", i, lv.Epsilon, lv.Faithful)
		case r.Calibration == 0 && (lv.Faithful != 0 || lv.Rank != 1):
			return bad("exact rule with faithful rate %v", lv.Faithful)
		}
	}
	return nil
}

// Verify checks what a certificate's rule claims about the calibration:
// each level's Faithful and Quantile must be the Beta bounds of its rank at
// the rule's α (within one grid step, see Equal), so a rule cannot claim a
// laxer faithful rate than its calibration supports. Epsilon, the SAME
// tolerance, is policy and is shown to the reader instead.
func (r Rule) Verify() error {
	if err := r.Validate(); err != nil {
		return err
	}
	d := Design{Alpha: r.Alpha, NMin: r.NMin, NMax: r.NMax, TailEpsilon: r.Levels[0].Epsilon}
	if !r.Exact() {
		d.Tail = float64(r.Levels[0].Rank) / float64(r.Calibration+1)
		d.RankEpsilon = r.Levels[1].Epsilon
	}
	want, err := d.NewRule(r.Calibration)
	if err == nil && !want.Equal(r) {
		err = fmt.Errorf("%w: levels %+v, but %d calibration distances at alpha %v give %+v", ErrRule, r.Levels, r.Calibration, r.Alpha, want.Levels)
	}
	return err
}

// Exact reports whether r is the exact rule (zero noise floor).
func (r Rule) Exact() bool { return r.Calibration == 0 }

// levelAlpha is the confidence-sequence level of each level.
func (r Rule) levelAlpha() float64 {
	if r.Exact() {
		return r.Alpha
	}
	return r.Alpha / float64(2*len(r.Levels))
}

// Scores returns the level scores of a challenge with the given rank (the
// number of calibration distances at least its distance, at most m; for the
// exact rule, 0 if its distance counts as a difference, else 1).
func (r Rule) Scores(rank int) []float64 {
	xs := make([]float64, len(r.Levels))
	for i, lv := range r.Levels {
		switch {
		case lv.Kind == LevelRank:
			xs[i] = float64(r.Calibration-min(rank, r.Calibration)) / float64(r.Calibration)
		case rank < lv.Rank:
			xs[i] = 1
		}
	}
	return xs
}

// Equal reports whether two rules are the same; Faithful and Quantile may
// differ by one grid step (they come from a Beta quantile computed with
// libm, whose last bits vary between platforms).
func (r Rule) Equal(o Rule) bool {
	if r.Alpha != o.Alpha || r.Calibration != o.Calibration || r.NMin != o.NMin || r.NMax != o.NMax || len(r.Levels) != len(o.Levels) {
		return false
	}
	for i, a := range r.Levels {
		b := o.Levels[i]
		if a.Kind != b.Kind || a.Rank != b.Rank || a.Epsilon != b.Epsilon || math.Abs(a.Faithful-b.Faithful) > Tolerance ||
			math.Abs(a.Quantile-b.Quantile) > Tolerance {
			return false
		}
	}
	return true
}

func gridUp(x float64) float64   { return math.Min(1, math.Ceil(float64(x*GridSize))/GridSize) }
func gridDown(x float64) float64 { return math.Max(0, math.Floor(float64(x*GridSize))/GridSize) }

// betaQuantile returns q with P(Beta(a, b) ≤ q) = p for integers a, b ≥ 1,
// by bisection on P(Beta(a, b) ≤ q) = P(Binomial(a+b−1, q) ≥ a).
func betaQuantile(a, b int, p float64) float64 {
	lo, hi := 0.0, 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomialUpper(a+b-1, a, mid) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// binomialUpper returns P(Binomial(n, q) ≥ k), summing terms in log space.
func binomialUpper(n, k int, q float64) float64 {
	if q <= 0 {
		if k <= 0 {
			return 1
		}
		return 0
	}
	if q >= 1 {
		return 1
	}
	lq, lr := math.Log(q), math.Log1p(-q)
	ln, _ := math.Lgamma(float64(n + 1))
	var sum float64
	for i := k; i <= n; i++ {
		li, _ := math.Lgamma(float64(i + 1))
		lni, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(ln - li - lni + float64(float64(i)*lq) + float64(float64(n-i)*lr))
	}
	return math.Min(sum, 1)
}
