// Package job runs one verification: the layered checks of DESIGN.md §1,
// cheapest first, stopping at the first conclusive answer, and the
// behavioural test as a resumable loop.
//
//  1. structure: the strict GGUF reader;
//  2. hashes: whole file and per tensor; identical tensor data is IDENTICAL
//     (cosmetic metadata is reported, not fatal);
//  3. metadata: architecture, shapes, hyper-parameters, tokenizer, chat
//     template (a difference is a structural DIFFERENT; a differing key of
//     unknown effect, identity.KeyEffect, makes identical tensors SAME,
//     never IDENTICAL);
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
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"time"

	"github.com/proof-of-training/pot/verifier/behaviour"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/quant"
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
	// Trust names the trusted fingerprint creators: a fingerprint sealed
	// by any other key is refused (an *fingerprint.UntrustedError), unless
	// Trust.AllowUntrusted, when the run goes on and its reference is
	// marked untrusted (cert.FingerprintRef.Trusted false).
	Trust fingerprint.Trust

	Preset Preset
	// Seed, if set (32 bytes), replaces the fresh secret seed: for
	// reproducing a run. The certificate records it as chosen by the
	// runner (cert.SeedByRunner). Rand supplies fresh seeds (crypto/rand if nil).
	Seed []byte
	Rand io.Reader
	// Clock gives the times recorded (time.Now if nil).
	Clock func() time.Time

	Threads   int
	Streaming engine.Streaming
	// Behaviour runs the behavioural test even when the weights already
	// decide (a reference model was given); for audits and for measuring.
	// Weights shown to differ keep the verdict DIFFERENT (runner.finish).
	Behaviour bool
	// Checkpoint, if set, is the file that makes the run resumable; Store,
	// if set, replaces it (a queue keeping checkpoints elsewhere).
	Checkpoint string
	Store      Store
	// Backend, if set, makes the engine backend of each model the run
	// loads (the Metal GPU on a Mac); nil is the CPU. The certificate
	// records the backend that scored the candidate. In fingerprint mode
	// the candidate is scored on the backend the fingerprint was made on,
	// whose floors and exact log-probs only hold there.
	Backend func() (engine.Backend, error)
	// FloorCache, if set, is a directory of measured noise floors: a floor
	// for the same reference, candidate tensor types, preset, backend and
	// verifier is reused instead of measured, and a newly measured one is
	// kept there (only from a seed the verifier drew; see floorcache.go).
	FloorCache string
	// TempDir holds the requantized reference while calibrating (default
	// os.TempDir()).
	TempDir string
	// Progress, if set, receives events; it must not block for long.
	Progress func(Event)
	// Pause, if set, is asked after each committed challenge and each
	// committed calibration batch; when it says true the run stops with
	// ErrPaused, and running it again with the same Checkpoint continues
	// where it stopped.
	Pause func() bool
	// Throttle, if set, is called inside long work, after every layer of
	// every forward batch (engine.Options.Yield): a scheduler sleeps there
	// to hold a duty cycle. Stopping happens only at Pause, where the run
	// is committed.
	Throttle func()
}

// ErrPaused is returned by a run that Config.Pause stopped.
var ErrPaused = errors.New("job: paused")

// Stage names a phase of a run in progress events.
type Stage = string

// Stages, in the order a run meets them.
const (
	StageHash              Stage = "hash"               // hashing a model file (Event.File)
	StageWeights           Stage = "weights"            // comparing weights, bytes
	StagePool              Stage = "pool"               // fingerprinting: the reference on the pool
	StageCalibrationProbes Stage = "calibration-probes" // fingerprinting: the reference on calibration challenges
	StageCalibrate         Stage = "calibrate"          // measuring the noise floor, challenges
	StageChallenge         Stage = "challenge"          // the behavioural test, challenges
)

// Event reports progress.
type Event struct {
	Stage Stage
	File  string // for StageHash: the base name of the file being hashed
	Done  int64  // bytes hashed, bytes compared, challenges run
	Total int64  // the most Done can reach (challenges: the preset's budget)
	// Levels is the rank test's state after a StageChallenge event.
	Levels []cert.LevelState
	// ETA estimates the time to Total at the stage's rate so far (0 when
	// unknown); for challenges an upper bound, since the test may stop
	// sooner.
	ETA time.Duration
}

// Result is everything a run established; Statement turns it into a
// certificate.
type Result struct {
	Verdict cert.Verdict `json:"verdict"`
	Reason  string       `json:"reason"`
	Checks  []cert.Check `json:"checks"`
	Params  cert.Params  `json:"params"`

	N      int               `json:"n"`
	Levels []cert.LevelState `json:"levels"` // the rank test's final state, one per level

	Floor score.Floor `json:"floor"`
	Seed  string      `json:"seed"` // hex, revealed
	// SeedChosenBy is cert.SeedByVerifier for a fresh seed, cert.SeedByRunner
	// for Config.Seed.
	SeedChosenBy string          `json:"seedChosenBy"`
	Commitment   string          `json:"commitment"` // hex, fixed before the first challenge
	Derivation   json.RawMessage `json:"derivation,omitempty"`
	Records      []cert.Record   `json:"-"`

	// Timing says where the wall time of this process's part of the run
	// went; it is reported, not certified.
	Timing Timing `json:"timing"`

	Candidate       *identity.Identity `json:"-"`
	CandidatePath   string             `json:"candidate"`
	Reference       cert.Reference     `json:"reference"`
	Backend         string             `json:"backend"`
	Started, Finish time.Time          `json:"-"`
}

// Timing is the wall time of each phase of a run (for `pot bench verify`).
// Phases done by an earlier process of a resumed run, or skipped, are 0.
type Timing struct {
	Hash    time.Duration `json:"hash"`    // hashing both sides
	Weights time.Duration `json:"weights"` // comparing weights with a reference model
	// Calibrate is measuring the noise floor, of which Requantize was
	// spent writing the faithful copy (the reference's first batch runs
	// meanwhile); 0 when a cached floor was used.
	Calibrate  time.Duration `json:"calibrate"`
	Requantize time.Duration `json:"requantize"`
	Challenges time.Duration `json:"challenges"` // the behavioural test
	// Prefill is the time during which at least one model was in a forward
	// pass (engine.Meter), in any phase; Total the whole run.
	Prefill time.Duration `json:"prefill"`
	Total   time.Duration `json:"total"`
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
	if _, err := cfg.Preset.Rule(0); err != nil {
		return nil, err
	}
	defer r.close()
	start := time.Now()
	res, err := r.run()
	if res != nil {
		res.Timing.Prefill = r.meter.Total()
		res.Timing.Total = time.Since(start)
	}
	return res, err
}

// since adds the time since t0 to *d.
func since(d *time.Duration, t0 time.Time) { *d += time.Since(t0) }

type runner struct {
	cfg Config
	// weightsDiffer is the reason of a weights comparison that found the
	// candidate's weights changed, when the behavioural test runs anyway.
	weightsDiffer string
	res           *Result
	cand          *gguf.File
	ref           *gguf.File
	refID         *identity.Identity
	fp            *fingerprint.Fingerprint
	ck            *checkpoint
	stages        map[Stage]stageStart // for ETAs
	// otherQuant: the weights layer found another quantization of the
	// reference's weights, neither faithful nor changed.
	otherQuant bool
	closers    []io.Closer
	meter      engine.Meter // time in forward passes
}

func (r *runner) close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i].Close()
	}
}

// progress sends e with its ETA: the stage's rate since its first event
// in this process, applied to what remains.
func (r *runner) progress(e Event) {
	if r.cfg.Progress == nil {
		return
	}
	now := r.cfg.Clock()
	if r.stages == nil {
		r.stages = map[Stage]stageStart{}
	}
	st, ok := r.stages[e.Stage]
	if !ok || e.Done < st.done {
		st = stageStart{at: now, done: e.Done}
		r.stages[e.Stage] = st
	}
	if d := e.Done - st.done; d > 0 && e.Total > e.Done {
		e.ETA = time.Duration(float64(now.Sub(st.at)) / float64(d) * float64(e.Total-e.Done))
	}
	r.cfg.Progress(e)
}

// stageStart is where a stage's rate is measured from.
type stageStart struct {
	at   time.Time
	done int64
}

func (r *runner) hash(f *gguf.File) (*identity.Identity, error) {
	defer since(&r.res.Timing.Hash, time.Now())
	return identity.Compute(f, identity.Options{PerTensor: true, Progress: func(done, total int64) {
		r.progress(Event{Stage: "hash", File: filepath.Base(f.Path), Done: done, Total: total})
	}})
}

func (r *runner) run() (*Result, error) {
	cfg := &r.cfg
	p := cfg.Preset
	res := &Result{CandidatePath: cfg.Candidate, Started: cfg.Clock().UTC(), Backend: "cpu",
		Params: cert.Params{Preset: p.Name, K: p.K, TopK: p.TopK}}
	r.res = res

	// 1. Structure.
	var err error
	if r.cand, err = gguf.Open(cfg.Candidate); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.cand)
	res.Checks = append(res.Checks, cert.Check{Name: "structure", Result: cert.Pass, Detail: "valid GGUF v" + fmt.Sprint(r.cand.Version)})

	// 2–3. Hashes and metadata; the seed is drawn once both sides are hashed.
	if res.Candidate, err = r.hash(r.cand); err != nil {
		return nil, err
	}
	if cfg.Reference != "" {
		if r.ref, err = hfmodel.OpenModel(cfg.Reference); err != nil {
			return nil, err
		}
		r.closers = append(r.closers, r.ref)
		if r.refID, err = r.hash(r.ref); err != nil {
			return nil, err
		}
		res.Reference = cert.Reference{Kind: cert.RefModel, Name: refName(cfg.Reference),
			Digest: cert.Digest{SHA256: r.refID.FileSHA256}, DigestSource: cert.DigestComputed, HuggingFace: hfReference(r.refID)}
	} else {
		if r.fp, err = fingerprint.Read(cfg.Fingerprint, cfg.Trust); err != nil {
			return nil, err
		}
		r.refID = &r.fp.Reference
		res.Reference = cert.Reference{Kind: cert.RefFingerprint, Name: filepath.Base(cfg.Fingerprint),
			Digest: cert.Digest{SHA256: r.refID.FileSHA256}, DigestSource: cert.DigestClaimed,
			Fingerprint: &cert.FingerprintRef{Digest: cert.Digest{SHA256: r.fp.SHA256}, Creator: r.fp.KeyID, Trusted: r.fp.Trusted},
			HuggingFace: hfReference(r.refID)}
	}
	if err := r.chooseSeed(); err != nil {
		return nil, err
	}
	st := compareIdentity(res.Candidate, r.refID)
	res.Checks = append(res.Checks, st.checks...)
	if st.verdict != "" {
		return r.finish(st.verdict, st.reason)
	}

	// 4. Weights: the reference's own tensors, or the fingerprint's hashes
	// of the tensors the candidate keeps in the reference's type.
	if r.ref != nil {
		v, reason, err := r.weights()
		if err != nil {
			return nil, err
		}
		if v != "" && !cfg.Behaviour {
			return r.finish(v, reason)
		}
		if v == cert.Different {
			r.weightsDiffer = reason // stands whatever the behavioural test says (finish)
		}
	} else if v, reason := r.keptTensors(); v != "" {
		return r.finish(v, reason)
	}

	// 5. The behavioural test. Hashing and the weights comparison touched
	// every page of the candidate, whose session loads only after the noise
	// floor has run the reference beside a faithful copy: its pages are
	// dropped until then, so the three files are not resident at once
	// (0.5B F16 reference, Q4_K_M candidate: 400 MB of a 2.1 GB peak). The
	// mapping is read-only, so this is a hint and changes no result.
	for i := range r.cand.Tensors {
		_ = r.cand.DontNeed(&r.cand.Tensors[i])
	}
	return r.behaviour()
}

// chooseSeed takes the checkpoint's seed when resuming, else the
// configured one, else a fresh one. A configured seed that differs from
// the checkpoint's is refused: the run would silently not be the one asked
// for.
func (r *runner) chooseSeed() error {
	key := checkpointKey{Candidate: r.res.Candidate.FileSHA256, Reference: r.refID.FileSHA256, Preset: r.cfg.Preset.Name}
	if r.fp != nil {
		key.Fingerprint = r.fp.SHA256
	}
	st, name := r.cfg.store()
	ck, err := loadCheckpoint(st, name, key)
	if err != nil {
		return err
	}
	seed, chosenBy := r.cfg.Seed, cert.SeedByRunner
	switch {
	case ck != nil:
		saved, err := hex.DecodeString(ck.Seed)
		if err != nil {
			return fmt.Errorf("job: %s: seed: %w", name, err)
		}
		if seed != nil && hex.EncodeToString(seed) != ck.Seed {
			return fmt.Errorf("job: %s continues a run with another seed; remove the checkpoint or drop --seed", name)
		}
		seed, r.res.Started = saved, ck.Started
		if ck.SeedChosenBy == cert.SeedByVerifier {
			chosenBy = ck.SeedChosenBy // else unknown: say runner, the weaker claim
		}
	case seed == nil:
		seed = make([]byte, 32)
		if _, err := io.ReadFull(r.cfg.Rand, seed); err != nil {
			return fmt.Errorf("job: drawing the seed: %w", err)
		}
		chosenBy = cert.SeedByVerifier
	}
	if len(seed) != 32 {
		return fmt.Errorf("job: seed of %d bytes, want 32", len(seed))
	}
	r.res.Seed, r.res.SeedChosenBy = hex.EncodeToString(seed), chosenBy
	c := challenge.Commit(seed)
	r.res.Commitment = hex.EncodeToString(c[:])
	if ck == nil {
		ck = &checkpoint{Key: key, Seed: r.res.Seed, SeedChosenBy: chosenBy, Started: r.res.Started, store: st, name: name}
	}
	r.ck = ck
	return nil
}

func (r *runner) weights() (cert.Verdict, string, error) {
	defer since(&r.res.Timing.Weights, time.Now())
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
		return cert.Same, "every block of the candidate's weights is the reference's own or PoT's exact requantization of it: " + rep.Reason, nil
	case weights.Different, weights.Structural:
		add(cert.Fail)
		return cert.Different, "the weights differ from the reference's: " + rep.Reason, nil
	case weights.OtherQuantization:
		r.otherQuant = true
	}
	// Another quantization of the same weights, or types the weights
	// cannot check: only the behavioural test can decide.
	add(cert.Differs)
	return "", "", nil
}

// keptTensors checks, in fingerprint mode, the tensors the candidate keeps
// in the reference's own type: a faithful requantization leaves those
// untouched (float norms, biases, and every tensor of a same-type copy), so
// their digests must be the fingerprint's. A differing float tensor is
// DIFFERENT; a differing quantized one means the candidate is another
// quantization of the same type, for which no floor exists in the
// fingerprint (the behavioural test then says UNDECIDED).
func (r *runner) keptTensors() (cert.Verdict, string) {
	ref := map[string]identity.Tensor{}
	for _, t := range r.refID.Tensors {
		ref[t.Name] = t
	}
	var changed, requant []string
	for _, t := range r.res.Candidate.Tensors {
		rt, ok := ref[t.Name]
		if !ok || rt.Type != t.Type || rt.SHA256 == t.SHA256 {
			continue
		}
		if isFloat(t.Type) {
			changed = append(changed, t.Name)
		} else {
			requant = append(requant, t.Name)
		}
	}
	switch {
	case len(changed) > 0:
		r.res.Checks = append(r.res.Checks, cert.Check{Name: "kept-tensors", Result: cert.Fail,
			Detail: fmt.Sprintf("%d tensors kept in the reference's own type differ from the fingerprint's digests: %s", len(changed), list(changed))})
		return cert.Different, "tensors that a requantization leaves untouched were changed: " + list(changed)
	case len(requant) > 0:
		r.res.Checks = append(r.res.Checks, cert.Check{Name: "kept-tensors", Result: cert.Differs,
			Detail: fmt.Sprintf("%d quantized tensors have the reference's type but other bytes (another quantization of the same type): %s", len(requant), list(requant))})
	default:
		r.res.Checks = append(r.res.Checks, cert.Check{Name: "kept-tensors", Result: cert.Pass,
			Detail: "every tensor kept in the reference's type matches the fingerprint's digest"})
	}
	return "", ""
}

func isFloat(typeName string) bool {
	return typeName == quant.F32.String() || typeName == quant.F16.String() || typeName == quant.BF16.String()
}

// finish completes the result with a verdict. Weights shown to differ
// from the reference's (r.weightsDiffer) make it DIFFERENT whatever the
// behavioural test, run as asked (Config.Behaviour), concluded: that test
// bounds how often the candidate's outputs move, and an edit where its
// challenges rarely look can pass it, while the weights comparison is
// exact.
func (r *runner) finish(v cert.Verdict, reason string) (*Result, error) {
	if r.weightsDiffer != "" && v != cert.Different {
		reason = fmt.Sprintf("%s (the behavioural test said %s: %s)", r.weightsDiffer, v, reason)
		v = cert.Different
	}
	r.res.Verdict, r.res.Reason = v, reason
	r.res.Finish = r.cfg.Clock().UTC()
	if r.res.Finish.Before(r.res.Started) {
		r.res.Finish = r.res.Started
	}
	return r.res, nil
}

// session loads a model for scoring, on all of Config.Threads: the
// reference and the candidate (or the faithful copy) overlap
// (behaviour.Prefetch), and where one is in a serial step the other fills
// the cores (measured on 2 cores, standard mode, 0.5B F16 reference: 0.52 s
// per challenge, against 0.62 s with the threads split between them).
// (onCPU forces the CPU backend whatever Config.Backend says.)
func (r *runner) session(f *gguf.File, onCPU bool) (*engine.Session, error) {
	opt := engine.Options{Threads: r.cfg.Threads, Streaming: r.cfg.Streaming, Yield: r.cfg.Throttle, Meter: &r.meter}
	if r.cfg.Backend != nil && !onCPU {
		be, err := r.cfg.Backend()
		if err != nil {
			return nil, fmt.Errorf("job: engine backend: %w", err)
		}
		if c, ok := be.(io.Closer); ok {
			r.closers = append(r.closers, c) // closed after the session (closers run in reverse)
		}
		opt.Backend = be
	}
	s, err := engine.Load(f, opt)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, s)
	return s, nil
}

func (r *runner) behaviour() (*Result, error) {
	res, p := r.res, r.cfg.Preset
	seed, _ := hex.DecodeString(res.Seed)
	var src behaviour.Source
	var floorFn func() (score.Floor, error)
	if r.ref != nil {
		tok, err := tokenizer.FromGGUF(r.ref)
		if err != nil {
			return nil, err
		}
		refSess, err := r.session(r.ref, false)
		if err != nil {
			return nil, err
		}
		ms, err := behaviour.NewModelSource(seed, tok, refSess, p.K, p.TopK)
		if err != nil {
			return nil, err
		}
		src = ms
		floorFn = func() (score.Floor, error) { return r.calibrate(ms) }
	} else {
		// The fingerprint fixes what is scored per challenge.
		res.Params.K, res.Params.TopK = r.fp.K, r.fp.TopK
		ps, err := behaviour.NewPoolSource(seed, r.fp, p.Design.NMax)
		if err != nil {
			return nil, fmt.Errorf("fingerprint %s: %w", r.cfg.Fingerprint, err)
		}
		src = ps
		floorFn = func() (score.Floor, error) { return fingerprintFloor(r.fp, typeNames(r.cand)) }
	}
	d, err := json.Marshal(src.Derivation())
	if err != nil {
		return nil, err
	}
	res.Derivation = d

	ck := r.ck
	if ck.Floor == nil {
		f, err := floorFn()
		if errors.Is(err, errNoFloor) {
			res.Checks = append(res.Checks, cert.Check{Name: "noise-floor", Result: cert.Skip, Detail: err.Error()})
			return r.finish(cert.Undecided, "no behavioural test was possible: "+err.Error())
		}
		if err != nil {
			return nil, err
		}
		ck.Floor = &f
		rule, err := p.Rule(len(f.Samples))
		if err != nil {
			return nil, err
		}
		if ck.test, err = stats.NewTest(rule); err != nil {
			return nil, err
		}
		if err := ck.save(); err != nil {
			return nil, err
		}
	}
	res.Floor = *ck.Floor
	res.Params.Rule = ck.test.Rule()
	res.Checks = append(res.Checks, cert.Check{Name: "noise-floor", Result: cert.Pass, Detail: floorDetail(*ck.Floor, res.Params.Rule)})
	// A fingerprint's log-probs and floors were made on its creator's
	// backend: exact only there, so the candidate is scored there too.
	onCPU := r.fp != nil && r.fp.Backend == "cpu"
	candSess, err := r.session(r.cand, onCPU)
	if err != nil {
		return nil, err
	}
	res.Backend = candSess.Backend()
	if r.fp != nil && r.fp.Backend != res.Backend {
		return nil, fmt.Errorf("job: fingerprint %s was made on the %s backend, which this machine cannot run", r.cfg.Fingerprint, r.fp.Backend)
	}
	if r.cfg.Backend != nil {
		detail := "scored on " + res.Backend
		if onCPU {
			detail += ", the backend the fingerprint's log-probs and noise floors were made on (they hold exactly only there)"
		} else if r.ref != nil {
			detail += ", with the reference and the noise floor's faithful copy on the same backend"
		}
		res.Checks = append(res.Checks, cert.Check{Name: "backend", Result: cert.Pass, Detail: detail})
	}
	defer since(&r.res.Timing.Challenges, time.Now())
	return r.loop(src, candSess, ck)
}

// loop runs challenges until the rank test decides.
func (r *runner) loop(src behaviour.Source, candSess *engine.Session, ck *checkpoint) (*Result, error) {
	res, p := r.res, r.cfg.Preset
	test, floor := ck.test, *ck.Floor
	nMax := test.Rule().NMax
	verdict, reason := test.Decide()
	// The reference (or the pool) prepares the next batch while the
	// candidate runs this one; a batch fetched past the decision is dropped.
	var pf behaviour.Prefetch
	defer pf.Stop()
	fetch := func(from int) {
		if verdict == stats.Continue && from < nMax {
			pf.Start(func() ([]behaviour.Probe, error) { return src.Probes(uint64(from), min(max(p.Batch, 1), nMax-from)) })
		}
	}
	fetch(len(ck.Records))
	for verdict == stats.Continue {
		ps, err := pf.Wait()
		if err != nil {
			return nil, err
		}
		fetch(len(ck.Records) + len(ps))
		ms, err := behaviour.Measure(candSess, ps)
		if err != nil {
			return nil, err
		}
		for j := range ms {
			rank := floor.Rank(ms[j].Distance)
			if err := test.Update(rank); err != nil {
				return nil, err
			}
			rec := cert.Record{I: len(ck.Records), Digest: hex.EncodeToString(ps[j].Digest[:]), Distance: ms[j].Distance,
				Rank: rank, Levels: levelStates(test)}
			for q := range ms[j].PerPos {
				rec.Positions = append(rec.Positions, cert.Position{Pos: ps[j].Pos[q], Ref: int(ps[j].IDs[q][0]),
					Cand: int(ms[j].CandTop[q]), Distance: ms[j].PerPos[q]})
			}
			ck.Records = append(ck.Records, rec)
			if err := ck.save(); err != nil {
				return nil, err
			}
			r.progress(Event{Stage: "challenge", Done: int64(len(ck.Records)), Total: int64(nMax), Levels: rec.Levels})
			if verdict, reason = test.Decide(); verdict != stats.Continue {
				break
			}
			if r.cfg.Pause != nil && r.cfg.Pause() {
				return nil, ErrPaused
			}
		}
	}
	res.Records = ck.Records
	res.N = test.N()
	res.Levels = levelStates(test)
	res.Checks = append(res.Checks, cert.Check{Name: "behaviour", Result: behaviourResult(verdict), Detail: reason})
	v := map[stats.Verdict]cert.Verdict{stats.Same: cert.Same, stats.Different: cert.Different, stats.Undecided: cert.Undecided}[verdict]
	return r.finish(v, reason)
}

// levelStates is the test's current state per level, as recorded.
func levelStates(t *stats.Test) []cert.LevelState {
	out := make([]cert.LevelState, len(t.Rule().Levels))
	for i := range out {
		s := t.Level(i)
		xs := s.Scores()
		out[i] = cert.LevelState{Score: xs[len(xs)-1], Mean: s.Mean(), Lower: s.Lower(), Upper: s.Upper()}
	}
	return out
}

func floorDetail(f score.Floor, rule stats.Rule) string {
	if f.Zero() {
		return f.Source
	}
	lv := rule.Levels
	return fmt.Sprintf("%s: %d calibration distances; thresholds %.3g (%s largest: a faithful copy exceeds it on at most %s of inputs) "+
		"and %.3g (%s largest: at most %s)", f.Source, len(f.Samples), f.Threshold(lv[0].Rank), stats.Ordinal(lv[0].Rank), stats.Percent(lv[0].Faithful),
		f.Threshold(lv[1].Rank), stats.Ordinal(lv[1].Rank), stats.Percent(lv[1].Faithful))
}

// behaviourResult is the behavioural check's result: pass for SAME,
// differs otherwise. A statistical DIFFERENT is not a failed check, which
// in a certificate means a structural or weight difference; its verdict
// is replayed from the transcript instead.
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

// hasQuantized reports whether f has a tensor of a quantized type.
func hasQuantized(f *gguf.File) bool {
	for _, t := range f.Tensors {
		if !isFloat(t.Type.String()) {
			return true
		}
	}
	return false
}

// calibrate measures the noise floor of the candidate's types (resuming
// from the checkpoint's partial calibration):
//
//   - zero when the candidate has the reference's own types and the weights
//     layer did not call it another quantization: a faithful copy is then
//     the reference itself;
//   - against a quantized reference, the reference dithered by its own
//     rounding step and requantized to the candidate's types: the candidate
//     and the reference are two quantizations of unknown weights;
//   - else the reference requantized to the candidate's types.
func (r *runner) calibrate(ms *behaviour.ModelSource) (score.Floor, error) {
	if maps.Equal(typeNames(r.cand), typeNames(r.ref)) && !r.otherQuant {
		return score.ZeroFloor(), nil
	}
	key := floorKey{Format: floorCacheFormat, Verifier: VerifierVersion(), Reference: r.refID.FileSHA256,
		Types: typeNames(r.cand), Dither: hasQuantized(r.ref), Preset: r.cfg.Preset.Name, M: r.cfg.Preset.Calibration,
		K: r.cfg.Preset.K, TopK: r.cfg.Preset.TopK, Derivation: r.res.Derivation, Backend: ms.Backend()}
	// A run with a chosen seed (reproducing one) measures its own floor.
	if r.cfg.FloorCache != "" && r.cfg.Seed == nil && len(r.ck.Calibration) == 0 {
		// A damaged entry is measured again and overwritten: the cache
		// only saves time, and no verdict depends on it being there.
		if e, err := loadFloor(r.cfg.FloorCache, key); err == nil && e != nil && e.Seed != r.res.Seed {
			f := e.Floor
			f.Source, f.Seed = reusedSource(e), e.Seed
			return f, nil
		}
	}
	f, err := r.measureFloor(ms)
	if err == nil && r.cfg.FloorCache != "" && calibrationSeedOK(r.res.SeedChosenBy) {
		// Best effort, as above: a full disk costs the next run time, not
		// this run its verdict.
		storeFloor(r.cfg.FloorCache, &floorEntry{Key: key, Seed: r.res.Seed, Measured: r.cfg.Clock().UTC(), Floor: f})
	}
	return f, err
}

// measureFloor measures the floor calibrate describes.
func (r *runner) measureFloor(ms *behaviour.ModelSource) (score.Floor, error) {
	defer since(&r.res.Timing.Calibrate, time.Now())
	c := behaviour.Calibration{Reference: r.cfg.Reference, Types: behaviour.TypeMap(r.cand), M: r.cfg.Preset.Calibration,
		Probes: func(from uint64, n int) ([]behaviour.Probe, error) {
			return ms.Probes(behaviour.CalibrationBase+from, n)
		},
		Have: r.ck.Calibration,
		Commit: func(ds []float64) error {
			r.ck.Calibration = ds
			return r.ck.save()
		},
		Pause:   r.cfg.Pause,
		Engine:  engine.Options{Threads: r.cfg.Threads, Streaming: r.cfg.Streaming, Yield: r.cfg.Throttle, Meter: &r.meter},
		Backend: r.cfg.Backend,
		TempDir: r.cfg.TempDir, Batch: r.cfg.Preset.Batch,
		Progress: func(done, total int) {
			r.progress(Event{Stage: "calibrate", Done: int64(done), Total: int64(total)})
		},
		Written: func(d time.Duration) { r.res.Timing.Requantize += d },
	}
	source := "the reference requantized to the candidate's exact tensor types by the verifier"
	if hasQuantized(r.ref) {
		seed, _ := hex.DecodeString(r.res.Seed)
		c.Dither = ditherSeed(seed)
		source = "the quantized reference, dithered by its own rounding step and requantized to the candidate's exact tensor types " +
			"(two quantizations of the same weights)"
	}
	ds, err := behaviour.Calibrate(c)
	if errors.Is(err, behaviour.ErrPaused) {
		return score.Floor{}, ErrPaused
	}
	if err != nil {
		return score.Floor{}, fmt.Errorf("calibration: %w", err)
	}
	return score.NewFloor(ds, source)
}

// ditherSeed derives the dither's generator seed from the run's seed, so a
// resumed run dithers identically.
func ditherSeed(seed []byte) uint64 {
	return binary.BigEndian.Uint64(seed) | 1 // never 0, which means no dither
}

// errNoFloor says no noise floor fits the candidate's types.
var errNoFloor = errors.New("no noise floor fits the candidate")

// fingerprintFloor picks the fingerprint's floor for the candidate's types:
// zero for the reference's own types, the profile with exactly the
// candidate's types if there is one, else errNoFloor: scoring against a
// profile of other types would judge the candidate by another's noise.
func fingerprintFloor(fp *fingerprint.Fingerprint, candTypes map[string]string) (score.Floor, error) {
	refTypes := map[string]string{}
	for _, t := range fp.Reference.Tensors {
		refTypes[t.Name] = t.Type
	}
	if maps.Equal(candTypes, refTypes) {
		return score.ZeroFloor(), nil
	}
	var names []string
	for i := range fp.Floors {
		pr := &fp.Floors[i]
		if maps.Equal(candTypes, pr.TensorTypes) {
			return score.NewFloor(pr.Samples, "fingerprint profile "+pr.Name+" (the reference requantized to exactly the candidate's tensor types by the fingerprint's creator)")
		}
		names = append(names, pr.Name)
	}
	return score.Floor{}, fmt.Errorf("%w: its tensor types match none of the fingerprint's profiles (%s); "+
		"verify it against the reference model (--ref) instead", errNoFloor, list(names))
}
