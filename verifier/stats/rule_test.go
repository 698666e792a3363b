package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRuleCoverage is the rank test's validity check by simulation, with
// optional stopping (each stream stops at its first verdict): calibration
// distances and test distances are drawn afresh for every stream, so the
// calibration's own luck is part of what is tested.
//
//   - A faithful candidate (test distances from the calibration's
//     distribution) must be called DIFFERENT in at most α of streams.
//   - A candidate near the boundary of each SAME tolerance must be called
//     SAME, when the claim is false, in at most α of streams. SAME claims
//     that the candidate exceeds the stream's own tail threshold t (the
//     Rank-th largest calibration distance) on fewer than Epsilon of inputs,
//     and that its mean rank score against the stream's own calibration is
//     below Epsilon; the test computes both exactly for each stream
//     (truth), so a SAME is wrong only where the claim fails.
//
// The bound checked is the Clopper–Pearson 99% upper bound of the observed
// rate (coverage_test.go), which must not exceed α.
func TestRuleCoverage(t *testing.T) {
	const streams = 1500
	d := Design{Alpha: 0.05, NMin: 10, NMax: 250, Tail: 0.015, TailEpsilon: 0.12, RankEpsilon: 0.7}
	const m = 192
	rule, err := d.NewRule(m)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2024, 8))
	cal := make([]float64, m)
	run := func(draw func() float64) Verdict {
		for i := range cal {
			cal[i] = r.Float64()
		}
		slices.Sort(cal)
		test, _ := NewTest(rule)
		for {
			x := draw()
			i, _ := slices.BinarySearch(cal, x)
			if err := test.Update(m - i); err != nil {
				t.Fatal(err)
			}
			if v, _ := test.Decide(); v != Continue {
				return v
			}
		}
	}
	eTail, eRank := rule.Levels[0].Epsilon, rule.Levels[1].Epsilon
	const q = 0.985 // the faithful tail the tail candidate is built around
	p := (1 - eRank) / eRank
	cases := []struct {
		name  string
		draw  func() float64
		wrong Verdict
		// false reports whether a verdict `wrong` would be false for this
		// stream's calibration (nil: always false).
		false func() bool
	}{
		{"faithful", func() float64 { return r.Float64() }, Different, nil},
		// Mass ε spread uniformly above q, the rest below: its exceedance of
		// the stream's t is about ε, above or below by the calibration's luck.
		{"tail at ε", func() float64 {
			if r.Float64() < eTail {
				return q + (1-q)*r.Float64()
			}
			return q * r.Float64()
		}, Same, func() bool {
			t := cal[m-rule.Levels[0].Rank]
			rate := eTail * (1 - t) / (1 - q)
			if t < q {
				rate = eTail + (1-eTail)*(q-t)/q
			}
			return rate >= eTail
		}},
		// Distances u^p: P(d > c) = 1 − c^(1/p), mean over the calibration
		// about ε.
		{"rank at ε", func() float64 { return math.Pow(r.Float64(), p) }, Same, func() bool {
			var mean float64
			for _, c := range cal {
				mean += 1 - math.Pow(c, 1/p)
			}
			return mean/m >= eRank
		}},
	}
	for _, c := range cases {
		bad := 0
		for range streams {
			if run(c.draw) == c.wrong && (c.false == nil || c.false()) {
				bad++
			}
		}
		upper := clopperPearsonUpper(bad, streams, 0.01)
		t.Logf("%-10s wrong %s in %d of %d streams (rate %.4f, 99%% upper bound %.4f; α = %v)",
			c.name, c.wrong, bad, streams, float64(bad)/streams, upper, rule.Alpha)
		if upper > rule.Alpha {
			t.Errorf("%s: wrong verdicts in %d of %d streams exceed α = %v", c.name, bad, streams, rule.Alpha)
		}
	}
}

// TestRuleVerify: a rule's faithful bounds are recomputed from its ranks;
// a laxer bound, another kind or a missing level is refused.
func TestRuleVerify(t *testing.T) {
	d := Design{Alpha: 0.01, NMin: 20, NMax: 400, Tail: 0.015, TailEpsilon: 0.1, RankEpsilon: 0.68}
	r, err := d.NewRule(256)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(); err != nil {
		t.Fatalf("a rule made by NewRule: %v", err)
	}
	for name, edit := range map[string]func(*Rule){
		"lax tail":   func(r *Rule) { r.Levels[0].Faithful += 0.01 },
		"lax rank":   func(r *Rule) { r.Levels[1].Faithful += 0.01 },
		"kind":       func(r *Rule) { r.Levels[1].Kind = LevelTail },
		"one level":  func(r *Rule) { r.Levels = r.Levels[:1] },
		"rank level": func(r *Rule) { r.Levels[1].Rank = 3 },
	} {
		bad := r
		bad.Levels = slices.Clone(r.Levels)
		edit(&bad)
		if err := bad.Verify(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	exact, _ := d.NewRule(0)
	if err := exact.Verify(); err != nil || !exact.Exact() {
		t.Errorf("exact rule: %v", err)
	}
	if _, err := d.NewRule(40); err == nil {
		t.Error("40 calibration distances accepted: SAME would be out of reach")
	}
}

// TestTestStateRoundTrip: a test restored from its JSON continues bit for
// bit.
func TestTestStateRoundTrip(t *testing.T) {
	d := Design{Alpha: 0.01, NMin: 20, NMax: 400, Tail: 0.015, TailEpsilon: 0.1, RankEpsilon: 0.68}
	rule, _ := d.NewRule(256)
	a, _ := NewTest(rule)
	r := rand.New(rand.NewPCG(1, 1))
	for range 57 {
		a.Update(r.IntN(257))
	}
	b := new(Test)
	js, _ := a.MarshalJSON()
	if err := b.UnmarshalJSON(js); err != nil {
		t.Fatal(err)
	}
	for range 40 {
		k := r.IntN(257)
		a.Update(k)
		b.Update(k)
		for i := range rule.Levels {
			if a.Level(i).Lower() != b.Level(i).Lower() || a.Level(i).Upper() != b.Level(i).Upper() {
				t.Fatalf("level %d diverged after restore", i)
			}
		}
	}
	if err := b.UnmarshalJSON([]byte(`{"rule":{"alpha":2},"ranks":[]}`)); err == nil {
		t.Error("a bad rule restored")
	}
}
