package stats

import (
	"math"
	"testing"
)

// TestStepsToSameArithmetic checks StepsToSame on all-zero scores against the
// closed form of the notes: K⁻(m) grows by exactly 1 + c·m/(1−m) per zero
// score once the bet is truncated (it is from the first step, λ̃_1 ≈ 7 >
// c/(1−m)), and Upper < γ needs the largest grid point below γ excluded, so
// n = ⌈ln(2/α) / ln(1 + c·m/(1−m))⌉ with m = γ − 1/GridSize (±1 for rounding
// at the threshold). Likewise StepsToDifferent on all-one scores with
// m = δ + 1/GridSize and factor 1 + c·(1−m)/m.
func TestStepsToSameArithmetic(t *testing.T) {
	for _, alpha := range []float64{0.05, 0.01, 0.001} {
		for _, gamma := range []float64{0.1, 0.2, 0.3} {
			p := Params{Alpha: alpha, Gamma: gamma, Delta: 0.5, NMin: 1, NMax: 10000}
			m := gamma - 1.0/GridSize
			want := math.Ceil(math.Log(2/alpha) / math.Log1p(betC*m/(1-m)))
			got := StepsToSame(p, 0)
			if math.Abs(float64(got)-want) > 1 {
				t.Errorf("α=%v γ=%v: StepsToSame(0) = %d, closed form %v", alpha, gamma, got, want)
			}
			t.Logf("α=%-5v γ=%v: all-zero SAME after %3d (closed form %3.0f); constant 0.02 after %3d; constant 0.05 after %3d",
				alpha, gamma, got, want, StepsToSame(p, 0.02), StepsToSame(p, 0.05))
		}
		for _, delta := range []float64{0.4, 0.5, 0.6} {
			p := Params{Alpha: alpha, Gamma: 0.1, Delta: delta, NMin: 1, NMax: 10000}
			m := delta + 1.0/GridSize
			want := math.Ceil(math.Log(2/alpha) / math.Log1p(betC*(1-m)/m))
			got := StepsToDifferent(p, 1)
			if math.Abs(float64(got)-want) > 1 {
				t.Errorf("α=%v δ=%v: StepsToDifferent(1) = %d, closed form %v", alpha, delta, got, want)
			}
			t.Logf("α=%-5v δ=%v: all-one DIFFERENT after %3d (closed form %3.0f)", alpha, delta, got, want)
		}
	}
	// Unreachable cases return -1.
	p := Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 1, NMax: 20}
	if got := StepsToSame(p, 0); got != -1 {
		t.Errorf("StepsToSame with NMax 20 = %d, want -1 (needs ~31)", got)
	}
	if got := StepsToSame(Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 1, NMax: 1000}, 0.3); got != -1 {
		t.Errorf("StepsToSame(0.3) = %d, want -1: the mean is above γ", got)
	}
	if got := StepsToSame(Params{}, 0); got != -1 {
		t.Errorf("StepsToSame(invalid params) = %d, want -1", got)
	}
	if got := StepsToSame(p, math.NaN()); got != -1 {
		t.Errorf("StepsToSame(NaN) = %d, want -1", got)
	}
}

func TestReplay(t *testing.T) {
	p := Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 10, NMax: 100}
	xs := append(repeat(0, 50), 1, 1, 1)
	r, err := Replay(xs, p)
	if err != nil {
		t.Fatal(err)
	}
	want := StepsToSame(p, 0)
	if r.Verdict != Same || r.N != want || r.Unused != len(xs)-want || len(r.Steps) != want {
		t.Fatalf("Replay = %v at n=%d (unused %d, %d steps), want SAME at %d", r.Verdict, r.N, r.Unused, len(r.Steps), want)
	}
	// Steps agree with a live sequence and the bounds only tighten.
	s := NewSequence(p.Alpha)
	for i, st := range r.Steps {
		_ = s.Update(xs[i])
		if st != (Step{N: i + 1, Mean: s.Mean(), Lower: s.Lower(), Upper: s.Upper()}) {
			t.Fatalf("step %d = %+v, live sequence differs", i+1, st)
		}
		if i > 0 && (st.Lower < r.Steps[i-1].Lower || st.Upper > r.Steps[i-1].Upper) {
			t.Fatalf("step %d: interval widened", i+1)
		}
	}
	if r.Lower != s.Lower() || r.Upper != s.Upper() || r.Reason == "" {
		t.Errorf("final bounds/reason wrong: %+v", r)
	}
	// Continue when the scores run out first.
	r, err = Replay(repeat(0.3, 20), p)
	if err != nil || r.Verdict != Continue || r.N != 20 || r.Unused != 0 {
		t.Errorf("short replay = %+v, %v; want Continue after 20", r, err)
	}
	if r, err = Replay(nil, p); err != nil || r.Verdict != Continue || r.N != 0 || r.Lower != 0 || r.Upper != 1 {
		t.Errorf("empty replay = %+v, %v", r, err)
	}
	if _, err := Replay([]float64{0.1, 2}, p); err == nil {
		t.Error("Replay with a score of 2: no error")
	}
	if _, err := Replay(xs, Params{}); err == nil {
		t.Error("Replay with invalid params: no error")
	}
}
