package job

import (
	"fmt"
	"sort"
	"strings"

	"github.com/proof-of-training/pot/verifier/stats"
)

// Preset is a named set of behavioural-test parameters.
type Preset struct {
	Name string
	// Design is the rank test (package stats) before the calibration size
	// is known.
	Design stats.Design
	// K positions are scored per challenge, each on the reference's TopK
	// most likely ids plus a tail bucket.
	K, TopK int
	// Calibration is m, the number of calibration challenges that measure
	// the noise floor when the verifier requantizes a reference model
	// itself. It bounds how tightly a faithful candidate's exceedance rate
	// is known (Beta(rank, m+1−rank)), so it must be large enough for
	// Design.NewRule.
	Calibration int
	// Batch challenges are scored together (matrix × matrix work); the
	// test still updates after each one and stops at the first verdict.
	Batch int
}

// Rule returns the decision rule for m calibration distances.
func (p Preset) Rule(m int) (stats.Rule, error) { return p.Design.NewRule(m) }

// The two levels of every preset (see stats.Rule): the tail level, a
// threshold a faithful copy exceeds on 1.5% of inputs, with SAME needing
// fewer than 10% of the candidate's inputs above it (8% for audit); and the
// median, with SAME needing fewer than 72%. A candidate that moves most
// inputs by more than quantization does shifts the median level, one that
// moves a few inputs far the tail level. Each preset reaches SAME within
// NMax on a faithful candidate in ≥ 90% of simulated runs
// (TestPresetsReachSame) and DIFFERENT on any candidate that exceeds the
// tail threshold on every input within 10–40 challenges.
var presets = map[string]Preset{
	"quick": {Name: "quick", Design: stats.Design{Alpha: 0.05, NMin: 10, NMax: 250,
		Tail: 0.015, TailEpsilon: 0.12, RankEpsilon: 0.7}, K: 8, TopK: 16, Calibration: 192, Batch: 8},
	"standard": {Name: "standard", Design: stats.Design{Alpha: 0.01, NMin: 20, NMax: 400,
		Tail: 0.015, TailEpsilon: 0.1, RankEpsilon: 0.68}, K: 16, TopK: 32, Calibration: 256, Batch: 8},
	"audit": {Name: "audit", Design: stats.Design{Alpha: 0.001, NMin: 40, NMax: 1000,
		Tail: 0.015, TailEpsilon: 0.1, RankEpsilon: 0.65}, K: 32, TopK: 64, Calibration: 512, Batch: 8},
}

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("job: unknown mode %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return p, nil
}

// PresetNames lists the presets from fastest to most thorough.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return presets[names[i]].Design.NMax < presets[names[j]].Design.NMax })
	return names
}
