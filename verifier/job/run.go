// Package job runs one verification: the layered checks of DESIGN.md §1,
// cheapest first, stopping at the first conclusive answer, and the
// behavioural test as a resumable loop.
//
//  1. structure: the strict GGUF reader;
//  2. hashes: whole file and per tensor; identical tensor data is IDENTICAL
//     (cosmetic metadata is reported, not fatal);
//  3. metadata: architecture, shapes, hyper-parameters, tokenizer, chat
//     template (a difference is a structural DIFFERENT);
//  4. weights, when the reference model is at hand: an exact
//     requantization proves SAME at once, changed weights prove DIFFERENT;
//  5. the behavioural test: keyed challenges, each scored 0/1 against the
//     noise floor of the candidate's types, and an anytime-valid
//     confidence sequence on the mean score (packages score and stats).
//
// Each finished challenge is committed to the checkpoint file (fsync)
// before the next starts, so a crash, sleep or reboot loses at most the
// challenge in flight, and a resumed run gives exactly the result an
// uninterrupted one would.
//
// The secret seed is drawn after the candidate is hashed, its commitment
// is fixed before the first challenge, and it is revealed in the result so
// that anyone can re-derive the challenges.
package job

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/stats"
	"github.com/proof-of-training/pot/verifier/tokenizer"
	"github.com/proof-of-training/pot/verifier/weights"
)

// Config describes one run.
type Config struct {
	Candidate string // model file to verify
	// Exactly one of Reference (a model file) and Fingerprint.
	Reference   string
	Fingerprint string
	// FingerprintKeys, if set, are the only creators whose fingerprints
	// are accepted; otherwise any intact fingerprint is, and the result
	// names its creator.
	FingerprintKeys []ed25519.PublicKey

	Preset Preset
	// Seed, if set (32 bytes), replaces the fresh secret seed: for
	// reproducing a run. Rand supplies fresh seeds (crypto/rand if nil).
	Seed []byte
	Rand io.Reader
	// Clock gives the times recorded (time.Now if nil).
	Clock func() time.Time

	Threads   int
	Streaming engine.Streaming
	// Behaviour runs the behavioural test even when the weights already
	// decide (a reference model was given); for audits and for measuring.
	Behaviour bool
	// Checkpoint, if set, is the file that makes the run resumable.
	Checkpoint string
	// TempDir holds the requantized reference while calibrating (default
	// os.TempDir()).
	TempDir string
	// Progress, if set, receives events; it must not block for long.
	Progress func(Event)
	// Pause, if set, is asked after each committed challenge; when it says
	// true the run stops with ErrPaused, and running it again with the same
	// Checkpoint continues where it stopped.
	Pause func() bool
}

// ErrPaused is returned by a run that Config.Pause stopped.
var ErrPaused = errors.New("job: paused")

// Event reports progress.
type Event struct {
	Stage string // "hash", "weights", "calibrate", "challenge"
	Done  int64  // bytes hashed, tensors compared, challenges run
	Total int64
	// Running state of the test, for "challenge" events.
	Mean, Lower, Upper float64
}

// Result is everything a run established; Statement turns it into a
// certificate.
type Result struct {
	Verdict cert.Verdict `json:"verdict"`
	Reason  string       `json:"reason"`
	Checks  []cert.Check `json:"checks"`
	Preset  string       `json:"preset"`
	Params  cert.Params  `json:"params"`

	N     int     `json:"n"`
	Mean  float64 `json:"mean"`
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`

	Floor      score.Floor     `json:"floor"`
	Seed       string          `json:"seed"`       // hex, revealed
	Commitment string          `json:"commitment"` // hex, fixed before the first challenge
	Derivation json.RawMessage `json:"derivation,omitempty"`
	Records    []cert.Record   `json:"-"`

	Candidate       *identity.Identity `json:"-"`
	CandidatePath   string             `json:"candidate"`
	Reference       cert.Reference     `json:"reference"`
	Backend         string             `json:"backend"`
	Started, Finish time.Time          `json:"-"`
}

// Run performs the verification cfg describes.
func Run(cfg Config) (*Result, error) {
	r := &runner{cfg: cfg}
	if r.cfg.Clock == nil {
		r.cfg.Clock = time.Now
	}
	if r.cfg.Rand == nil {
		r.cfg.Rand = rand.Reader
	}
	if (cfg.Reference == "") == (cfg.Fingerprint == "") {
		return nil, errors.New("job: give exactly one of a reference model and a fingerprint")
	}
	if err := cfg.Preset.Stats.Validate(); err != nil {
		return nil, err
	}
	defer r.close()
	return r.run()
}

type runner struct {
	cfg     Config
	res     *Result
	cand    *gguf.File
	ref     *gguf.File
	fp      *fingerprint.Fingerprint
	ck      *checkpoint
	closers []io.Closer
}

func (r *runner) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
}

func (r *runner) progress(e Event) {
	if r.cfg.Progress != nil {
		r.cfg.Progress(e)
	}
}

func (r *runner) hash(f *gguf.File) (*identity.Identity, error) {
	return identity.Compute(f, identity.Options{PerTensor: true, Progress: func(done, total int64) {
		r.progress(Event{Stage: "hash", Done: done, Total: total})
	}})
}

func (r *runner) run() (*Result, error) {
	cfg := &r.cfg
	p := cfg.Preset
	res := &Result{Preset: p.Name, CandidatePath: cfg.Candidate, Started: cfg.Clock().UTC(), Backend: "cpu",
		Params: cert.Params{Alpha: p.Stats.Alpha, Gamma: p.Stats.Gamma, Delta: p.Stats.Delta, K: p.K, TopK: p.TopK,
			NMin: p.Stats.NMin, NMax: p.Stats.NMax}, Lower: 0, Upper: 1}
	r.res = res

	// 1. Structure.
	var err error
	if r.cand, err = gguf.Open(cfg.Candidate); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.cand)
	res.Checks = append(res.Checks, cert.Check{Name: "structure", Result: cert.Pass, Detail: "valid GGUF v" + fmt.Sprint(r.cand.Version)})

	// 2–3. Hashes and metadata; the seed is drawn once the candidate is hashed.
	if res.Candidate, err = r.hash(r.cand); err != nil {
		return nil, err
	}
	if err := r.chooseSeed(); err != nil {
		return nil, err
	}
	var refID *identity.Identity
	if cfg.Reference != "" {
		if r.ref, err = hfmodel.OpenModel(cfg.Reference); err != nil {
			return nil, err
		}
		r.closers = append(r.closers, r.ref)
		if refID, err = r.hash(r.ref); err != nil {
			return nil, err
		}
		res.Reference = cert.Reference{Kind: cert.RefModel, Name: refName(cfg.Reference), Digest: cert.Digest{SHA256: refID.FileSHA256},
			HuggingFace: hfReference(refID)}
	} else {
		if r.fp, err = fingerprint.Read(cfg.Fingerprint, cfg.FingerprintKeys); err != nil {
			return nil, err
		}
		refID = &r.fp.Reference
		res.Reference = cert.Reference{Kind: cert.RefFingerprint, Name: filepath.Base(cfg.Fingerprint),
			Digest:      cert.Digest{SHA256: refID.FileSHA256},
			Fingerprint: &cert.FingerprintRef{Digest: cert.Digest{SHA256: r.fp.SHA256}, Creator: r.fp.KeyID},
			HuggingFace: hfReference(refID)}
	}
	st := compareIdentity(res.Candidate, refID)
	res.Checks = append(res.Checks, st.checks...)
	if st.verdict != "" {
		return r.finish(st.verdict, st.reason)
	}

	// 4. Weights, when the reference model is here.
	if r.ref != nil {
		v, reason, err := r.weights()
		if err != nil {
			return nil, err
		}
		if v != "" && !cfg.Behaviour {
			return r.finish(v, reason)
		}
	} else {
		res.Checks = append(res.Checks, cert.Check{Name: "weights", Result: cert.Skip, Detail: "no reference weights (fingerprint)"})
	}

	// 5. The behavioural test.
	return r.behaviour()
}

// chooseSeed takes the checkpoint's seed when resuming, else the
// configured one, else a fresh one.
func (r *runner) chooseSeed() error {
	key := checkpointKey{Candidate: r.res.Candidate.FileSHA256, Reference: r.cfg.Reference,
		Fingerprint: r.cfg.Fingerprint, Preset: r.cfg.Preset.Name}
	ck, err := loadCheckpoint(r.cfg.Checkpoint, key)
	if err != nil {
		return err
	}
	seed := r.cfg.Seed
	switch {
	case ck != nil:
		if seed, err = hex.DecodeString(ck.Seed); err != nil {
			return fmt.Errorf("job: checkpoint %s: seed: %w", r.cfg.Checkpoint, err)
		}
	case seed == nil:
		seed = make([]byte, 32)
		if _, err := io.ReadFull(r.cfg.Rand, seed); err != nil {
			return fmt.Errorf("job: drawing the seed: %w", err)
		}
	}
	if len(seed) != 32 {
		return fmt.Errorf("job: seed of %d bytes, want 32", len(seed))
	}
	r.res.Seed = hex.EncodeToString(seed)
	c := challenge.Commit(seed)
	r.res.Commitment = hex.EncodeToString(c[:])
	if ck == nil {
		ck = &checkpoint{Key: key, Seed: r.res.Seed}
	}
	r.ck = ck
	return nil
}

func (r *runner) weights() (cert.Verdict, string, error) {
	rep, err := weights.Compare(r.ref, r.cand, weights.Options{Threads: r.cfg.Threads, Progress: func(done, total int64) {
		r.progress(Event{Stage: "weights", Done: done, Total: total})
	}})
	if err != nil {
		return "", "", err
	}
	add := func(res cert.CheckResult) {
		r.res.Checks = append(r.res.Checks, cert.Check{Name: "weights", Result: res, Detail: rep.Reason})
	}
	switch rep.Verdict {
	case weights.Faithful, weights.Identical:
		add(cert.Pass)
		return cert.Same, "the candidate's weights are a faithful requantization of the reference's: " + rep.Reason, nil
	case weights.Different:
		add(cert.Fail)
		return cert.Different, "the weights differ from the reference's: " + rep.Reason, nil
	}
	add(cert.Differs)
	return "", "", nil
}

// finish completes the result with a verdict.
func (r *runner) finish(v cert.Verdict, reason string) (*Result, error) {
	r.res.Verdict, r.res.Reason = v, reason
	r.res.Finish = r.cfg.Clock().UTC()
	if r.res.Finish.Before(r.res.Started) {
		r.res.Finish = r.res.Started
	}
	return r.res, nil
}

// session loads a model for scoring.
func (r *runner) session(f *gguf.File) (*engine.Session, error) {
	s, err := engine.Load(f, engine.Options{Threads: r.cfg.Threads, Streaming: r.cfg.Streaming})
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, s)
	return s, nil
}

func (r *runner) behaviour() (*Result, error) {
	res, p := r.res, r.cfg.Preset
	seed, _ := hex.DecodeString(res.Seed)
	src, err := challenge.NewSource(seed, challengeConfig)
	if err != nil {
		return nil, err
	}
	candSess, err := r.session(r.cand)
	if err != nil {
		return nil, err
	}
	res.Backend = candSess.Backend()

	var ref reference
	var floorFn func() (score.Floor, error)
	candTypes := typeNames(r.cand)
	if r.ref != nil {
		tok, err := tokenizer.FromGGUF(r.ref)
		if err != nil {
			return nil, err
		}
		refSess, err := r.session(r.ref)
		if err != nil {
			return nil, err
		}
		mr := &modelReference{src: src, tok: tok, sess: refSess, k: p.K, topK: p.TopK, maxLen: min(refSess.Config().ContextLength, maxChallengeTokens)}
		ref = mr
		floorFn = func() (score.Floor, error) { return r.calibrate(mr, candTypes) }
	} else {
		// The fingerprint fixes what is scored per challenge.
		res.Params.K, res.Params.TopK = r.fp.K, r.fp.TopK
		ref = &poolReference{src: src, fp: r.fp}
		floorFn = func() (score.Floor, error) { return fingerprintFloor(r.fp, candTypes) }
	}
	res.Derivation = ref.derivation()

	ck := r.ck
	if ck.seq == nil {
		if ck.Floor, err = floorFn(); err != nil {
			return nil, err
		}
		ck.seq = stats.NewSequence(p.Stats.Alpha)
	}
	res.Floor = ck.Floor
	res.Checks = append(res.Checks, cert.Check{Name: "noise-floor", Result: cert.Pass,
		Detail: floorDetail(ck.Floor)})
	return r.loop(ref, candSess, ck)
}

// maxChallengeTokens caps a challenge's length; templates make far shorter
// ones, and the cap keeps a hostile word list from making huge batches.
const maxChallengeTokens = 512

// loop runs challenges until the sequential test decides.
func (r *runner) loop(ref reference, candSess *engine.Session, ck *checkpoint) (*Result, error) {
	res, p := r.res, r.cfg.Preset
	verdict, reason := stats.Decide(ck.seq, p.Stats)
	for verdict == stats.Continue {
		from := uint64(len(ck.Records))
		n := min(max(p.Batch, 1), p.Stats.NMax-len(ck.Records))
		ps, err := ref.probes(from, n)
		if err != nil {
			return nil, err
		}
		ms, err := measure(candSess, ps)
		if err != nil {
			return nil, err
		}
		for j := range ms {
			x := ck.Floor.Score(ms[j].distance)
			if err := ck.seq.Update(x); err != nil {
				return nil, err
			}
			rec := cert.Record{I: len(ck.Records), Digest: hexDigest(ps[j].digest), Score: x,
				Mean: ck.seq.Mean(), Lower: ck.seq.Lower(), Upper: ck.seq.Upper()}
			for q := range ms[j].perPos {
				rec.Positions = append(rec.Positions, cert.Position{Pos: ps[j].pos[q], Ref: int(ps[j].ids[q][0]),
					Cand: int(ms[j].candTop[q]), Distance: ms[j].perPos[q]})
			}
			ck.Records = append(ck.Records, rec)
			if err := ck.save(r.cfg.Checkpoint); err != nil {
				return nil, err
			}
			r.progress(Event{Stage: "challenge", Done: int64(len(ck.Records)), Total: int64(p.Stats.NMax),
				Mean: rec.Mean, Lower: rec.Lower, Upper: rec.Upper})
			if verdict, reason = stats.Decide(ck.seq, p.Stats); verdict != stats.Continue {
				break
			}
			if r.cfg.Pause != nil && r.cfg.Pause() {
				return nil, ErrPaused
			}
		}
	}
	res.Records = ck.Records
	res.N, res.Mean, res.Lower, res.Upper = ck.seq.N(), ck.seq.Mean(), ck.seq.Lower(), ck.seq.Upper()
	res.Checks = append(res.Checks, cert.Check{Name: "behaviour", Result: behaviourResult(verdict),
		Detail: fmt.Sprintf("%d challenges: mean score %.3f, interval [%.3f, %.3f]", res.N, res.Mean, res.Lower, res.Upper)})
	v := map[stats.Verdict]cert.Verdict{stats.Same: cert.Same, stats.Different: cert.Different, stats.Undecided: cert.Undecided}[verdict]
	return r.finish(v, reason)
}

// behaviourResult is the behavioural check's result: pass for SAME,
// differs otherwise. A statistical DIFFERENT is not a failed check, which
// in a certificate means a structural or weight difference; its verdict
// is replayed from the transcript instead.
func floorDetail(f score.Floor) string {
	if len(f.Samples) == 0 {
		return fmt.Sprintf("%s (threshold %.3g)", f.Source, f.Threshold())
	}
	return fmt.Sprintf("%s: threshold %.3g, the largest of %d calibration distances", f.Source, f.Threshold(), len(f.Samples))
}

func behaviourResult(v stats.Verdict) cert.CheckResult {
	if v == stats.Same {
		return cert.Pass
	}
	return cert.Differs
}

func typeNames(f *gguf.File) map[string]string {
	m := make(map[string]string, len(f.Tensors))
	for _, t := range f.Tensors {
		m[t.Name] = t.Type.String()
	}
	return m
}

// calibrate measures the noise floor of the candidate's types: zero when
// they are the reference's own, else the distances between the reference
// and the reference requantized to those types on calibration challenges.
func (r *runner) calibrate(mr *modelReference, candTypes map[string]string) (score.Floor, error) {
	if maps.Equal(candTypes, typeNames(r.ref)) {
		return score.ZeroFloor(), nil
	}
	types := typeMap(r.cand)
	dir := r.cfg.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "pot-requant-*.gguf")
	if err != nil {
		return score.Floor{}, err
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	if err := requantize(r.cfg.Reference, types, path); err != nil {
		return score.Floor{}, err
	}
	rq, err := gguf.Open(path)
	if err != nil {
		return score.Floor{}, err
	}
	defer rq.Close()
	sess, err := engine.Load(rq, engine.Options{Threads: r.cfg.Threads, Streaming: r.cfg.Streaming})
	if err != nil {
		return score.Floor{}, err
	}
	defer sess.Close()
	m := r.cfg.Preset.Calibration
	var ds []float64
	for done := 0; done < m; {
		n := min(max(r.cfg.Preset.Batch, 1), m-done)
		ps, err := mr.probes(calibrationBase+uint64(done), n)
		if err != nil {
			return score.Floor{}, err
		}
		ms, err := measure(sess, ps)
		if err != nil {
			return score.Floor{}, err
		}
		for _, x := range ms {
			ds = append(ds, x.distance)
		}
		done += n
		r.progress(Event{Stage: "calibrate", Done: int64(done), Total: int64(m)})
	}
	return score.NewFloor(ds, "the reference requantized to the candidate's types by the verifier")
}

// fingerprintFloor picks the fingerprint's floor for the candidate's types:
// zero for the reference's own types, the profile with exactly the
// candidate's types if there is one, else the most lenient profile (the
// reason says so).
func fingerprintFloor(fp *fingerprint.Fingerprint, candTypes map[string]string) (score.Floor, error) {
	refTypes := map[string]string{}
	for _, t := range fp.Reference.Tensors {
		refTypes[t.Name] = t.Type
	}
	if maps.Equal(candTypes, refTypes) {
		return score.ZeroFloor(), nil
	}
	var loosest *fingerprint.Profile
	for i := range fp.Floors {
		pr := &fp.Floors[i]
		if maps.Equal(candTypes, pr.TensorTypes) {
			return score.NewFloor(pr.Samples, "fingerprint profile "+pr.Name)
		}
		if loosest == nil || maxOf(pr.Samples) > maxOf(loosest.Samples) {
			loosest = pr
		}
	}
	if loosest == nil {
		return score.Floor{}, errors.New("job: the candidate's tensor types match no noise floor in the fingerprint")
	}
	return score.NewFloor(loosest.Samples, "fingerprint profile "+loosest.Name+" (the most lenient: no profile has the candidate's exact types)")
}

func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
