package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stream returns n scores: mostly small, with occasional large ones, so the
// interval both moves and stays open for a while.
func stream(seed uint64, n int) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	xs := make([]float64, n)
	for i := range xs {
		if r.Float64() < 0.25 {
			xs[i] = r.Float64()
		} else {
			xs[i] = 0.1 * r.Float64()
		}
	}
	return xs
}

// sameState reports whether two sequences are equal bit for bit.
func sameState(a, b *Sequence) string {
	bitsEq := func(x, y []float64) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	}
	switch {
	case a.n != b.n || a.lo != b.lo || a.hi != b.hi:
		return "n/lo/hi"
	case math.Float64bits(a.sum) != math.Float64bits(b.sum) || math.Float64bits(a.sumSq) != math.Float64bits(b.sumSq):
		return "running sums"
	case math.Float64bits(a.alpha) != math.Float64bits(b.alpha) || math.Float64bits(a.thr) != math.Float64bits(b.thr) ||
		math.Float64bits(a.betNum) != math.Float64bits(b.betNum):
		return "constants"
	case !bitsEq(a.xs, b.xs):
		return "scores"
	case !bitsEq(a.lams, b.lams):
		return "bets"
	}
	catchUpAll(a)
	catchUpAll(b)
	for j := a.lo + 1; j < a.hi; j++ {
		if math.Float64bits(a.kp[j]) != math.Float64bits(b.kp[j]) || a.ep[j] != b.ep[j] ||
			math.Float64bits(a.kn[j]) != math.Float64bits(b.kn[j]) || a.en[j] != b.en[j] {
			return "capital at grid point " + fmtF(grid.m[j])
		}
	}
	return ""
}

// TestResumeBitIdentical pauses after every prefix, round-trips the state
// through JSON and continues: every later bound and the final state must
// equal the uninterrupted run bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	const n = 200
	xs := stream(42, n)
	ref := NewSequence(0.01)
	var lows, ups []float64
	for _, x := range xs {
		if err := ref.Update(x); err != nil {
			t.Fatal(err)
		}
		lows, ups = append(lows, ref.Lower()), append(ups, ref.Upper())
	}
	if ref.Lower() == 0 || ref.Upper() == 1 {
		t.Fatalf("stream too weak to exercise both bounds: [%v, %v]", ref.Lower(), ref.Upper())
	}
	for k := 0; k <= n; k++ {
		s := NewSequence(0.01)
		for _, x := range xs[:k] {
			_ = s.Update(x)
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("prefix %d: marshal: %v", k, err)
		}
		var r Sequence
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("prefix %d: unmarshal: %v", k, err)
		}
		if d := sameState(s, &r); d != "" {
			t.Fatalf("prefix %d: restored state differs in %s", k, d)
		}
		for i := k; i < n; i++ {
			_ = r.Update(xs[i])
			if math.Float64bits(r.Lower()) != math.Float64bits(lows[i]) || math.Float64bits(r.Upper()) != math.Float64bits(ups[i]) {
				t.Fatalf("prefix %d step %d: [%v, %v], uninterrupted [%v, %v]", k, i+1, r.Lower(), r.Upper(), lows[i], ups[i])
			}
		}
		if d := sameState(ref, &r); d != "" {
			t.Fatalf("prefix %d: final state differs in %s", k, d)
		}
	}
}

func TestMarshalFormat(t *testing.T) {
	s := feed(t, 0.05, 0.1, 0, 1, 0.30000000000000004)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"alpha":0.05,"grid":2000,"n":4,"lower":0,"upper":0.8805,"scores":[0.1,0,1,0.30000000000000004]}`
	if string(b) != want {
		t.Errorf("MarshalJSON = %s\nwant          %s", b, want)
	}
	empty, _ := json.Marshal(NewSequence(0.05))
	if !bytes.Contains(empty, []byte(`"scores":[]`)) {
		t.Errorf("empty sequence marshals scores as %s, want []", empty)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	valid := func() map[string]any {
		s := feed(t, 0.05, repeat(0, 30)...)
		b, _ := json.Marshal(s)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	tests := []struct {
		name string
		edit func(map[string]any)
		raw  string
		msg  string
	}{
		{name: "not json", raw: `{"version":1,`, msg: "unexpected end"},
		{name: "NaN literal", raw: `{"version":1,"alpha":NaN}`, msg: "invalid character"},
		{name: "empty object", raw: `{}`, msg: "version 0"},
		{name: "array", raw: `[1,2]`, msg: "cannot unmarshal"},
		{name: "version", edit: func(m map[string]any) { m["version"] = 2 }, msg: "version 2"},
		{name: "alpha zero", edit: func(m map[string]any) { m["alpha"] = 0 }, msg: "alpha 0"},
		{name: "alpha one", edit: func(m map[string]any) { m["alpha"] = 1 }, msg: "alpha 1"},
		{name: "grid", edit: func(m map[string]any) { m["grid"] = 1000 }, msg: "grid 1000"},
		{name: "n too big", edit: func(m map[string]any) { m["n"] = 31 }, msg: "n 31 but 30 scores"},
		{name: "n negative", edit: func(m map[string]any) { m["n"] = -1 }, msg: "n -1"},
		{name: "score above 1", edit: func(m map[string]any) { m["scores"].([]any)[3] = 1.5 }, msg: "score 3"},
		{name: "score negative", edit: func(m map[string]any) { m["scores"].([]any)[0] = -0.5 }, msg: "score 0"},
		{name: "score string", edit: func(m map[string]any) { m["scores"].([]any)[0] = "0" }, msg: "cannot unmarshal"},
		{name: "upper edited", edit: func(m map[string]any) { m["upper"] = 0.5 }, msg: "recorded interval"},
		{name: "lower edited", edit: func(m map[string]any) { m["lower"] = 0.01 }, msg: "recorded interval"},
		{name: "scores edited", edit: func(m map[string]any) {
			sc := m["scores"].([]any)
			for i := range sc {
				sc[i] = 1
			}
		}, msg: "recorded interval"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(tc.raw)
			if tc.edit != nil {
				m := valid()
				tc.edit(m)
				b, _ = json.Marshal(m)
			}
			s := feed(t, 0.05, 0.5)
			err := json.Unmarshal(b, s)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Unmarshal(%s) = %v, want error containing %q", b, err, tc.msg)
			}
			if tc.raw == "" && !errors.Is(err, ErrState) {
				t.Errorf("error %v does not wrap ErrState", err)
			}
			if s.N() != 1 || s.Scores()[0] != 0.5 {
				t.Errorf("failed Unmarshal changed the sequence")
			}
		})
	}
}

// FuzzUnmarshalState feeds arbitrary bytes to UnmarshalJSON: an error or a
// valid sequence, never a panic; an accepted state re-marshals to a state
// that restores to the same bits.
func FuzzUnmarshalState(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "state-*.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":1,"alpha":0.05,"grid":2000,"n":0,"lower":0,"upper":1,"scores":null}`))
	f.Add([]byte(`{"version":1,"alpha":1e-300,"grid":2000,"n":1,"lower":0,"upper":1,"scores":[1e-320]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return // bounded replay work per input
		}
		var s Sequence
		if err := json.Unmarshal(b, &s); err != nil {
			return
		}
		out, err := json.Marshal(&s)
		if err != nil {
			t.Fatalf("accepted state does not marshal: %v", err)
		}
		var r Sequence
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("re-marshalled state %s rejected: %v", out, err)
		}
		if d := sameState(&s, &r); d != "" {
			t.Fatalf("round trip differs in %s", d)
		}
	})
}

// TestStateSeedsRestore checks the fuzz seeds in testdata/ (plain outputs of
// MarshalJSON) still restore, so the fuzzer starts from valid states.
func TestStateSeedsRestore(t *testing.T) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "state-*.json"))
	if len(seeds) == 0 {
		t.Fatal("no testdata/state-*.json seeds")
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var s Sequence
		if err := json.Unmarshal(b, &s); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
