package job

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/proof-of-training/pot/verifier/stats"
)

// TestPresetsReachSame is the reachability proof DESIGN.md §5 asks for: for
// each preset, simulated faithful candidates (test and calibration distances
// from one distribution, so every rank is uniform) reach SAME within NMax in
// at least 90% of runs and are never DIFFERENT more often than α allows;
// a candidate whose every distance exceeds the whole floor is DIFFERENT
// within 40 challenges; and a zero floor (exact rule) reaches SAME on
// identical outputs and DIFFERENT at the first difference.
func TestPresetsReachSame(t *testing.T) {
	for _, name := range PresetNames() {
		pr, _ := LookupPreset(name)
		rule, err := pr.Rule(pr.Calibration)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := pr.Calibration
		r := rand.New(rand.NewPCG(77, 1))
		const streams = 300
		var stops []int
		wrong := 0
		for range streams {
			test, _ := stats.NewTest(rule)
			for {
				if err := test.Update(r.IntN(m + 1)); err != nil {
					t.Fatal(err)
				}
				v, _ := test.Decide()
				if v == stats.Continue {
					continue
				}
				if v == stats.Same {
					stops = append(stops, test.N())
				}
				if v == stats.Different {
					wrong++
				}
				break
			}
		}
		slices.Sort(stops)
		if len(stops) < streams*9/10 || float64(wrong) > 3*rule.Alpha*streams+1 {
			t.Errorf("%s: faithful streams reached SAME in %d of %d (DIFFERENT %d)", name, len(stops), streams, wrong)
			continue
		}
		test, _ := stats.NewTest(rule)
		for test.N() < rule.NMax {
			test.Update(0)
			if v, _ := test.Decide(); v != stats.Continue {
				if v != stats.Different || test.N() > 40 {
					t.Errorf("%s: all-exceeding candidate: %s after %d", name, v, test.N())
				}
				break
			}
		}
		exact, _ := pr.Rule(0)
		et, _ := stats.NewTest(exact)
		zeroSame := -1
		for et.N() < rule.NMax {
			et.Update(1)
			if v, _ := et.Decide(); v != stats.Continue {
				if v == stats.Same {
					zeroSame = et.N()
				}
				break
			}
		}
		if zeroSame < 0 {
			t.Errorf("%s: identical outputs never reach SAME under the exact rule", name)
		}
		et.Update(0)
		if v, _ := et.Decide(); v != stats.Different {
			t.Errorf("%s: exact rule after a difference: %s, want DIFFERENT", name, v)
		}
		t.Logf("%-8s m=%d levels %+v: faithful SAME in %d/%d, median %d, 90th pct %d; DIFFERENT %d; exact-rule SAME at %d",
			name, m, rule.Levels, len(stops), streams, stops[len(stops)/2], stops[len(stops)*9/10-1], wrong, zeroSame)
	}
}
