package stats

import (
	"errors"
	"fmt"
	"math"
)

// GridSize is the number of intervals in the grid of candidate means
// m_j = j/GridSize, j = 0…GridSize, on which the capital processes are kept.
// Bounds are grid points, so the interval is at most 1/GridSize = 0.0005 wider
// than the exact betting CS; with γ, δ of order 0.1 that is noise. 2000 keeps
// an Update under ~10 µs at the widest (see BenchmarkUpdate) and the bounds
// readable in four decimals.
const GridSize = 2000

// Tolerance is the absolute difference a verifier should allow between a
// recorded bound and its recomputation on another machine. The arithmetic is
// designed to be bit-identical across platforms (see the package doc), so any
// difference is at most a one-grid-step move caused by a capital sitting
// within rounding of the threshold 2/α; Tolerance is that step. Verdicts must
// be compared exactly.
const Tolerance = 1.0 / GridSize

// betC is the truncation constant c of Theorem 3 (bets λ⁺ ≤ c/m, λ⁻ ≤ c/(1−m),
// so every factor is at least 1−c > 0). The paper suggests ½ or ¾; ¾ reaches
// SAME on all-zero scores in fewer steps (see StepsToSame) at no cost in
// validity.
const betC = 0.75

// maxN bounds the length of a sequence: far above any n_max in use, and a cap
// on the work a restored state can ask for.
const maxN = 1 << 20

// Underflow guard for the capital products: K = k·2^(expStep·e) with e ≤ 0.
const (
	expStep = 200
	expLow  = 0x1p-200
	expHigh = 0x1p200
)

// grid holds the read-only per-candidate constants, computed once.
var grid = newGridTables()

type gridTables struct {
	m    [GridSize + 1]float64 // candidate means j/GridSize
	capP [GridSize + 1]float64 // c/m_j (+Inf at m = 0)
	capN [GridSize + 1]float64 // c/(1−m_j) (+Inf at m = 1)
}

func newGridTables() *gridTables {
	g := new(gridTables)
	for j := range g.m {
		m := float64(j) / GridSize
		g.m[j] = m
		g.capP[j] = betC / m
		g.capN[j] = betC / (1 - m)
	}
	return g
}

// Sequence is the state of one confidence sequence. The zero value is not
// usable; create it with NewSequence. It is not safe for concurrent use.
//
// Invariant: -1 ≤ lo < hi ≤ GridSize+1; grid points ≤ lo are excluded by K⁺,
// points ≥ hi by K⁻. For the other points the capitals are evaluated lazily:
// kp[j]·2^(expStep·ep[j]) is K⁺ after the first upP[j] scores (likewise kn,
// en, upN for K⁻), and catching up multiplies the missing factors in order,
// so the bits equal those of an eager update of every point at every step.
type Sequence struct {
	alpha    float64
	thr      float64 // 1/(θα) = 2/α: either side reaching it excludes m
	betNum   float64 // 2·ln(2/α), numerator of λ̃²
	n        int
	sum      float64   // Σ X_i
	sumSq    float64   // Σ (X_i − μ̂_i)², μ̂_i including X_i
	xs       []float64 // X_1…X_n
	lams     []float64 // λ̃_1…λ̃_n, the bets used
	lo, hi   int
	kp, kn   []float64 // K⁺, K⁻ mantissas per grid point
	ep, en   []int32   // their exponents in units of expStep (≤ 0)
	upP, upN []int32   // number of scores already applied to kp, kn
}

// NewSequence returns an empty confidence sequence at level 1−alpha: C_0 =
// [0, 1]. It panics if alpha is not in (0, 1) (programmer error: Params.Validate
// checks it at the boundary).
func NewSequence(alpha float64) *Sequence {
	if !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("stats: NewSequence alpha %v outside (0, 1)", alpha))
	}
	s := &Sequence{
		alpha: alpha,
		kp:    make([]float64, GridSize+1),
		kn:    make([]float64, GridSize+1),
		ep:    make([]int32, GridSize+1),
		en:    make([]int32, GridSize+1),
		upP:   make([]int32, GridSize+1),
		upN:   make([]int32, GridSize+1),
	}
	s.thr = 2 / alpha
	s.betNum = 2 * detLog(2/alpha)
	s.reset()
	return s
}

func (s *Sequence) reset() {
	s.n, s.sum, s.sumSq, s.xs, s.lams = 0, 0, 0, s.xs[:0], s.lams[:0]
	s.lo, s.hi = -1, GridSize+1
	for j := range s.kp {
		s.kp[j], s.kn[j], s.ep[j], s.en[j], s.upP[j], s.upN[j] = 1, 1, 0, 0, 0, 0
	}
}

// ErrScore reports a score that is NaN or outside [0, 1].
var ErrScore = errors.New("stats: score outside [0, 1]")

// Alpha returns the level α the sequence was created with.
func (s *Sequence) Alpha() float64 { return s.alpha }

// N returns the number of scores seen.
func (s *Sequence) N() int { return s.n }

// Mean returns the sample mean of the scores seen, or 0 before the first.
func (s *Sequence) Mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

// Lower returns the lower end of the running confidence interval: with
// probability ≥ 1−α, μ > Lower at every step (μ ≥ 0 = Lower before any
// exclusion). It is a grid point j/GridSize.
func (s *Sequence) Lower() float64 {
	if s.lo < 0 {
		return 0
	}
	return grid.m[s.lo]
}

// Upper returns the upper end of the running confidence interval: with
// probability ≥ 1−α, μ < Upper at every step (μ ≤ 1 = Upper before any
// exclusion). It is a grid point j/GridSize.
func (s *Sequence) Upper() float64 {
	if s.hi > GridSize {
		return 1
	}
	return grid.m[s.hi]
}

// Scores returns a copy of the scores seen, in order.
func (s *Sequence) Scores() []float64 { return append([]float64(nil), s.xs...) }

// bet returns the predictable plug-in bet λ̃_t for the next score, t = n+1
// (Waudby-Smith & Ramdas 2024, Section 4, the λ^PrPl± used with Theorem 3):
//
//	λ̃_t = sqrt( 2·ln(2/α) / (σ̂²_{t−1} · t · ln(1+t)) ),
//	σ̂²_t = (¼ + Σ_{i≤t} (X_i − μ̂_i)²) / (t+1),  μ̂_t = (½ + Σ_{i≤t} X_i) / (t+1),
//
// so σ̂²_0 = ¼. It depends on X_1…X_{t−1} only, which is all validity needs.
func (s *Sequence) bet() float64 {
	// σ̂²_{t−1}·t = ¼ + Σ_{i<t} (X_i − μ̂_i)², so the division by t cancels.
	t := float64(s.n + 1)
	den := float64((0.25 + s.sumSq) * detLog(1+t))
	return math.Sqrt(s.betNum / den)
}

// Update adds one score. x must be in [0, 1]; NaN or anything outside returns
// an error wrapping ErrScore and leaves the sequence unchanged.
func (s *Sequence) Update(x float64) error {
	if !(x >= 0 && x <= 1) {
		return fmt.Errorf("%w: %v at step %d", ErrScore, x, s.n+1)
	}
	if s.kp == nil {
		return errors.New("stats: Update on a Sequence not made by NewSequence or UnmarshalJSON")
	}
	if s.n >= maxN {
		return fmt.Errorf("stats: sequence longer than %d scores", maxN)
	}
	lam := s.bet()
	s.xs = append(s.xs, x)
	s.lams = append(s.lams, lam)
	s.n++
	s.sum += x
	// Running estimates for the next bet: μ̂_t includes X_t.
	mu := (0.5 + s.sum) / float64(s.n+1)
	d := x - mu
	s.sumSq += float64(d * d)
	s.shrink()
	return nil
}

// shrink moves the excluded prefix and suffix inward: the next point above
// lo leaves once its K⁺ reaches 2/α, the next below hi once its K⁻ does.
// Monotonicity in m means only these boundary points need evaluating; each
// is brought up to date first.
func (s *Sequence) shrink() {
	for s.lo+1 < s.hi {
		j := s.lo + 1
		s.catchUpP(j)
		if s.ep[j] != 0 || s.kp[j] < s.thr {
			break
		}
		s.lo++
	}
	for s.hi-1 > s.lo {
		j := s.hi - 1
		s.catchUpN(j)
		if s.en[j] != 0 || s.kn[j] < s.thr {
			break
		}
		s.hi--
	}
}

// catchUpP applies the factors 1 + min(λ̃_i, c/m_j)·(X_i − m_j) not yet in
// K⁺(m_j), in order.
func (s *Sequence) catchUpP(j int) {
	m, cp := grid.m[j], grid.capP[j]
	k, e := s.kp[j], s.ep[j]
	for i := int(s.upP[j]); i < s.n; i++ {
		lp := s.lams[i]
		if cp < lp {
			lp = cp
		}
		k = float64(k * (1 + float64(lp*(s.xs[i]-m))))
		normalize(&k, &e)
	}
	s.kp[j], s.ep[j], s.upP[j] = k, e, int32(s.n)
}

// catchUpN applies the factors 1 − min(λ̃_i, c/(1−m_j))·(X_i − m_j) not yet
// in K⁻(m_j), in order.
func (s *Sequence) catchUpN(j int) {
	m, cn := grid.m[j], grid.capN[j]
	k, e := s.kn[j], s.en[j]
	for i := int(s.upN[j]); i < s.n; i++ {
		ln := s.lams[i]
		if cn < ln {
			ln = cn
		}
		k = float64(k * (1 - float64(ln*(s.xs[i]-m))))
		normalize(&k, &e)
	}
	s.kn[j], s.en[j], s.upN[j] = k, e, int32(s.n)
}

// normalize keeps k·2^(expStep·e) in range without changing its value:
// scaling by a power of two is exact for normal numbers.
func normalize(k *float64, e *int32) {
	if *k < expLow {
		*k *= expHigh
		*e--
	} else if *e < 0 && *k > expHigh {
		*k *= expLow
		*e++
	}
}
