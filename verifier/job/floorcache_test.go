package job

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/variant"
)

// TestFloorCache: a floor measured from a seed the verifier drew is kept
// and reused by the next run for the same reference, types and preset (its
// certificate names the calibration seed and replays); a run with a chosen
// seed neither reuses nor stores one; a damaged entry is measured again and
// replaced; other candidate types are another entry.
func TestFloorCache(t *testing.T) {
	fx := baseFixture(t, "stories260K")
	p, _ := LookupPreset("quick")
	cand := fx.cands[len(fx.cands)-1] // a requantization
	cache := t.TempDir()
	base := Config{Candidate: cand, Reference: fx.ref, Preset: p, Behaviour: true, FloorCache: cache}
	entries := func() []string {
		m, _ := filepath.Glob(filepath.Join(cache, "*.json"))
		return m
	}

	first, err := Run(base)
	if err != nil {
		t.Fatal(err)
	}
	if first.Floor.Seed != "" || first.Timing.Calibrate == 0 || len(entries()) != 1 {
		t.Fatalf("first run: floor seed %q, calibration %v, %d cache entries; want its own floor, measured and kept",
			first.Floor.Seed, first.Timing.Calibrate, len(entries()))
	}
	kept, _ := os.ReadFile(entries()[0])

	second, err := Run(base)
	if err != nil {
		t.Fatal(err)
	}
	if second.Seed == first.Seed || second.Floor.Seed != first.Seed || !reflect.DeepEqual(second.Floor.Samples, first.Floor.Samples) ||
		!strings.Contains(second.Floor.Source, "reused") || second.Timing.Requantize != 0 {
		t.Fatalf("second run: seed %.8s (first %.8s), floor seed %.8s, source %q; want the first run's floor, reused",
			second.Seed, first.Seed, second.Floor.Seed, second.Floor.Source)
	}
	if second.Verdict != cert.Same {
		t.Errorf("second run: %s, want SAME", second.Verdict)
	}
	// The certificate names the calibration seed and replays.
	st := second.Statement()
	if st.Predicate.Floor.Seed != first.Seed {
		t.Errorf("certificate floor seed %q, want %q", st.Predicate.Floor.Seed, first.Seed)
	}
	env, tr, err := cert.Seal(st, second.Records, "t.transcript.jsonl", fx.key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(env, cert.Options{Trusted: fx.trusted().Keys, Transcript: tr}); err != nil {
		t.Errorf("a certificate with a reused floor does not verify: %v", err)
	}

	chosen := base
	chosen.Seed = bytes.Repeat([]byte{3}, 32)
	r3, err := Run(chosen)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Floor.Seed != "" || r3.Timing.Calibrate == 0 {
		t.Errorf("a chosen seed reused a floor (seed %q)", r3.Floor.Seed)
	}
	if now, _ := os.ReadFile(entries()[0]); len(entries()) != 1 || !bytes.Equal(now, kept) {
		t.Errorf("a run with a chosen seed changed the cache")
	}

	if err := os.WriteFile(entries()[0], []byte(`{"key": "damaged`), 0o600); err != nil {
		t.Fatal(err)
	}
	r4, err := Run(base)
	if err != nil {
		t.Fatalf("a damaged cache entry failed the run: %v", err)
	}
	if r4.Floor.Seed != "" || r4.Timing.Calibrate == 0 {
		t.Errorf("a damaged entry was used")
	}
	if now, _ := os.ReadFile(entries()[0]); !bytes.Contains(now, []byte(r4.Seed)) {
		t.Errorf("the damaged entry was not replaced by the new measurement")
	}

	other := base
	for i, pr := range fx.pairs {
		if pr.name == "requantized Q4_0" { // the base candidate (Q6_K) falls back to Q8_0 on these 64-wide rows
			other.Candidate = fx.cands[i]
		}
	}
	r5, err := Run(other)
	if err != nil {
		t.Fatal(err)
	}
	if r5.Floor.Seed != "" || len(entries()) != 2 {
		t.Errorf("other types: floor seed %q, %d entries; want a floor of their own", r5.Floor.Seed, len(entries()))
	}
}

// TestFingerprintLanes: a fingerprint made on one thread (one lane) and
// on two (the reference's pool beside the profiles' floors) holds the same
// pool and floors, in the same order.
func TestFingerprintLanes(t *testing.T) {
	ref := testdata.Path(t, "stories260K.gguf")
	key, err := cert.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{1}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	var got []*fingerprint.Fingerprint
	for _, threads := range []int{1, 2} {
		out := filepath.Join(t.TempDir(), "fp")
		_, err := CreateFingerprint(FingerprintConfig{Reference: ref, Out: out, Key: key, PoolSize: 40, Calibration: 24,
			Profiles: []synth.FileType{"F16", "Q8_0", "Q4_0", "F32"}, Threads: threads, TempDir: t.TempDir(),
			Rand: bytes.NewReader(bytes.Repeat([]byte{7}, 32))})
		if err != nil {
			t.Fatal(err)
		}
		fp, err := fingerprint.Read(out, fingerprint.Trust{Keys: []ed25519.PublicKey{key.Public()}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fp)
	}
	if !reflect.DeepEqual(got[0].Pool, got[1].Pool) || !reflect.DeepEqual(got[0].Floors, got[1].Floors) {
		t.Errorf("one lane and two lanes made different fingerprints")
	}
	if len(got[1].Floors) != 3 || got[1].Floors[0].Name != "F16" || got[1].Floors[2].Name != "Q4_0" {
		t.Errorf("floors %v, want F16, Q8_0, Q4_0 in order (F32 is the reference's own)", len(got[1].Floors))
	}
}

// TestFloorCacheAttack: a cached floor must not let a changed model
// through. A legitimate requantization fills the cache; then edited models
// requantized to the very same types (so the cached floor is reused) must
// be DIFFERENT, and another legitimate run reusing it must stay SAME.
// (Smaller edits — 10% noise on one tensor, the output norm × 1.05, even
// × 1.3 — come out SAME behaviourally under this tiny model's Q4_0 noise,
// with a fresh floor as with a reused one: below the behavioural detection
// limits; the weights layer, which a --ref run without --behaviour
// decides by, calls every one DIFFERENT.)
func TestFloorCacheAttack(t *testing.T) {
	fx := baseFixture(t, "stories260K")
	p, _ := LookupPreset("standard")
	dir := t.TempDir()
	cache := filepath.Join(dir, "floors")
	legit := filepath.Join(dir, "legit.gguf")
	if err := variant.Write(fx.ref, legit, variant.Requantize("Q4_0")); err != nil {
		t.Fatal(err)
	}
	first, err := Run(Config{Candidate: legit, Reference: fx.ref, Preset: p, Behaviour: true, FloorCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if first.Verdict != cert.Same || first.Floor.Seed != "" {
		t.Fatalf("legitimate Q4_0, floor measured: %s (floor seed %q), want SAME", first.Verdict, first.Floor.Seed)
	}
	for _, c := range []struct {
		name string
		edit variant.Edit
		// seen: the behavioural test resolves it (else only the weights
		// layer does: see the doc comment)
		seen bool
	}{
		{"50% noise on one tensor", variant.Noise("blk.2.ffn_down.weight", 0.5, 5), true},
		{"different seed", variant.Reinit(11), true},
		{"output norm × 1.3", variant.Scale("output_norm.weight", 1.3), false},
		{"20% noise on one tensor", variant.Noise("blk.2.ffn_down.weight", 0.2, 5), false},
		{"10% noise on one tensor", variant.Noise("blk.3.ffn_down.weight", 0.1, 6), false},
	} {
		edited, cand := filepath.Join(dir, "edited.gguf"), filepath.Join(dir, "edited-q4_0.gguf")
		if err := variant.Write(fx.ref, edited, c.edit); err != nil {
			t.Fatal(err)
		}
		if err := variant.Write(edited, cand, variant.Requantize("Q4_0")); err != nil {
			t.Fatal(err)
		}
		res, err := Run(Config{Candidate: cand, Reference: fx.ref, Preset: p, Behaviour: true, FloorCache: cache})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if res.Floor.Seed != first.Seed {
			t.Errorf("%s: the cached floor was not reused (floor seed %.8s)", c.name, res.Floor.Seed)
		}
		// Changed weights make it DIFFERENT even where the behavioural
		// test, run anyway, cannot see the edit; where it can, it says so
		// itself.
		if res.Verdict != cert.Different {
			t.Errorf("%s, requantized to Q4_0, against a reused floor, --behaviour: %s after %d challenges, want DIFFERENT", c.name, res.Verdict, res.N)
		}
		if overruled := strings.Contains(res.Reason, "the behavioural test said"); c.seen && overruled {
			t.Errorf("%s: the behavioural test did not find it: %s", c.name, res.Reason)
		}
		// Without --behaviour the weights layer judges every block.
		w, err := Run(Config{Candidate: cand, Reference: fx.ref, Preset: p, FloorCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if w.Verdict != cert.Different {
			t.Errorf("%s, requantized to Q4_0: weights layer %s, want DIFFERENT", c.name, w.Verdict)
		}
	}
	again, err := Run(Config{Candidate: legit, Reference: fx.ref, Preset: p, Behaviour: true, FloorCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if again.Verdict != cert.Same || again.Floor.Seed != first.Seed {
		t.Errorf("legitimate Q4_0 reusing the floor: %s (floor seed %.8s), want SAME with the first run's floor", again.Verdict, again.Floor.Seed)
	}
}
