package job

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/tokenizer"
	"github.com/proof-of-training/pot/verifier/variant"
)

// TestDetectionLimits measures, for the README, the smallest rank-4 edit
// (relative norm in every block matrix, then quantized to Q4_0) that each
// preset calls DIFFERENT in at least 95% of runs, next to the KL divergence
// it causes, on stories260K in fingerprint mode: 20 edits (edit seed and
// challenge seed both varied) per size. It takes minutes, so it runs only
// with POT_DETECTION=1.
func TestDetectionLimits(t *testing.T) {
	if os.Getenv("POT_DETECTION") != "1" {
		t.Skip("set POT_DETECTION=1 to measure the detection limits")
	}
	ref := testdata.Path(t, "stories260K.gguf")
	dir := t.TempDir()
	key, _ := cert.GenerateKey(nil)
	fp := filepath.Join(dir, "ref.potfp")
	if _, err := CreateFingerprint(FingerprintConfig{Reference: ref, Out: fp, Key: key, TempDir: dir,
		Profiles: []synth.FileType{"Q4_0"}}); err != nil {
		t.Fatal(err)
	}
	const seeds = 20
	faithful := filepath.Join(dir, "faithful.gguf")
	if err := variant.Write(ref, faithful, variant.Requantize("Q4_0")); err != nil {
		t.Fatal(err)
	}
	t.Logf("KL(reference ‖ faithful Q4_0) = %.5f nats per position", meanKL(t, ref, faithful))
	var table bytes.Buffer
	for _, rel := range []float64{0.01, 0.02, 0.03, 0.04, 0.06, 0.08} {
		var kl float64
		counts := map[string]map[cert.Verdict]int{}
		for s := range seeds {
			mid, cand := filepath.Join(dir, "mid.gguf"), filepath.Join(dir, fmt.Sprintf("cand-%d.gguf", s))
			if err := variant.Write(ref, mid, variant.LowRank(4, rel, uint64(100+s))); err != nil {
				t.Fatal(err)
			}
			if err := variant.Write(mid, cand, variant.Requantize("Q4_0")); err != nil {
				t.Fatal(err)
			}
			if s < 4 {
				kl += meanKL(t, ref, cand) / 4
			}
			for _, name := range PresetNames() {
				p, _ := LookupPreset(name)
				res, err := Run(Config{Candidate: cand, Fingerprint: fp, Trust: fingerprint.Trust{Keys: []ed25519.PublicKey{key.Public()}}, Preset: p, Seed: bytes.Repeat([]byte{byte(s + 1)}, 32)})
				if err != nil {
					t.Fatal(err)
				}
				if counts[name] == nil {
					counts[name] = map[cert.Verdict]int{}
				}
				counts[name][res.Verdict]++
			}
			os.Remove(cand)
		}
		fmt.Fprintf(&table, "| %.0f%% | %.4f |", 100*rel, kl)
		for _, name := range PresetNames() {
			c := counts[name]
			fmt.Fprintf(&table, " %d / %d / %d |", c[cert.Different], c[cert.Undecided], c[cert.Same])
		}
		table.WriteString("\n")
	}
	t.Logf("\n| rank-4 edit | KL (nats) | quick D/U/S | standard D/U/S | audit D/U/S |\n|---|---|---|---|---|\n%s", table.String())
}

// meanKL returns the mean KL(reference ‖ candidate) over the scored
// positions of 32 mixed challenges, on the full vocabulary.
func meanKL(t *testing.T, ref, cand string) float64 {
	t.Helper()
	load := func(path string) (*gguf.File, *engine.Session) {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := engine.Load(f, engine.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return f, s
	}
	rf, rs := load(ref)
	defer rf.Close()
	defer rs.Close()
	cf, cs := load(cand)
	defer cf.Close()
	defer cs.Close()
	tok, err := tokenizer.FromGGUF(rf)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := challenge.NewSource(bytes.Repeat([]byte{42}, 32), challenge.Config{ExtraWords: 8})
	var reqs []engine.Request
	for i := range uint64(32) {
		toks := tok.Encode(src.Challenge(i).Text, true, false)
		reqs = append(reqs, engine.Request{Tokens: toks, Positions: src.Positions(i, len(toks), 16), Full: true})
	}
	a, err := rs.Score(reqs, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cs.Score(reqs, 1)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var n int
	for r := range a {
		for q := range a[r] {
			for j, lp := range a[r][q].Full {
				p := math.Exp(float64(lp))
				sum += p * (float64(lp) - float64(b[r][q].Full[j]))
			}
			n++
		}
	}
	return sum / float64(n)
}
