package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDetLogMatchesMathLog(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	xs := []float64{1, 2, 0.5, math.E, 10, 1e-300, 1e300, math.SmallestNonzeroFloat64 * 4, math.MaxFloat64, 1 + 1e-15, 1 - 1e-16}
	for i := 1; i <= 5000; i++ {
		xs = append(xs, float64(i), 2/(float64(i)*1e-3), math.Exp(r.Float64()*1400-700))
	}
	for _, x := range xs {
		got, want := detLog(x), math.Log(x)
		if x < 0x1p-1022 {
			// amd64's assembly math.Log mishandles subnormals (it returns
			// about -709.09 for 2e-323); scale into the normal range instead.
			want = math.Log(x*0x1p100) - 100*math.Ln2
		}
		if diff := math.Abs(got - want); diff > 4*ulp(want) {
			t.Errorf("detLog(%v) = %v, math.Log = %v (diff %g > 4 ulp)", x, got, want, diff)
		}
	}
	for _, x := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if got := detLog(x); !math.IsNaN(got) {
			t.Errorf("detLog(%v) = %v, want NaN", x, got)
		}
	}
}

// catchUpAll brings every active grid point's capitals up to date.
func catchUpAll(s *Sequence) {
	for j := s.lo + 1; j < s.hi; j++ {
		s.catchUpP(j)
		s.catchUpN(j)
	}
}

func ulp(x float64) float64 {
	x = math.Abs(x)
	if x == 0 {
		return math.SmallestNonzeroFloat64
	}
	return math.Nextafter(x, math.Inf(1)) - x
}

func TestUpdateRejectsBadScores(t *testing.T) {
	s := NewSequence(0.05)
	if err := s.Update(0.3); err != nil {
		t.Fatal(err)
	}
	lo, hi := s.Lower(), s.Upper()
	for _, x := range []float64{math.NaN(), -0.0001, 1.0001, math.Inf(1), math.Inf(-1)} {
		err := s.Update(x)
		if !errors.Is(err, ErrScore) {
			t.Errorf("Update(%v) = %v, want ErrScore", x, err)
		}
	}
	if s.N() != 1 || s.Lower() != lo || s.Upper() != hi {
		t.Errorf("rejected scores changed the sequence: n=%d [%v,%v]", s.N(), s.Lower(), s.Upper())
	}
	for _, x := range []float64{0, 1, math.Copysign(0, -1)} {
		if err := s.Update(x); err != nil {
			t.Errorf("Update(%v) = %v, want nil", x, err)
		}
	}
}

func TestZeroSequenceRejectsUpdate(t *testing.T) {
	var s Sequence
	if err := s.Update(0.5); err == nil {
		t.Error("Update on a zero Sequence: no error")
	}
}

func TestEmptySequence(t *testing.T) {
	s := NewSequence(0.01)
	if s.N() != 0 || s.Mean() != 0 || s.Lower() != 0 || s.Upper() != 1 {
		t.Errorf("empty: n=%d mean=%v [%v,%v], want 0 0 [0,1]", s.N(), s.Mean(), s.Lower(), s.Upper())
	}
}

// TestCapitalMonotoneInM checks the property the interval claim rests on:
// K⁺_t(m) is non-increasing and K⁻_t(m) non-decreasing across the grid.
func TestCapitalMonotoneInM(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		// Track every point: a sequence whose bounds never move.
		s := NewSequence(0.05)
		s.thr = math.Inf(1)
		p := r.Float64()
		for i := 0; i < 60; i++ {
			x := r.Float64() * 2 * p
			if x > 1 {
				x = 1
			}
			if err := s.Update(x); err != nil {
				t.Fatal(err)
			}
		}
		catchUpAll(s)
		val := func(k float64, e int32) float64 { return math.Ldexp(k, expStep*int(e)) }
		for j := 1; j <= GridSize; j++ {
			a, b := val(s.kp[j-1], s.ep[j-1]), val(s.kp[j], s.ep[j])
			if b > a*(1+1e-12) {
				t.Fatalf("trial %d: K+ increases from m=%v (%g) to m=%v (%g)", trial, grid.m[j-1], a, grid.m[j], b)
			}
			a, b = val(s.kn[j-1], s.en[j-1]), val(s.kn[j], s.en[j])
			if a > b*(1+1e-12) {
				t.Fatalf("trial %d: K- decreases from m=%v (%g) to m=%v (%g)", trial, grid.m[j-1], a, grid.m[j], b)
			}
		}
	}
}

// logCapital is an independent, slow implementation of the hedged capital
// of Theorem 3 at an arbitrary m, in log space with math.Log1p and the bets
// recomputed from scratch with math.Log: it returns ln K⁺_t(m), ln K⁻_t(m).
func logCapital(xs []float64, alpha, m float64) (float64, float64) {
	var lp, ln float64
	sum, sq := 0.0, 0.0
	for i, x := range xs {
		t := float64(i + 1)
		sigPrev := (0.25 + sq) / t
		lam := math.Sqrt(2 * math.Log(2/alpha) / (sigPrev * t * math.Log(1+t)))
		lamP, lamN := math.Min(lam, betC/m), math.Min(lam, betC/(1-m))
		lp += math.Log1p(lamP * (x - m))
		ln += math.Log1p(-lamN * (x - m))
		sum += x
		mu := (0.5 + sum) / (t + 1)
		sq += (x - mu) * (x - mu)
	}
	return lp, ln
}

// TestBoundsMatchIndependentInversion inverts the independent logCapital by
// bisection and checks the grid bounds: the running lower bound must equal
// the largest grid point below the exact running lower end, within one step.
func TestBoundsMatchIndependentInversion(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 6; trial++ {
		alpha := []float64{0.05, 0.01, 0.001}[trial%3]
		p := 0.05 + 0.9*r.Float64()
		s := NewSequence(alpha)
		var xs []float64
		lowRun, upRun := 0.0, 1.0
		thr := math.Log(2 / alpha)
		for i := 0; i < 100; i++ {
			x := 0.0
			if r.Float64() < p {
				x = r.Float64()
			}
			xs = append(xs, x)
			if err := s.Update(x); err != nil {
				t.Fatal(err)
			}
			// Exact ends by bisection on the monotone log capitals.
			a := bisect(func(m float64) bool { l, _ := logCapital(xs, alpha, m); return l >= thr })
			b := bisect(func(m float64) bool { _, l := logCapital(xs, alpha, m); return l < thr })
			lowRun, upRun = math.Max(lowRun, a), math.Min(upRun, b)
			if s.Lower() > lowRun+1e-9 || s.Lower() < lowRun-1.0/GridSize-1e-9 {
				t.Errorf("trial %d n=%d: Lower %v, exact running lower end %v", trial, i+1, s.Lower(), lowRun)
			}
			if s.Upper() < upRun-1e-9 || s.Upper() > upRun+1.0/GridSize+1e-9 {
				t.Errorf("trial %d n=%d: Upper %v, exact running upper end %v", trial, i+1, s.Upper(), upRun)
			}
		}
		t.Logf("trial %d α=%v p=%.3f n=100 mean=%.4f: grid [%v, %v], exact [%.5f, %.5f]",
			trial, alpha, p, s.Mean(), s.Lower(), s.Upper(), lowRun, upRun)
	}
}

// bisect returns the point in [0, 1] where pred switches from true to false
// (pred true on a prefix); 0 if pred(0) is false, 1 if pred(1) is true.
func bisect(pred func(float64) bool) float64 {
	if !pred(0) {
		return 0
	}
	if pred(1) {
		return 1
	}
	lo, hi := 0.0, 1.0
	for i := 0; i < 60; i++ {
		mid := (lo + hi) / 2
		if pred(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func TestNewSequencePanicsOnBadAlpha(t *testing.T) {
	for _, a := range []float64{0, 1, -0.1, math.NaN()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSequence(%v) did not panic", a)
				}
			}()
			NewSequence(a)
		}()
	}
}

func BenchmarkUpdate(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	s := NewSequence(0.01)
	for i := 0; b.Loop(); i++ {
		if i%400 == 0 {
			s.reset()
		}
		x := 0.0
		if r.Float64() < 0.2 {
			x = 1
		}
		_ = s.Update(x)
	}
}
