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
  IDENTICAL  the tensor data is byte-identical to the reference's, and no
             metadata that changes what the model computes differs
  SAME       a faithful requantization by the weights, or proven to deviate
             from the reference no more than a faithful quantization does,
             except on fewer than the mode's tolerance of inputs
  DIFFERENT  a structural or weight difference, or proven to deviate more
             than any faithful quantization plausibly does
  UNDECIDED  the challenge budget ran out first, or no noise floor fits the
             candidate's tensor types (a fingerprint without that profile)

A fingerprint counts only if you trust the key that sealed it (see 'pot
trust'); --allow-untrusted goes on and marks the result UNTRUSTED.

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
		fmt.Fprintf(&b, "  %-9s error rate %g%%, at most %d challenges, %d calibration challenges\n", n, 100*p.Design.Alpha, p.Design.NMax, p.Calibration)
	}
	return b.String()
}
