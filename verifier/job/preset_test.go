package job

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/proof-of-training/pot/verifier/stats"
)

// TestPresetsReachSame is the reachability proof DESIGN.md §5 asks for:
// each preset reaches SAME within NMax on all-zero scores and, in at least
// 99% of 500 simulated streams, on floor-like scores (a faithful candidate
// scores 1 with probability at most 1/(Calibration+1)), and DIFFERENT on
// all-one scores.
func TestPresetsReachSame(t *testing.T) {
	for _, name := range PresetNames() {
		pr, _ := LookupPreset(name)
		p := pr.Stats
		zero, one := stats.StepsToSame(p, 0), stats.StepsToDifferent(p, 1)
		if zero < 0 || zero > p.NMax {
			t.Errorf("%s: all-zero scores reach SAME after %d, NMax %d", name, zero, p.NMax)
		}
		if one < 0 || one > p.NMax {
			t.Errorf("%s: all-one scores reach DIFFERENT after %d, NMax %d", name, one, p.NMax)
		}
		floor := 1 / float64(pr.Calibration+1)
		r := rand.New(rand.NewPCG(77, 1))
		const streams = 500
		var stops []int
		for range streams {
			s := stats.NewSequence(p.Alpha)
			for {
				x := 0.0
				if r.Float64() < floor {
					x = 1
				}
				if err := s.Update(x); err != nil {
					t.Fatal(err)
				}
				if v, _ := stats.Decide(s, p); v != stats.Continue {
					if v == stats.Same {
						stops = append(stops, s.N())
					}
					break
				}
			}
		}
		slices.Sort(stops)
		if len(stops) < streams*99/100 {
			t.Errorf("%s: floor-like streams (p=%.4f) reached SAME in %d of %d", name, floor, len(stops), streams)
			continue
		}
		t.Logf("%-8s %+v: all-zero SAME at %d, all-one DIFFERENT at %d; Bernoulli(%.4f) SAME in %d/%d, median %d, 99th pct %d",
			name, p, zero, one, floor, len(stops), streams, stops[len(stops)/2], stops[len(stops)*99/100-1])
	}
}
