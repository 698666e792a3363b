package job

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/proof-of-training/pot/verifier/behaviour"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// FingerprintConfig describes a fingerprint to create.
type FingerprintConfig struct {
	Reference string
	Out       string
	Key       *cert.Key
	// PoolSize challenges (default 1024: the audit preset's 1000
	// challenges drawn without replacement), each with K scored positions
	// (default 16) keeping the reference's TopK ids (default 32).
	PoolSize, K, TopK int
	// Calibration challenges per noise-floor profile (default 512, what the
	// audit preset's rule needs; see Preset.Calibration).
	Calibration int
	// Profiles are the file types whose noise floors are measured
	// (default DefaultProfiles).
	Profiles []synth.FileType
	Rand     io.Reader
	Clock    func() time.Time
	Threads  int
	TempDir  string
	Progress func(Event)
}

// DefaultProfiles are the requantizations people commonly publish.
var DefaultProfiles = []synth.FileType{"F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_0", "Q4_K_M", "Q4_0"}

// CreateFingerprint runs the reference over a pool of keyed challenges from
// the mixed distribution (text and vocabulary-wide token challenges),
// measures the noise floor of each profile on calibration challenges
// disjoint from the pool, and writes the sealed fingerprint. It returns the
// fingerprint's digest.
func CreateFingerprint(cfg FingerprintConfig) (string, error) {
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = 1024
	}
	if cfg.K <= 0 {
		cfg.K = 16
	}
	if cfg.TopK <= 0 {
		cfg.TopK = 32
	}
	if cfg.Calibration <= 0 {
		cfg.Calibration = 512
	}
	if cfg.Profiles == nil {
		cfg.Profiles = DefaultProfiles
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = randReader()
	}
	var progressMu sync.Mutex // the lanes below report from two goroutines
	progress := func(e Event) {
		if cfg.Progress != nil {
			progressMu.Lock()
			cfg.Progress(e)
			progressMu.Unlock()
		}
	}
	ref, err := hfmodel.OpenModel(cfg.Reference)
	if err != nil {
		return "", err
	}
	defer ref.Close()
	id, err := identity.Compute(ref, identity.Options{PerTensor: true, Progress: func(d, t int64) {
		progress(Event{Stage: "hash", File: filepath.Base(cfg.Reference), Done: d, Total: t})
	}})
	if err != nil {
		return "", err
	}
	tok, err := tokenizer.FromGGUF(ref)
	if err != nil {
		return "", err
	}
	sess, err := engine.Load(ref, engine.Options{Threads: cfg.Threads})
	if err != nil {
		return "", err
	}
	defer sess.Close()
	seed := make([]byte, 32)
	if _, err := io.ReadFull(cfg.Rand, seed); err != nil {
		return "", err
	}
	src, err := behaviour.NewModelSource(seed, tok, sess, cfg.K, cfg.TopK)
	if err != nil {
		return "", err
	}

	// Two lanes share the cores. Lane 0 runs the reference: first the
	// calibration challenges, which every profile needs, then the pool,
	// then it helps with the profiles. Lane 1 measures the profiles' floors
	// from the start, each batch as soon as the reference has scored it.
	// Every result goes to its own slot, so the output does not depend on
	// which lane did what.
	const batch = 8
	cal := newProbeFeed(cfg.Calibration)
	own := behaviour.TypeMap(ref)
	floors := make([]*fingerprint.Profile, len(cfg.Profiles))
	queue := make(chan int, len(cfg.Profiles))
	for i := range cfg.Profiles {
		queue <- i
	}
	close(queue)
	var calMu sync.Mutex
	calDone := 0 // calibration batches measured, over all profiles
	measure := func() error {
		for i := range queue {
			if cal.failed() {
				return nil // the failing lane reports
			}
			ft := cfg.Profiles[i]
			types := synth.ProfileTypes(ref, ft)
			if maps.Equal(types, own) {
				continue // the reference's own types: the zero floor
			}
			samples, err := behaviour.Calibrate(behaviour.Calibration{Reference: cfg.Reference, Types: types, M: cfg.Calibration,
				Probes: cal.get, Engine: engine.Options{Threads: cfg.Threads}, TempDir: cfg.TempDir, Batch: batch,
				Progress: func(done, total int) {
					calMu.Lock()
					calDone += batch
					d := calDone
					calMu.Unlock()
					progress(Event{Stage: "calibrate", Done: int64(min(d, len(cfg.Profiles)*total)), Total: int64(len(cfg.Profiles) * total)})
				}})
			if err != nil {
				return fmt.Errorf("profile %s: %w", ft, err)
			}
			names := map[string]string{}
			for n, t := range types {
				names[n] = t.String()
			}
			floors[i] = &fingerprint.Profile{Name: string(ft), TensorTypes: names, Samples: samples}
		}
		return nil
	}
	pool := make([]fingerprint.Challenge, 0, cfg.PoolSize)
	reference := func() error {
		for n := 0; n < cfg.Calibration; {
			ps, err := src.Probes(behaviour.CalibrationBase+uint64(n), min(batch, cfg.Calibration-n))
			if err != nil {
				return err
			}
			n += len(ps)
			cal.add(ps)
			progress(Event{Stage: "calibration-probes", Done: int64(n), Total: int64(cfg.Calibration)})
		}
		for len(pool) < cfg.PoolSize && !cal.failed() {
			ps, err := src.Probes(uint64(len(pool)), min(batch, cfg.PoolSize-len(pool)))
			if err != nil {
				return err
			}
			for _, p := range ps {
				c := fingerprint.Challenge{Tokens: p.Tokens}
				for q := range p.Pos {
					c.Positions = append(c.Positions, fingerprint.Position{Pos: int32(p.Pos[q]), IDs: p.IDs[q],
						LogProbs: p.Ref[q].LogProbs, Tail: p.Ref[q].TailLogProb})
				}
				pool = append(pool, c)
			}
			progress(Event{Stage: "pool", Done: int64(len(pool)), Total: int64(cfg.PoolSize)})
		}
		return measure()
	}
	// Both lanes use all threads (their serial steps and hand-offs
	// interleave); with one thread, one lane does everything.
	lanes := 2
	if cfg.Threads == 1 || (cfg.Threads <= 0 && runtime.NumCPU() == 1) {
		lanes = 1
	}
	errs := make([]error, lanes)
	var wg sync.WaitGroup
	for l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l == 0 {
				errs[l] = reference()
			} else {
				errs[l] = measure()
			}
			if errs[l] != nil {
				cal.fail(errs[l]) // wakes a lane waiting for calibration probes
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	var profiles []fingerprint.Profile
	for _, f := range floors {
		if f != nil {
			profiles = append(profiles, *f)
		}
	}

	h := &fingerprint.Header{Version: 1, Created: cfg.Clock().UTC(), Creator: string(cert.MarshalPublicKey(cfg.Key.Public())),
		Reference: *id, TopK: cfg.TopK, K: cfg.K, PoolSeed: hex.EncodeToString(seed),
		Engine: EngineVersion, Backend: sess.Backend(), Floors: profiles}
	return fingerprint.Write(cfg.Out, h, pool, cfg.Key)
}

// probeFeed hands the reference's calibration probes to the profiles'
// lanes as they are made: get blocks until the probes asked for exist, or
// the feed failed.
type probeFeed struct {
	mu   sync.Mutex
	cond *sync.Cond
	ps   []behaviour.Probe
	err  error
	want int
}

func newProbeFeed(n int) *probeFeed {
	f := &probeFeed{want: n, ps: make([]behaviour.Probe, 0, n)}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *probeFeed) add(ps []behaviour.Probe) {
	f.mu.Lock()
	f.ps = append(f.ps, ps...)
	f.mu.Unlock()
	f.cond.Broadcast()
}

func (f *probeFeed) fail(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
	f.cond.Broadcast()
}

func (f *probeFeed) failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err != nil
}

// get returns probes from…from+n−1 (behaviour.Calibration.Probes).
func (f *probeFeed) get(from uint64, n int) ([]behaviour.Probe, error) {
	end := int(from) + n
	if end > f.want {
		return nil, fmt.Errorf("calibration probes %d…%d past the %d made", from, end-1, f.want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.ps) < end && f.err == nil {
		f.cond.Wait()
	}
	if len(f.ps) < end {
		return nil, fmt.Errorf("calibration probes: %w", f.err)
	}
	return f.ps[from:end], nil
}

// EngineVersion names the scoring engine in fingerprints and certificates;
// it changes whenever log-probabilities could change. 2: F32 products
// (F32 weights and attention) fuse multiply and add (matmul's Numerics).
const EngineVersion = "pot-engine/2"
