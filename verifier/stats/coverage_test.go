package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// dist is a score distribution with known mean.
type dist struct {
	name string
	mu   float64
	draw func(*rand.Rand) float64
}

func bernoulli(p float64) dist {
	return dist{fmt.Sprintf("Bernoulli(%g)", p), p, func(r *rand.Rand) float64 {
		if r.Float64() < p {
			return 1
		}
		return 0
	}}
}

// betaInt draws Beta(a, b) for integer a, b as the a-th smallest of a+b−1
// uniforms; its mean is a/(a+b).
func betaInt(a, b int) dist {
	return dist{fmt.Sprintf("Beta(%d,%d)", a, b), float64(a) / float64(a+b), func(r *rand.Rand) float64 {
		var u [16]float64
		k := a + b - 1
		for i := range k {
			u[i] = r.Float64()
		}
		slices.Sort(u[:k])
		return u[a-1]
	}}
}

func pointMass(x float64) dist {
	return dist{fmt.Sprintf("point(%g)", x), x, func(*rand.Rand) float64 { return x }}
}

// simParams are the parameters of the coverage simulation. α = 0.05 rather
// than a production 0.01 so that miscoverage, if the construction were wrong,
// would show up in a few thousand streams.
var simParams = Params{Alpha: 0.05, Gamma: 0.2, Delta: 0.5, NMin: 10, NMax: 300}

// simDists straddle γ = 0.2 and δ = 0.5 and include both point masses.
func simDists() []dist {
	return []dist{
		pointMass(0), pointMass(1), bernoulli(0.02), bernoulli(0.15), bernoulli(0.2),
		bernoulli(0.25), bernoulli(0.45), bernoulli(0.5), bernoulli(0.55), bernoulli(0.9),
		betaInt(2, 8), betaInt(1, 1), betaInt(5, 2), betaInt(1, 9),
	}
}

type simOutcome struct {
	d                    dist
	streams              int
	miscover             int // μ outside (Lower, Upper) at some step
	wrongSame, wrongDiff int // SAME with μ ≥ γ, DIFFERENT with μ ≤ δ
	same, diff, undec    int
	stepsSum             int
}

// miscovered reports whether μ is outside the reported interval: μ ≤ Lower
// once Lower is an excluded point, or μ ≥ Upper once Upper is.
func miscovered(s *Sequence, mu float64) bool {
	return (s.lo >= 0 && mu <= s.Lower()) || (s.hi <= GridSize && mu >= s.Upper())
}

// simulate runs streams from d. With stop, each stream stops at its first
// verdict (optional stopping); without, it runs to NMax whatever the rule
// says, so miscoverage is checked over the whole horizon.
func simulate(d dist, p Params, streams int, seed uint64, stop bool) simOutcome {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	o := simOutcome{d: d, streams: streams}
	s := NewSequence(p.Alpha)
	for range streams {
		s.reset()
		bad, decided := false, false
		for s.N() < p.NMax {
			_ = s.Update(d.draw(r))
			bad = bad || miscovered(s, d.mu)
			if decided {
				continue
			}
			switch decide(s, p) {
			case Continue:
				continue
			case Same:
				o.same++
				if d.mu >= p.Gamma {
					o.wrongSame++
				}
			case Different:
				o.diff++
				if d.mu <= p.Delta {
					o.wrongDiff++
				}
			case Undecided:
				o.undec++
			}
			decided = true
			o.stepsSum += s.N()
			if stop {
				break
			}
		}
		if bad {
			o.miscover++
		}
	}
	return o
}

// TestCoverageSimulation is the proof by simulation that the sequence is a
// (1−α) confidence sequence under optional stopping: 14 distributions ×
// (1000 streams stopped at the first verdict + 300 streams run to NMax).
// Each distribution's miscoverage count must be below the 1−10⁻⁶ quantile of
// Binomial(streams, α) (what a construction with miscoverage exactly α would
// exceed only once in a million runs), and the pooled one-sided 95%
// Clopper–Pearson upper bound must be ≤ α.
func TestCoverageSimulation(t *testing.T) {
	stopped, full := 1000, 300
	if testing.Short() {
		stopped, full = 200, 60
	}
	p := simParams
	dists := simDists()
	results := make([]simOutcome, 2*len(dists))
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, d := range dists {
		for k, stop := range []bool{true, false} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				n := full
				if stop {
					n = stopped
				}
				results[2*i+k] = simulate(d, p, n, uint64(1000+2*i+k), stop)
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	var total, bad, wrong int
	for k, o := range results {
		mode := "stop at verdict"
		if k%2 == 1 {
			mode = "run to NMax"
		}
		crit := binomCrit(o.streams, p.Alpha, 1e-6)
		t.Logf("%-14s μ=%.3f %-15s streams=%4d miscover=%3d (crit %d) wrong SAME=%d DIFFERENT=%d | SAME=%d DIFFERENT=%d UNDECIDED=%d mean stop=%.1f",
			o.d.name, o.d.mu, mode, o.streams, o.miscover, crit, o.wrongSame, o.wrongDiff,
			o.same, o.diff, o.undec, float64(o.stepsSum)/float64(max(1, o.same+o.diff+o.undec)))
		if o.miscover > crit {
			t.Errorf("%s (%s): %d of %d streams miscovered, above the binomial critical value %d for α=%v",
				o.d.name, mode, o.miscover, o.streams, crit, p.Alpha)
		}
		if o.wrongSame+o.wrongDiff > o.miscover {
			t.Errorf("%s: %d wrong verdicts but only %d miscoverages: a wrong verdict implies miscoverage",
				o.d.name, o.wrongSame+o.wrongDiff, o.miscover)
		}
		total += o.streams
		bad += o.miscover
		wrong += o.wrongSame + o.wrongDiff
	}
	up := clopperPearsonUpper(bad, total, 0.05)
	t.Logf("pooled: %d streams, %d miscovered (rate %.5f, 95%% upper bound %.5f), %d wrong verdicts; α=%v; %v on %d workers",
		total, bad, float64(bad)/float64(total), up, wrong, p.Alpha, elapsed.Round(time.Millisecond), 2)
	if up > p.Alpha {
		t.Errorf("pooled miscoverage upper bound %.5f exceeds α = %v", up, p.Alpha)
	}
	if !testing.Short() && total < 10000 {
		t.Errorf("only %d streams simulated, want ≥ 10000", total)
	}
	// The faithful-candidate stream must actually be decided SAME, and the
	// altered one DIFFERENT: coverage alone would pass a useless [0,1].
	for _, o := range results {
		switch o.d.mu {
		case 0, 0.02:
			if o.same != o.streams {
				t.Errorf("%s: SAME in %d of %d streams, want all", o.d.name, o.same, o.streams)
			}
		case 0.9, 1:
			if o.diff != o.streams {
				t.Errorf("%s: DIFFERENT in %d of %d streams, want all", o.d.name, o.diff, o.streams)
			}
		}
	}
}

// logBinomPMF returns ln P(Bin(n, p) = k).
func logBinomPMF(k, n int, p float64) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	return lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
}

// binomCDF returns P(Bin(n, p) ≤ k).
func binomCDF(k, n int, p float64) float64 {
	s := 0.0
	for i := 0; i <= k && i <= n; i++ {
		s += math.Exp(logBinomPMF(i, n, p))
	}
	return math.Min(s, 1)
}

// binomCrit returns the smallest k with P(Bin(n, p) > k) ≤ tail.
func binomCrit(n int, p, tail float64) int {
	s := 0.0
	for k := 0; k <= n; k++ {
		s += math.Exp(logBinomPMF(k, n, p))
		if 1-s <= tail {
			return k
		}
	}
	return n
}

// clopperPearsonUpper returns the one-sided (1−conf) Clopper–Pearson upper
// bound on a binomial rate after k successes in n: the p with
// P(Bin(n, p) ≤ k) = conf.
func clopperPearsonUpper(k, n int, conf float64) float64 {
	if k >= n {
		return 1
	}
	lo, hi := float64(k)/float64(n), 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if binomCDF(k, n, mid) > conf {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

func TestBinomialHelpers(t *testing.T) {
	// Known values: P(Bin(10, 0.5) ≤ 5) = 638/1024; CP upper for 0 of n is
	// 1 − conf^(1/n).
	if got, want := binomCDF(5, 10, 0.5), 638.0/1024; math.Abs(got-want) > 1e-12 {
		t.Errorf("binomCDF(5,10,.5) = %v, want %v", got, want)
	}
	if got, want := clopperPearsonUpper(0, 1000, 0.05), 1-math.Pow(0.05, 1.0/1000); math.Abs(got-want) > 1e-9 {
		t.Errorf("CP upper(0/1000) = %v, want %v", got, want)
	}
	// Bin(1000, 0.05): mean 50, sd 6.9; the 1e-6 tail starts near mean + 4.9 sd.
	if k := binomCrit(1000, 0.05, 1e-6); k < 75 || k > 95 {
		t.Errorf("binomCrit(1000, .05, 1e-6) = %d, want about 85", k)
	}
}
