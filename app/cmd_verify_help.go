package main

import (
	"fmt"
	"strings"

	"github.com/proof-of-training/pot/verifier/job"
)

const verifyHelp = `Checks that the model file CANDIDATE is the reference model, or a faithful
requantization of it, privately on this machine. The reference is the
original model file (--ref) or a signed fingerprint of it (--fingerprint),
never both. Checks run cheapest first and stop at the first conclusive one:
file structure, hashes, metadata, tensor weights (with --ref), then a
behavioural test on keyed challenge prompts.

Verdicts:
  IDENTICAL  the tensor data is byte-identical to the reference's
  SAME       behaves like the reference, or is a faithful requantization
  DIFFERENT  a structural, weight or behavioural difference was found
  UNDECIDED  the challenge budget ran out before either was proven

The verdict and the checks are printed first; then the certificate (signed
with this installation's key, see 'pot key') and its transcript are written
to --out, and 'pot cert verify' checks them offline.

Modes (--mode) set how sure the behavioural test must be and how long it
may run:
`

// modesHelp lists the presets with their error rate and challenge budget.
func modesHelp() string {
	var b strings.Builder
	for _, n := range job.PresetNames() {
		p, err := job.LookupPreset(n)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "  %-9s error rate %g%%, at most %d challenges\n", n, 100*p.Stats.Alpha, p.Stats.NMax)
	}
	return b.String()
}
