// Package score turns a candidate's next-token distributions into the
// bounded per-challenge scores that the sequential test (package stats)
// consumes.
//
// Three steps, each a pure function:
//
//  1. Distance at one position: the total-variation distance between the
//     reference's distribution and the candidate's on the same buckets (the
//     reference's top-k token ids plus one bucket for all other ids). The
//     candidate is always scored on the reference's ids.
//  2. Distance of a challenge: the largest distance over its K scored
//     positions. A fine-tune moves a few contexts a lot and most a little,
//     so the maximum carries more of the signal than the mean (measured:
//     see the verifier's power tests).
//  3. Rank: the number of calibration distances at least as large as the
//     challenge's. The calibration distances are what a faithful version of
//     the reference (the same weights requantized to the candidate's types)
//     shows on calibration challenges disjoint from the test ones. For a
//     faithful candidate test and calibration distances are exchangeable,
//     so (rank+1)/(m+1) is a conformal p-value; the rank test of package
//     stats turns ranks into verdicts. A raw mean distance would not do:
//     it is ~1e-3 for faithful and altered models alike.
//
// Identical weights on the same engine and backend give bit-identical
// distributions, so that floor is exactly zero; Epsilon keeps last-ulp
// differences between machines (libm, FMA) from counting as evidence.
package score

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Epsilon is the smallest distance that counts as a difference. A float32
// log-probability that moved by one ulp changes the total-variation
// distance by about 1e-7; Epsilon sits two orders above that and several
// below what a 1% weight change causes (~1e-3 on the synth models).
const Epsilon = 1e-5

// Buckets is a distribution over a reference's top-k ids and the tail:
// LogProbs[j] is the log-probability of id j of the reference's list and
// TailLogProb that of every other id.
type Buckets struct {
	LogProbs    []float32
	TailLogProb float32
}

// TV returns the total-variation distance between p and q, which must have
// the same number of buckets. It is in [0, 1]; NaN inputs give an error.
func TV(p, q Buckets) (float64, error) {
	if len(p.LogProbs) != len(q.LogProbs) {
		return 0, fmt.Errorf("score: %d buckets against %d", len(p.LogProbs), len(q.LogProbs))
	}
	var sum float64
	for j := range p.LogProbs {
		a, b := float64(p.LogProbs[j]), float64(q.LogProbs[j])
		if math.IsNaN(a) || math.IsNaN(b) {
			return 0, errors.New("score: NaN log-probability")
		}
		sum += math.Abs(math.Exp(a) - math.Exp(b))
	}
	sum += math.Abs(tail(p) - tail(q))
	d := sum / 2
	return min(max(d, 0), 1), nil
}

// tail returns the probability outside the listed buckets (0 for a tail
// of -Inf, which is what a full-vocabulary list has).
func tail(b Buckets) float64 {
	t := math.Exp(float64(b.TailLogProb))
	if math.IsNaN(t) {
		t = 0
	}
	return t
}

// Challenge returns the distance of one challenge: the largest of its
// per-position distances (0 for none).
func Challenge(perPosition []float64) float64 {
	var d float64
	for _, x := range perPosition {
		d = max(d, x)
	}
	return d
}

// Floor is a calibrated noise floor: the distances that a faithful version
// of the reference shows on calibration challenges.
type Floor struct {
	// Samples are the calibration distances, sorted ascending.
	Samples []float64 `json:"samples"`
	// Source says what was measured, e.g. "requantized to Q4_K_M by the
	// verifier" or "fingerprint profile Q8_0"; ZeroSource for an exact
	// floor.
	Source string `json:"source"`
	// Seed (hex), when set, is the seed of the calibration challenges that
	// were measured, when it is not the run's own: a floor kept from an
	// earlier run and reused (job.Config.FloorCache).
	Seed string `json:"seed,omitempty"`
}

// ZeroFloor is the floor of a candidate that must reproduce the reference
// exactly (same weights, types, engine and backend).
func ZeroFloor() Floor { return Floor{Source: ZeroSource} }

// ZeroSource is the source of the zero floor.
const ZeroSource = "zero: the candidate has the reference's own tensor types, so a faithful copy reproduces every log-probability exactly"

// NewFloor returns the floor with the given calibration distances.
func NewFloor(samples []float64, source string) (Floor, error) {
	s := slices.Clone(samples)
	for _, x := range s {
		if math.IsNaN(x) || x < 0 || x > 1 {
			return Floor{}, fmt.Errorf("score: calibration distance %v outside [0, 1]", x)
		}
	}
	slices.Sort(s)
	return Floor{Samples: s, Source: source}, nil
}

// Zero reports whether f is the zero floor.
func (f Floor) Zero() bool { return len(f.Samples) == 0 }

// Rank returns the number of calibration distances at least d, counting a
// distance of at most Epsilon as no difference at all (rank m). For the
// zero floor it is 0 when d counts as a difference and 1 otherwise, as
// stats.Rule expects of its exact rule.
func (f Floor) Rank(d float64) int {
	if d <= Epsilon {
		return max(len(f.Samples), 1)
	}
	// Samples are sorted ascending: count those ≥ d.
	i, _ := slices.BinarySearch(f.Samples, d)
	return len(f.Samples) - i
}

// Threshold returns the distance a challenge must exceed to rank below
// rank: the rank-th largest calibration distance, at least Epsilon.
func (f Floor) Threshold(rank int) float64 {
	t := Epsilon
	if n := len(f.Samples); rank >= 1 && rank <= n {
		t = max(t, f.Samples[n-rank])
	}
	return t
}
