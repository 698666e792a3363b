package job

import (
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"path/filepath"
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
	progress := func(e Event) {
		if cfg.Progress != nil {
			cfg.Progress(e)
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

	pool := make([]fingerprint.Challenge, 0, cfg.PoolSize)
	const batch = 8
	for len(pool) < cfg.PoolSize {
		ps, err := src.Probes(uint64(len(pool)), min(batch, cfg.PoolSize-len(pool)))
		if err != nil {
			return "", err
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

	// Noise floors: the reference against each requantization of itself,
	// on calibration challenges disjoint from the pool, the same for every
	// profile (run through the reference once).
	var cal []behaviour.Probe
	for len(cal) < cfg.Calibration {
		ps, err := src.Probes(behaviour.CalibrationBase+uint64(len(cal)), min(batch, cfg.Calibration-len(cal)))
		if err != nil {
			return "", err
		}
		cal = append(cal, ps...)
		progress(Event{Stage: "calibration-probes", Done: int64(len(cal)), Total: int64(cfg.Calibration)})
	}
	own := behaviour.TypeMap(ref)
	var floors []fingerprint.Profile
	for i, ft := range cfg.Profiles {
		types := synth.ProfileTypes(ref, ft)
		if maps.Equal(types, own) {
			continue // the reference's own types: the zero floor
		}
		samples, err := behaviour.Calibrate(behaviour.Calibration{Reference: cfg.Reference, Types: types, M: len(cal),
			Probes: func(from uint64, n int) ([]behaviour.Probe, error) { return cal[from : from+uint64(n)], nil },
			Engine: engine.Options{Threads: cfg.Threads}, TempDir: cfg.TempDir, Batch: batch,
			Progress: func(done, total int) {
				progress(Event{Stage: "calibrate", Done: int64(i*total + done), Total: int64(len(cfg.Profiles) * total)})
			}})
		if err != nil {
			return "", fmt.Errorf("profile %s: %w", ft, err)
		}
		names := map[string]string{}
		for n, t := range types {
			names[n] = t.String()
		}
		floors = append(floors, fingerprint.Profile{Name: string(ft), TensorTypes: names, Samples: samples})
	}

	h := &fingerprint.Header{Version: 1, Created: cfg.Clock().UTC(), Creator: string(cert.MarshalPublicKey(cfg.Key.Public())),
		Reference: *id, TopK: cfg.TopK, K: cfg.K, PoolSeed: hex.EncodeToString(seed),
		Engine: EngineVersion, Backend: sess.Backend(), Floors: floors}
	return fingerprint.Write(cfg.Out, h, pool, cfg.Key)
}

// EngineVersion names the scoring engine in fingerprints and certificates;
// it changes whenever log-probabilities could change.
const EngineVersion = "pot-engine/1"
