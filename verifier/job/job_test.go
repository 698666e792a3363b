package job

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/variant"
)

// pair is a candidate made from a reference and the verdict it must get.
type pair struct {
	name  string
	want  cert.Verdict
	edits []variant.Edit
}

// requiredPairs are issue #4's required verdicts. noiseTensor is a weight
// of the base model.
func requiredPairs(noiseTensor string) []pair {
	ps := []pair{
		{"same file", cert.Identical, nil},
		{"general.name changed", cert.Identical, []variant.Edit{variant.SetString("general.name", "renamed")}},
		{"chat template changed", cert.Different, []variant.Edit{variant.SetString("tokenizer.chat_template", "{{ messages }}")}},
		{"tokenizer scores changed", cert.Different, []variant.Edit{variant.ScaleTokenScores(1.5)}},
		{"1% noise on one tensor", cert.Different, []variant.Edit{variant.Noise(noiseTensor, 0.01, 3)}},
		{"output norm × 1.02", cert.Different, []variant.Edit{variant.Scale("output_norm.weight", 1.02)}},
		{"different seed", cert.Different, []variant.Edit{variant.Reinit(11)}},
	}
	for _, ft := range synth.FileTypeNames() {
		if ft == "F32" {
			continue
		}
		ps = append(ps, pair{"requantized " + ft, cert.Same, []variant.Edit{variant.Requantize(synth.FileType(ft))}})
	}
	return ps
}

// fixture is a reference model with its fingerprint and candidates.
type fixture struct {
	ref, fp string
	cands   []string
	pairs   []pair
	key     *cert.Key
}

// trusted trusts the fixture's fingerprint creator: its own key.
func (fx *fixture) trusted() fingerprint.Trust {
	return fingerprint.Trust{Keys: []ed25519.PublicKey{fx.key.Public()}}
}

var (
	fixtures   = map[string]*fixture{}
	fixturesMu sync.Mutex
)

// baseFixture builds (once per test binary) the candidates and the
// fingerprint of a base model.
func baseFixture(t *testing.T, name string) *fixture {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if fx := fixtures[name]; fx != nil {
		return fx
	}
	dir, err := os.MkdirTemp("", "pot-job-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {}) // the directory outlives one test; removed by TestMain
	tempDirs = append(tempDirs, dir)
	fx := &fixture{}
	switch name {
	case "stories260K":
		fx.ref = testdata.Path(t, "stories260K.gguf")
		fx.pairs = requiredPairs("blk.2.ffn_down.weight")
	case "synth-tiny":
		s, _ := synth.LookupShape("tiny")
		fx.ref = filepath.Join(dir, "ref.gguf")
		if err := synth.WriteFile(fx.ref, synth.Spec{Shape: s, FileType: "F32", Seed: 1}); err != nil {
			t.Fatal(err)
		}
		fx.pairs = requiredPairs("blk.1.ffn_down.weight")
	}
	if fx.key, err = cert.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	for i, p := range fx.pairs {
		c := filepath.Join(dir, fmt.Sprintf("cand-%02d.gguf", i))
		if err := variant.Write(fx.ref, c, p.edits...); err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		fx.cands = append(fx.cands, c)
	}
	fx.fp = filepath.Join(dir, "ref.potfp")
	// The pool must hold every challenge a preset may draw (without
	// replacement), and the floors enough samples for its rule: the audit
	// preset needs 1000 and 512, which only the full table pays for.
	pool, cal := 400, 256
	if fullTable() {
		pool, cal = 1000, 512
	}
	// The pool's seed is fixed per base model so that every run judges the
	// same challenges: about 3% of fresh fingerprints leave one faithful
	// copy UNDECIDED at the budget (TestRequiredVerdicts bounds that rate),
	// which would make a suite that wants SAME for each copy fail at random.
	seed := [32]byte{}
	copy(seed[:], "pot fixture "+name)
	if _, err := CreateFingerprint(FingerprintConfig{Reference: fx.ref, Out: fx.fp, Key: fx.key, PoolSize: pool,
		Calibration: cal, Profiles: allProfiles(), TempDir: dir, Rand: mrand.NewChaCha8(seed)}); err != nil {
		t.Fatal(err)
	}
	fixtures[name] = fx
	return fx
}

var tempDirs []string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// fullTable reports whether the exhaustive tables run (POT_FULL_TABLE=1, as
// CI sets it): every preset including audit, every pair in every mode.
func fullTable() bool { return os.Getenv("POT_FULL_TABLE") == "1" }

// tablePresets are the presets the tables run: audit only in the full table.
func tablePresets() []string {
	if fullTable() {
		return PresetNames()
	}
	return []string{"quick", "standard"}
}

func allProfiles() []synth.FileType {
	var fts []synth.FileType
	for _, n := range synth.FileTypeNames() {
		fts = append(fts, synth.FileType(n))
	}
	return fts
}

// modes are the ways a candidate is verified.
var modes = []struct {
	name      string
	fp        bool
	behaviour bool
}{
	{"--ref", false, false},
	{"--ref --behaviour", false, true},
	{"--fingerprint", true, false},
}

// behaviourPairs are the pairs whose verdict the forced behavioural test
// (--ref --behaviour) must also reach in the default run: the altered
// models and three requantizations. It calibrates a requantized reference
// for each, which makes it the slowest mode; POT_FULL_TABLE=1 runs it on
// every pair.
var behaviourPairs = map[string]bool{
	"1% noise on one tensor": true, "output norm × 1.02": true, "different seed": true,
	"requantized Q8_0": true, "requantized Q4_K_M": true, "requantized Q4_0": true,
}

// TestRequiredVerdicts runs every required pair against its reference, with
// every preset, by reference model (weights deciding, and the behavioural
// test forced) and by fingerprint. Never a wrong verdict: no DIFFERENT for
// a faithful copy, no SAME or IDENTICAL (nor UNDECIDED) for an altered
// model. A faithful copy decided by behaviour may end UNDECIDED at the
// budget: the noise floor is a random sample, and against a floor whose
// high quantile came out low the tail bound stays above its threshold
// (measured: 11 of 360 runs over 30 fresh stories260K fingerprints in the
// standard preset, the same rate before and after this package's numerics
// changed). The fingerprints here are fresh each run, so the test allows
// that for up to a tenth of those runs (more than 6 of ~60 has a chance of
// about 0.3% at that rate) and fails above it: a loss of power, not luck.
// The log is the table of the note.
func TestRequiredVerdicts(t *testing.T) {
	full := fullTable()
	var table bytes.Buffer
	behaviouralSame, undecided := 0, 0
	for _, base := range []string{"stories260K", "synth-tiny"} {
		fx := baseFixture(t, base)
		for _, preset := range tablePresets() {
			p, _ := LookupPreset(preset)
			for _, m := range modes {
				for i, pr := range fx.pairs {
					if m.behaviour && !full && !behaviourPairs[pr.name] {
						continue
					}
					cfg := Config{Candidate: fx.cands[i], Preset: p, Behaviour: m.behaviour, Threads: 2,
						Seed: bytes.Repeat([]byte{byte(i + 1)}, 32)}
					if m.fp {
						cfg.Fingerprint, cfg.Trust = fx.fp, fx.trusted()
					} else {
						cfg.Reference = fx.ref
					}
					start := time.Now()
					res, err := Run(cfg)
					if err != nil {
						t.Fatalf("%s %s %s %s: %v", base, preset, m.name, pr.name, err)
					}
					el := time.Since(start)
					fmt.Fprintf(&table, "| %s | %s | %s | %s | %s | %d | %.2fs |\n", base, pr.name, preset, m.name, res.Verdict, res.N, el.Seconds())
					if pr.want == cert.Same && (m.fp || m.behaviour) {
						behaviouralSame++
						if res.Verdict == cert.Undecided {
							undecided++
							t.Logf("%s %s %s %s: %s (%s)", base, preset, m.name, pr.name, res.Verdict, res.Reason)
							continue
						}
					}
					if res.Verdict != pr.want {
						t.Errorf("%s %s %s %s: %s (%s), want %s", base, preset, m.name, pr.name, res.Verdict, res.Reason, pr.want)
					}
				}
			}
		}
	}
	if undecided > max(1, behaviouralSame/10) {
		t.Errorf("%d of %d faithful copies decided by behaviour ended UNDECIDED (at most a tenth may)", undecided, behaviouralSame)
	}
	t.Logf("\n| base | pair | preset | mode | verdict | challenges | time |\n|---|---|---|---|---|---|---|\n%s", table.String())
}

// TestSharedQuantizedFiles: llama.cpp's own quantizations of qwen2-tiny
// are SAME as their F32 original, by weights and by behaviour.
func TestSharedQuantizedFiles(t *testing.T) {
	ref := testdata.Path(t, "qwen2-tiny-F32.gguf")
	p, _ := LookupPreset("quick")
	for _, typ := range []string{"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"} {
		cand := testdata.Path(t, "qwen2-tiny-"+typ+".gguf")
		for _, behaviour := range []bool{false, true} {
			res, err := Run(Config{Candidate: cand, Reference: ref, Preset: p, Behaviour: behaviour, Threads: 2,
				Seed: bytes.Repeat([]byte{7}, 32)})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s behaviour=%v: %s n=%d (%s)", typ, behaviour, res.Verdict, res.N, res.Reason)
			if res.Verdict != cert.Same {
				t.Errorf("qwen2-tiny-%s (behaviour %v): %s, want SAME: %s", typ, behaviour, res.Verdict, res.Reason)
			}
		}
	}
}

// TestResume: a run interrupted after some challenges and resumed from its
// checkpoint gives exactly the uninterrupted run's records and verdict.
func TestResume(t *testing.T) {
	fx := baseFixture(t, "stories260K")
	p, _ := LookupPreset("standard")
	cand := fx.cands[len(fx.cands)-1] // a requantization: many challenges
	seed := bytes.Repeat([]byte{5}, 32)
	full, err := Run(Config{Candidate: cand, Fingerprint: fx.fp, Trust: fx.trusted(), Preset: p, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(t.TempDir(), "run.checkpoint")
	for _, stop := range []int{1, full.N / 2, full.N - 1} {
		os.Remove(ck)
		done := 0
		_, err := Run(Config{Candidate: cand, Fingerprint: fx.fp, Trust: fx.trusted(), Preset: p, Seed: seed, Checkpoint: ck,
			Pause: func() bool { done++; return done == stop }})
		if !errors.Is(err, ErrPaused) {
			t.Fatalf("pause after %d: err = %v, want ErrPaused", stop, err)
		}
		// Resume without the seed: the checkpoint holds it.
		res, err := Run(Config{Candidate: cand, Fingerprint: fx.fp, Trust: fx.trusted(), Preset: p, Checkpoint: ck})
		if err != nil {
			t.Fatal(err)
		}
		if res.SeedChosenBy != cert.SeedByRunner || full.SeedChosenBy != cert.SeedByRunner {
			t.Errorf("a --seed run resumed: seed chosen by %q (uninterrupted %q), want %q", res.SeedChosenBy, full.SeedChosenBy, cert.SeedByRunner)
		}
		if res.Verdict != full.Verdict || res.N != full.N || res.Seed != full.Seed ||
			!reflect.DeepEqual(res.Records, full.Records) {
			t.Errorf("paused after %d and resumed: %s n=%d, uninterrupted %s n=%d", stop, res.Verdict, res.N, full.Verdict, full.N)
		}
	}
	// A checkpoint of another run is refused, not overwritten.
	other := fx.cands[4] // 1% noise: another file
	if _, err := Run(Config{Candidate: other, Fingerprint: fx.fp, Trust: fx.trusted(), Preset: p, Checkpoint: ck}); err == nil ||
		!strings.Contains(err.Error(), "another run") {
		t.Errorf("a checkpoint of another run: err = %v, want a refusal", err)
	}
}

// TestResumeCalibration: a run stopped during calibration (a kill there
// loses nothing but the batch in flight) and resumed, through a relative
// checkpoint path and from another working directory's view of the same
// files, gives the uninterrupted run's floor, records and verdict; a
// conflicting --seed is refused with a clear message.
func TestResumeCalibration(t *testing.T) {
	fx := baseFixture(t, "stories260K")
	p, _ := LookupPreset("quick")
	cand := fx.cands[len(fx.cands)-1] // a requantization
	seed := bytes.Repeat([]byte{9}, 32)
	base := Config{Candidate: cand, Reference: fx.ref, Preset: p, Behaviour: true, Threads: 2}
	full := base
	full.Seed = seed
	want, err := Run(full)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	ck := "run.checkpoint" // relative
	stopped := base
	stopped.Seed, stopped.Checkpoint = seed, ck
	calls := 0
	stopped.Pause = func() bool { calls++; return calls == 2 } // the second calibration batch
	if _, err := Run(stopped); !errors.Is(err, ErrPaused) {
		t.Fatalf("pause during calibration: %v", err)
	}
	conflict := base
	conflict.Checkpoint, conflict.Seed = filepath.Join(dir, ck), bytes.Repeat([]byte{8}, 32)
	if _, err := Run(conflict); err == nil || !strings.Contains(err.Error(), "another seed") {
		t.Errorf("conflicting seed: %v, want a refusal naming the seed", err)
	}
	resumed := base
	resumed.Checkpoint = filepath.Join(dir, ".", ck) // another spelling of the same file
	got, err := Run(resumed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verdict != want.Verdict || got.N != want.N || !reflect.DeepEqual(got.Floor, want.Floor) ||
		!reflect.DeepEqual(got.Records, want.Records) || got.SeedChosenBy != want.SeedChosenBy {
		t.Errorf("resumed after calibration pause: %s n=%d, uninterrupted %s n=%d", got.Verdict, got.N, want.Verdict, want.N)
	}
}
