package job

import (
	"fmt"
	"sort"
	"strings"

	"github.com/proof-of-training/pot/verifier/stats"
)

// Preset is a named set of behavioural-test parameters.
type Preset struct {
	Name  string
	Stats stats.Params
	// K positions are scored per challenge, each on the reference's TopK
	// most likely ids plus a tail bucket.
	K, TopK int
	// Calibration is the number of calibration challenges that measure the
	// noise floor when the verifier requantizes a reference model itself.
	// A faithful candidate then scores 1 with probability p ~ Beta(1, m),
	// mean 1/(m+1); m is chosen so that P(p > γ/2) = (1−γ/2)^m is below
	// 1e-4 (quick) or 1e-5, or SAME could become unreachable by bad luck.
	Calibration int
	// Batch challenges are scored together (matrix × matrix work); the
	// test still updates after each one and stops at the first verdict.
	Batch int
}

// presets: γ sits far above what a faithful candidate scores (at most
// 1/(Calibration+1)), δ far below an altered model's (near 1). Each reaches
// SAME within NMax on a faithful candidate (TestPresetsReachSame).
var presets = map[string]Preset{
	"quick": {Name: "quick", Stats: stats.Params{Alpha: 0.05, Gamma: 0.2, Delta: 0.5, NMin: 10, NMax: 150},
		K: 8, TopK: 16, Calibration: 96, Batch: 8},
	"standard": {Name: "standard", Stats: stats.Params{Alpha: 0.01, Gamma: 0.2, Delta: 0.5, NMin: 20, NMax: 300},
		K: 16, TopK: 32, Calibration: 128, Batch: 8},
	"audit": {Name: "audit", Stats: stats.Params{Alpha: 0.001, Gamma: 0.1, Delta: 0.4, NMin: 40, NMax: 1000},
		K: 32, TopK: 64, Calibration: 256, Batch: 8},
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
	sort.Slice(names, func(i, j int) bool { return presets[names[i]].Stats.NMax < presets[names[j]].Stats.NMax })
	return names
}
