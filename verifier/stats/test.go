package stats

import (
	"encoding/json"
	"fmt"
)

// Test is the running state of a Rule: one confidence sequence per level.
// Create it with NewTest; it is not safe for concurrent use.
type Test struct {
	rule  Rule
	seqs  []*Sequence
	ranks []int // the ranks seen, in order
	// hit is set once an exact rule has seen an exceedance.
	hit bool
}

// NewTest returns the empty test of rule r, which must be valid.
func NewTest(r Rule) (*Test, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	t := &Test{rule: r}
	for range r.Levels {
		t.seqs = append(t.seqs, NewSequence(r.levelAlpha()))
	}
	return t, nil
}

// Rule returns the test's rule.
func (t *Test) Rule() Rule { return t.rule }

// N returns the number of challenges scored.
func (t *Test) N() int { return t.seqs[0].N() }

// Level returns the sequence of level i.
func (t *Test) Level(i int) *Sequence { return t.seqs[i] }

// Update adds one challenge with the given rank (see Rule.Exceeds).
func (t *Test) Update(rank int) error {
	if rank < 0 {
		return fmt.Errorf("%w: rank %d", ErrScore, rank)
	}
	xs := t.rule.Scores(rank)
	for i, x := range xs {
		if err := t.seqs[i].Update(x); err != nil {
			return err
		}
	}
	t.ranks = append(t.ranks, rank)
	if t.rule.Exact() && xs[0] == 1 {
		t.hit = true
	}
	return nil
}

// Decide applies the rule after the latest challenge:
//
//   - DIFFERENT when an exact rule saw any difference, or when n ≥ NMin and
//     some level's lower bound exceeds its Faithful rate;
//   - SAME when n ≥ NMin and every level's upper bound is below its
//     Epsilon;
//   - UNDECIDED at NMax; Continue otherwise.
//
// The reason is a plain sentence with the numbers.
func (t *Test) Decide() (Verdict, string) {
	v := t.decide()
	return v, t.reason(v)
}

func (t *Test) decide() Verdict {
	r, n := t.rule, t.N()
	if t.hit {
		return Different
	}
	if n >= r.NMin {
		for i, lv := range r.Levels {
			if !r.Exact() && t.seqs[i].Lower() > lv.Faithful {
				return Different
			}
		}
		same := true
		for i, lv := range r.Levels {
			same = same && t.seqs[i].Upper() < lv.Epsilon
		}
		if same {
			return Same
		}
	}
	if n >= r.NMax {
		return Undecided
	}
	return Continue
}

// levelName names level i in sentences.
func (t *Test) levelName(i int) string {
	if t.rule.Exact() {
		return "any difference from the reference"
	}
	lv := t.rule.Levels[i]
	if lv.Kind == LevelRank {
		return fmt.Sprintf("the share of %d faithful-quantization distances below the candidate's", t.rule.Calibration)
	}
	return fmt.Sprintf("a distance above the %s largest of %d faithful-quantization distances", Ordinal(lv.Rank), t.rule.Calibration)
}

func (t *Test) reason(v Verdict) string {
	r, n := t.rule, t.N()
	conf := fmtF(100 * (1 - r.Alpha))
	switch v {
	case Different:
		if t.hit {
			return fmt.Sprintf("challenge %d gave log-probabilities that differ from the reference's, which a copy "+
				"with the reference's own weights and types reproduces exactly", firstHit(t.seqs[0]))
		}
		for i, lv := range r.Levels {
			s := t.seqs[i]
			switch {
			case s.Lower() <= lv.Faithful:
			case lv.Kind == LevelRank:
				return fmt.Sprintf("after %d challenges, the candidate's distance exceeds on average at least %s of the %d "+
					"faithful-quantization distances (%s%% confidence), where a faithful copy exceeds at most %s: it deviates "+
					"more than quantization on most inputs", n, Percent(s.Lower()), r.Calibration, conf, Percent(lv.Faithful))
			default:
				return fmt.Sprintf("after %d challenges, %s occurs on at least %s of inputs (%s%% confidence), "+
					"more than a faithful quantization's at most %s", n, t.levelName(i), Percent(s.Lower()), conf, Percent(lv.Faithful))
			}
		}
	case Same:
		s := t.seqs[0]
		if r.Exact() {
			return fmt.Sprintf("after %d challenges without any difference, fewer than %s of inputs give any difference "+
				"from the reference (%s%% confidence)", n, Percent(s.Upper()), conf)
		}
		return fmt.Sprintf("after %d challenges, with %s%% confidence: fewer than %s of inputs move the candidate further "+
			"than faithful quantization does on all but %s of inputs, and on average its distance exceeds fewer than %s "+
			"of the faithful-quantization distances (a faithful copy: about half)",
			n, conf, Percent(t.seqs[0].Upper()), Percent(r.Levels[0].Quantile), Percent(t.seqs[1].Upper()))
	case Undecided:
		return fmt.Sprintf("budget of %d challenges spent: %s", n, t.intervals())
	}
	if n < r.NMin {
		return fmt.Sprintf("%d of at least %d challenges done; %s", n, r.NMin, t.intervals())
	}
	return fmt.Sprintf("after %d challenges: %s", n, t.intervals())
}

// intervals describes every level's interval against its thresholds.
func (t *Test) intervals() string {
	out := ""
	for i, lv := range t.rule.Levels {
		s := t.seqs[i]
		if i > 0 {
			out += "; "
		}
		what := "of inputs"
		if lv.Kind == LevelRank {
			what = "on average"
		}
		out += fmt.Sprintf("%s: [%s, %s] %s (SAME needs below %s", t.levelName(i), Percent(s.Lower()), Percent(s.Upper()), what, Percent(lv.Epsilon))
		if !t.rule.Exact() {
			out += fmt.Sprintf(", DIFFERENT above %s", Percent(lv.Faithful))
		}
		out += ")"
	}
	return out
}

func firstHit(s *Sequence) int {
	for i, x := range s.xs {
		if x == 1 {
			return i
		}
	}
	return -1
}

// Percent writes a rate as a percentage with at most 4 decimals.
func Percent(x float64) string { return fmtF(100*x) + "%" }

// Ordinal writes n as "1st", "2nd", "11th"…, for sentences.
func Ordinal(n int) string {
	if n == 1 {
		return "1st"
	}
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return fmt.Sprint(n) + suffix
}

// testState is the JSON form of a Test: the rule and the ranks, replayed on
// restore so that nothing else in the file is trusted.
type testState struct {
	Rule  Rule  `json:"rule"`
	Ranks []int `json:"ranks"`
}

// MarshalJSON writes the rule and the ranks seen.
func (t *Test) MarshalJSON() ([]byte, error) {
	ranks := t.ranks
	if ranks == nil {
		ranks = []int{}
	}
	return json.Marshal(testState{Rule: t.rule, Ranks: ranks})
}

// UnmarshalJSON restores a test written by MarshalJSON by replaying it.
func (t *Test) UnmarshalJSON(b []byte) error {
	var st testState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("%w: %v", ErrState, err)
	}
	if len(st.Ranks) > maxN {
		return fmt.Errorf("%w: %d ranks", ErrState, len(st.Ranks))
	}
	r, err := NewTest(st.Rule)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrState, err)
	}
	for _, k := range st.Ranks {
		if err := r.Update(k); err != nil {
			return fmt.Errorf("%w: %v", ErrState, err)
		}
	}
	*t = *r
	return nil
}

// Trace is one level's confidence sequence over a replay.
type Trace struct {
	Scores       []float64 `json:"scores"` // each challenge's 0/1 score
	Steps        []Step    `json:"steps"`
	Lower, Upper float64   `json:"-"`
}

// RuleResult is the outcome of ReplayRule.
type RuleResult struct {
	Verdict Verdict
	Reason  string
	N       int // challenges consumed up to the stopping point
	Unused  int // challenges after it
	Levels  []Trace
}

// ReplayRule recomputes a run from its ranks, stopping at the first verdict
// other than Continue, as the live run does; certificate verification runs
// it.
func ReplayRule(r Rule, ranks []int) (RuleResult, error) {
	t, err := NewTest(r)
	if err != nil {
		return RuleResult{}, err
	}
	res := RuleResult{Verdict: Continue, Levels: make([]Trace, len(r.Levels))}
	for i, k := range ranks {
		if err := t.Update(k); err != nil {
			return RuleResult{}, fmt.Errorf("stats: replay challenge %d: %w", i, err)
		}
		for j, s := range t.seqs {
			res.Levels[j].Scores = append(res.Levels[j].Scores, s.xs[s.n-1])
			res.Levels[j].Steps = append(res.Levels[j].Steps, Step{N: s.N(), Mean: s.Mean(), Lower: s.Lower(), Upper: s.Upper()})
		}
		if res.Verdict = t.decide(); res.Verdict != Continue {
			break
		}
	}
	res.Reason = t.reason(res.Verdict)
	res.N = t.N()
	res.Unused = len(ranks) - res.N
	for j, s := range t.seqs {
		res.Levels[j].Lower, res.Levels[j].Upper = s.Lower(), s.Upper()
	}
	return res, nil
}
