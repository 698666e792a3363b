package stats

import "fmt"

// Step is the confidence sequence after one score.
type Step struct {
	N     int     `json:"n"`     // scores seen
	Mean  float64 `json:"mean"`  // sample mean
	Lower float64 `json:"lower"` // running lower bound
	Upper float64 `json:"upper"` // running upper bound
}

// Result is the outcome of Replay.
type Result struct {
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
	// N is the number of scores consumed: the stopping point (1-based) if a
	// verdict other than Continue was reached, else len(xs).
	N int `json:"n"`
	// Unused counts the scores after the stopping point. A transcript that
	// claims to have stopped by this rule should have none; the caller
	// (certificate verification) decides whether that is an error.
	Unused int `json:"unused"`
	// Steps holds the bounds after each consumed score, for plots.
	Steps []Step `json:"steps"`
	// Lower and Upper are the final bounds.
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
}

// Replay recomputes the sequence and the decision from a list of scores,
// stopping at the first verdict other than Continue, as the live run does.
// It is what certificate verification runs: the result is a pure function of
// (xs, p). An invalid p or a score outside [0, 1] is an error.
func Replay(xs []float64, p Params) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, err
	}
	s := NewSequence(p.Alpha)
	r := Result{Verdict: Continue, Steps: make([]Step, 0, min(len(xs), p.NMax))}
	for i, x := range xs {
		if err := s.Update(x); err != nil {
			return Result{}, fmt.Errorf("stats: replay score %d: %w", i, err)
		}
		r.Steps = append(r.Steps, Step{N: s.N(), Mean: s.Mean(), Lower: s.Lower(), Upper: s.Upper()})
		if r.Verdict = decide(s, p); r.Verdict != Continue {
			break
		}
	}
	r.Reason = reason(r.Verdict, s, p)
	r.N = s.N()
	r.Unused = len(xs) - r.N
	r.Lower, r.Upper = s.Lower(), s.Upper()
	return r, nil
}

// StepsToSame returns how many consecutive scores equal to x it takes to
// reach SAME under p, or -1 if the rule stops otherwise (DIFFERENT or
// UNDECIDED at NMax) first. It is the reachability arithmetic of a preset:
// x = 0 is a perfect candidate, x near the noise floor a faithful one.
func StepsToSame(p Params, x float64) int { return stepsTo(p, x, Same) }

// StepsToDifferent is StepsToSame for DIFFERENT (x = 1: an altered model
// that differs on every challenge).
func StepsToDifferent(p Params, x float64) int { return stepsTo(p, x, Different) }

func stepsTo(p Params, x float64, want Verdict) int {
	if p.Validate() != nil || !(x >= 0 && x <= 1) {
		return -1
	}
	s := NewSequence(p.Alpha)
	for {
		_ = s.Update(x) // x checked above; n ≤ NMax ≤ maxN
		switch decide(s, p) {
		case Continue:
			continue
		case want:
			return s.N()
		default:
			return -1
		}
	}
}
