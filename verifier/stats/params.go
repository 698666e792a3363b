package stats

import (
	"errors"
	"fmt"
	"math"
)

// Params are the decision parameters of one verification.
type Params struct {
	// Alpha is the error level: with probability ≥ 1−Alpha no verdict is
	// wrong, whatever the stopping rule. In (0, 1).
	Alpha float64
	// Gamma is the SAME threshold: SAME means μ < Gamma. In (0, 1).
	Gamma float64
	// Delta is the DIFFERENT threshold: DIFFERENT means μ > Delta.
	// Gamma < Delta < 1.
	Delta float64
	// NMin is the number of scores before any verdict but Continue, however
	// clear the interval (so a verdict always rests on a spread of
	// challenges). 1 ≤ NMin ≤ NMax.
	NMin int
	// NMax is the budget: at NMax scores without SAME or DIFFERENT the
	// verdict is UNDECIDED. NMax ≤ 1<<20.
	NMax int
}

// ErrParams reports invalid Params.
var ErrParams = errors.New("stats: invalid parameters")

// Validate reports whether p is usable, naming the first bad field.
func (p Params) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v, want %s", ErrParams, field, v, want)
	}
	switch {
	case !(p.Alpha > 0 && p.Alpha < 1):
		return bad("Alpha", p.Alpha, "in (0, 1)")
	case !(p.Gamma > 0 && p.Gamma < 1):
		return bad("Gamma", p.Gamma, "in (0, 1)")
	case !(p.Delta > p.Gamma && p.Delta < 1):
		return bad("Delta", p.Delta, fmt.Sprintf("in (Gamma=%v, 1)", p.Gamma))
	case p.NMin < 1:
		return bad("NMin", p.NMin, "≥ 1")
	case p.NMax < p.NMin || p.NMax > maxN:
		return bad("NMax", p.NMax, fmt.Sprintf("in [NMin=%d, %d]", p.NMin, maxN))
	}
	return nil
}

// Verdict is the state of the decision after a score.
type Verdict uint8

// Verdict values. They are stored in checkpoints and certificates, so the
// numbers must not change.
const (
	Continue  Verdict = 0 // no verdict yet; draw another challenge
	Same      Verdict = 1 // μ < γ with confidence 1−α
	Different Verdict = 2 // μ > δ with confidence 1−α
	Undecided Verdict = 3 // NMax reached with neither
)

var verdictNames = [...]string{"CONTINUE", "SAME", "DIFFERENT", "UNDECIDED"}

// String returns the upper-case name ("SAME"), or "Verdict(n)" if unknown.
func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", v)
}

// MarshalText encodes v as its name; unknown values are an error.
func (v Verdict) MarshalText() ([]byte, error) {
	if int(v) >= len(verdictNames) {
		return nil, fmt.Errorf("stats: unknown verdict %d", v)
	}
	return []byte(verdictNames[v]), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (v *Verdict) UnmarshalText(b []byte) error {
	for i, name := range verdictNames {
		if string(b) == name {
			*v = Verdict(i)
			return nil
		}
	}
	return fmt.Errorf("stats: unknown verdict %q", b)
}

// Decide applies the decision rule to the sequence after its latest score:
//
//   - SAME when n ≥ NMin and Upper < Gamma,
//   - DIFFERENT when n ≥ NMin and Lower > Delta,
//   - UNDECIDED when n ≥ NMax,
//   - Continue otherwise.
//
// The reason is a plain sentence with the numbers. Both SAME and DIFFERENT
// are statements that hold with probability ≥ 1−α at any stopping time,
// because the interval is a confidence sequence; they cannot both hold since
// Lower < Upper and Gamma < Delta.
//
// Robustness across machines: Lower and Upper are grid points j/GridSize
// computed by one division, so the comparisons see the same bits on every
// platform whenever the grid indices agree; and the indices agree unless a
// capital lies within rounding of 2/α. The verdict of a replayed transcript
// is therefore compared exactly (see Tolerance for the bounds).
//
// Decide panics if p is invalid or p.Alpha differs from the sequence's alpha:
// both are programmer errors (validate Params at the boundary and build the
// sequence from them).
func Decide(s *Sequence, p Params) (Verdict, string) {
	if err := p.Validate(); err != nil {
		panic(err.Error())
	}
	if p.Alpha != s.alpha {
		panic(fmt.Sprintf("stats: Decide with alpha %v on a sequence built with %v", p.Alpha, s.alpha))
	}
	v := decide(s, p)
	return v, reason(v, s, p)
}

// decide is the rule of Decide without the sentence.
func decide(s *Sequence, p Params) Verdict {
	n := s.N()
	switch {
	case n >= p.NMin && s.Upper() < p.Gamma:
		return Same
	case n >= p.NMin && s.Lower() > p.Delta:
		return Different
	case n >= p.NMax:
		return Undecided
	}
	return Continue
}

// reason explains verdict v of s under p in one sentence with the numbers.
func reason(v Verdict, s *Sequence, p Params) string {
	n, lo, hi := s.N(), s.Lower(), s.Upper()
	conf := 100 * (1 - p.Alpha)
	switch {
	case v == Same:
		return fmt.Sprintf("after %d challenges the mean score is below %s with %s%% confidence "+
			"(interval [%s, %s], mean %s), under the SAME threshold γ = %s",
			n, fmtF(hi), fmtF(conf), fmtF(lo), fmtF(hi), fmtF(s.Mean()), fmtF(p.Gamma))
	case v == Different:
		return fmt.Sprintf("after %d challenges the mean score is above %s with %s%% confidence "+
			"(interval [%s, %s], mean %s), over the DIFFERENT threshold δ = %s",
			n, fmtF(lo), fmtF(conf), fmtF(lo), fmtF(hi), fmtF(s.Mean()), fmtF(p.Delta))
	case v == Undecided:
		return fmt.Sprintf("budget of %d challenges spent: the mean score lies in [%s, %s] with %s%% "+
			"confidence (mean %s), neither below γ = %s nor above δ = %s",
			n, fmtF(lo), fmtF(hi), fmtF(conf), fmtF(s.Mean()), fmtF(p.Gamma), fmtF(p.Delta))
	case n < p.NMin:
		return fmt.Sprintf("%d of at least %d challenges done; interval [%s, %s]",
			n, p.NMin, fmtF(lo), fmtF(hi))
	default:
		return fmt.Sprintf("after %d challenges the interval [%s, %s] is neither below γ = %s "+
			"nor above δ = %s", n, fmtF(lo), fmtF(hi), fmtF(p.Gamma), fmtF(p.Delta))
	}
}

// fmtF prints a float with at most 4 decimals and no trailing zeros.
func fmtF(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	s := fmt.Sprintf("%.4f", x)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
