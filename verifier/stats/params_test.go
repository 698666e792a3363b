package stats

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	good := Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 10, NMax: 400}
	if err := good.Validate(); err != nil {
		t.Fatalf("good params: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*Params)
		field string
	}{
		{"alpha zero", func(p *Params) { p.Alpha = 0 }, "Alpha"},
		{"alpha one", func(p *Params) { p.Alpha = 1 }, "Alpha"},
		{"alpha NaN", func(p *Params) { p.Alpha = math.NaN() }, "Alpha"},
		{"gamma zero", func(p *Params) { p.Gamma = 0 }, "Gamma"},
		{"gamma NaN", func(p *Params) { p.Gamma = math.NaN() }, "Gamma"},
		{"delta equal gamma", func(p *Params) { p.Delta = 0.2 }, "Delta"},
		{"delta below gamma", func(p *Params) { p.Delta = 0.1 }, "Delta"},
		{"delta one", func(p *Params) { p.Delta = 1 }, "Delta"},
		{"nmin zero", func(p *Params) { p.NMin = 0 }, "NMin"},
		{"nmax below nmin", func(p *Params) { p.NMax = 9 }, "NMax"},
		{"nmax huge", func(p *Params) { p.NMax = maxN + 1 }, "NMax"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := good
			tc.edit(&p)
			err := p.Validate()
			if !errors.Is(err, ErrParams) || !strings.Contains(err.Error(), tc.field+" =") {
				t.Errorf("Validate() = %v, want ErrParams naming %s", err, tc.field)
			}
		})
	}
}

func TestVerdictText(t *testing.T) {
	for v, want := range map[Verdict]string{Continue: "CONTINUE", Same: "SAME", Different: "DIFFERENT", Undecided: "UNDECIDED"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
		b, err := v.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("%d.MarshalText() = %q, %v", v, b, err)
		}
		var back Verdict
		if err := back.UnmarshalText(b); err != nil || back != v {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	if s := Verdict(9).String(); s != "Verdict(9)" {
		t.Errorf("unknown verdict String() = %q", s)
	}
	if _, err := Verdict(9).MarshalText(); err == nil {
		t.Error("MarshalText of unknown verdict: no error")
	}
	var v Verdict
	if err := v.UnmarshalText([]byte("same")); err == nil {
		t.Error("UnmarshalText(\"same\"): no error (names are case-sensitive)")
	}
}

// feed returns a sequence after the given scores.
func feed(t *testing.T, alpha float64, xs ...float64) *Sequence {
	t.Helper()
	s := NewSequence(alpha)
	for _, x := range xs {
		if err := s.Update(x); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func repeat(x float64, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = x
	}
	return xs
}

func TestDecide(t *testing.T) {
	p := Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 40, NMax: 100}
	tests := []struct {
		name   string
		xs     []float64
		want   Verdict
		reason string
	}{
		{"nothing yet", nil, Continue, "0 of at least 40"},
		{"zeros before NMin", repeat(0, 35), Continue, "35 of at least 40"},
		{"zeros at NMin", repeat(0, 40), Same, "below"},
		{"ones at NMin", repeat(1, 40), Different, "above"},
		{"halves undecided", repeat(0.35, 100), Undecided, "budget of 100"},
		{"halves midway", repeat(0.35, 60), Continue, "neither"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := feed(t, p.Alpha, tc.xs...)
			v, reason := Decide(s, p)
			if v != tc.want || !strings.Contains(reason, tc.reason) {
				t.Errorf("Decide = %v %q, want %v containing %q", v, reason, tc.want, tc.reason)
			}
			// The rule itself, checked on the numbers.
			n, lo, hi := s.N(), s.Lower(), s.Upper()
			switch v {
			case Same:
				if n < p.NMin || hi >= p.Gamma {
					t.Errorf("SAME with n=%d upper=%v", n, hi)
				}
			case Different:
				if n < p.NMin || lo <= p.Delta {
					t.Errorf("DIFFERENT with n=%d lower=%v", n, lo)
				}
			}
		})
	}
	// Reasons carry numbers.
	_, reason := Decide(feed(t, 0.01, repeat(0, 40)...), p)
	if !strings.Contains(reason, "40 challenges") || !strings.Contains(reason, "99%") || !strings.Contains(reason, "γ = 0.2") {
		t.Errorf("SAME reason lacks numbers: %q", reason)
	}
}

func TestDecidePanicsOnMisuse(t *testing.T) {
	s := NewSequence(0.01)
	for name, p := range map[string]Params{
		"invalid":        {Alpha: 0.01, Gamma: 0.5, Delta: 0.2, NMin: 1, NMax: 10},
		"alpha mismatch": {Alpha: 0.05, Gamma: 0.2, Delta: 0.5, NMin: 1, NMax: 10},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Decide did not panic", name)
				}
			}()
			Decide(s, p)
		}()
	}
}

func TestFmtF(t *testing.T) {
	for in, want := range map[float64]string{0.2: "0.2", 99: "99", 0.1995: "0.1995", 0: "0", 1: "1", 0.00001: "0"} {
		if got := fmtF(in); got != want {
			t.Errorf("fmtF(%v) = %q, want %q", in, got, want)
		}
	}
}
