package score

import (
	"math"
	"testing"
)

func lp(ps ...float64) []float32 {
	out := make([]float32, len(ps))
	for i, p := range ps {
		out[i] = float32(math.Log(p))
	}
	return out
}

func TestTV(t *testing.T) {
	for _, tc := range []struct {
		name string
		p, q Buckets
		want float64
	}{
		{"identical", Buckets{lp(0.5, 0.3), float32(math.Log(0.2))}, Buckets{lp(0.5, 0.3), float32(math.Log(0.2))}, 0},
		{"swap", Buckets{lp(0.9, 0.1), float32(math.Inf(-1))}, Buckets{lp(0.1, 0.9), float32(math.Inf(-1))}, 0.8},
		{"mass to tail", Buckets{lp(0.6, 0.4), float32(math.Inf(-1))}, Buckets{lp(0.3, 0.2), float32(math.Log(0.5))}, 0.5},
	} {
		got, err := TV(tc.p, tc.q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: TV = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := TV(Buckets{LogProbs: lp(1)}, Buckets{LogProbs: lp(0.5, 0.5)}); err == nil {
		t.Error("mismatched bucket counts: no error")
	}
	if _, err := TV(Buckets{LogProbs: []float32{float32(math.NaN())}}, Buckets{LogProbs: lp(1)}); err == nil {
		t.Error("NaN: no error")
	}
}

func TestFloor(t *testing.T) {
	z := ZeroFloor()
	if z.Rank(0) != 1 || z.Rank(Epsilon/2) != 1 || z.Rank(1e-4) != 0 {
		t.Error("zero floor must pass last-ulp noise and flag real differences")
	}
	f, err := NewFloor([]float64{0.03, 0.01, 0.02, 0.02}, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		d    float64
		rank int
	}{{0, 4}, {Epsilon, 4}, {0.005, 4}, {0.01, 4}, {0.015, 3}, {0.02, 3}, {0.025, 1}, {0.03, 1}, {0.031, 0}, {1, 0}} {
		if got := f.Rank(c.d); got != c.rank {
			t.Errorf("Rank(%v) = %d, want %d (calibration distances ≥ d)", c.d, got, c.rank)
		}
	}
	if f.Threshold(1) != 0.03 || f.Threshold(2) != 0.02 || f.Threshold(4) != 0.01 || z.Threshold(1) != Epsilon {
		t.Errorf("thresholds %v %v %v: want the rank-th largest sample", f.Threshold(1), f.Threshold(2), f.Threshold(4))
	}
	if _, err := NewFloor([]float64{math.NaN()}, ""); err == nil {
		t.Error("NaN calibration distance accepted")
	}
}

// TestExchangeability checks the claim behind the rank: for a faithful
// candidate (test distances from the calibration distribution) the rank is
// uniform on 0…m, whatever that distribution is, so it exceeds the r-th
// largest with probability r/(m+1).
func TestExchangeability(t *testing.T) {
	const m, trials = 31, 20000
	seed := uint64(12345)
	next := func() float64 { // xorshift, a fixed stream independent of math/rand versions
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return float64(seed>>11) / (1 << 53)
	}
	var counts [m + 1]int
	for i := 0; i < trials; i++ {
		cal := make([]float64, m)
		for j := range cal {
			cal[j] = next() * next() // a skewed distribution
		}
		f, _ := NewFloor(cal, "")
		counts[f.Rank(next()*next())]++
	}
	for _, r := range []int{1, 4, 16} {
		below := 0
		for k := 0; k < r; k++ {
			below += counts[k]
		}
		rate, want := float64(below)/trials, float64(r)/(m+1)
		if math.Abs(rate-want) > 4*math.Sqrt(want*(1-want)/trials) {
			t.Errorf("P(rank < %d) = %.4f, want %.4f", r, rate, want)
		}
	}
}

func TestChallenge(t *testing.T) {
	if Challenge(nil) != 0 || Challenge([]float64{0.1, 0.4, 0.2}) != 0.4 {
		t.Error("challenge distance is the maximum over positions")
	}
}
