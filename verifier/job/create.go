package job

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// FingerprintConfig describes a fingerprint to create.
type FingerprintConfig struct {
	Reference string
	Out       string
	Key       *cert.Key
	// PoolSize challenges (default 512), each with K scored positions
	// (default 16) keeping the reference's TopK ids (default 32).
	PoolSize, K, TopK int
	// Calibration challenges per noise-floor profile (default 256). The
	// threshold is the largest of them, so a faithful candidate exceeds it
	// with probability p ~ Beta(1, m): with m = 256, P(p > 0.05) ≈ 2e-6,
	// far below every preset's γ.
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

// CreateFingerprint runs the reference over a pool of keyed challenges,
// measures the noise floor of each profile, and writes the sealed
// fingerprint. It returns the fingerprint's digest.
func CreateFingerprint(cfg FingerprintConfig) (string, error) {
	if cfg.PoolSize <= 0 {
		cfg.PoolSize = 512
	}
	if cfg.K <= 0 {
		cfg.K = 16
	}
	if cfg.TopK <= 0 {
		cfg.TopK = 32
	}
	if cfg.Calibration <= 0 {
		cfg.Calibration = 256
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
		progress(Event{Stage: "hash", Done: d, Total: t})
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
	src, err := challenge.NewSource(seed, challengeConfig)
	if err != nil {
		return "", err
	}
	mr := &modelReference{src: src, tok: tok, sess: sess, k: cfg.K, topK: cfg.TopK,
		maxLen: min(sess.Config().ContextLength, maxChallengeTokens)}

	pool := make([]fingerprint.Challenge, 0, cfg.PoolSize)
	const batch = 8
	for len(pool) < cfg.PoolSize {
		ps, err := mr.probes(uint64(len(pool)), min(batch, cfg.PoolSize-len(pool)))
		if err != nil {
			return "", err
		}
		for _, p := range ps {
			c := fingerprint.Challenge{Tokens: p.tokens}
			for q := range p.pos {
				c.Positions = append(c.Positions, fingerprint.Position{Pos: int32(p.pos[q]), IDs: p.ids[q],
					LogProbs: p.ref[q].LogProbs, Tail: p.ref[q].TailLogProb})
			}
			pool = append(pool, c)
		}
		progress(Event{Stage: "pool", Done: int64(len(pool)), Total: int64(cfg.PoolSize)})
	}

	// Noise floors: the reference against each requantization of itself,
	// on calibration challenges disjoint from the pool.
	var cal []probe
	for len(cal) < cfg.Calibration {
		ps, err := mr.probes(calibrationBase+uint64(len(cal)), min(batch, cfg.Calibration-len(cal)))
		if err != nil {
			return "", err
		}
		cal = append(cal, ps...)
	}
	own := typeMap(ref)
	var floors []fingerprint.Profile
	for _, ft := range cfg.Profiles {
		types := synth.ProfileTypes(ref, ft)
		if equalTypes(types, own) {
			continue // the reference's own types: the zero floor
		}
		samples, err := profileFloor(cfg.Reference, types, cal, cfg.Threads, cfg.TempDir)
		if err != nil {
			return "", fmt.Errorf("profile %s: %w", ft, err)
		}
		names := map[string]string{}
		for n, t := range types {
			names[n] = t.String()
		}
		floors = append(floors, fingerprint.Profile{Name: string(ft), TensorTypes: names, Samples: samples})
		progress(Event{Stage: "calibrate", Done: int64(len(floors)), Total: int64(len(cfg.Profiles))})
	}

	h := &fingerprint.Header{Version: 1, Created: cfg.Clock().UTC(), Creator: string(cert.MarshalPublicKey(cfg.Key.Public())),
		Reference: *id, TopK: cfg.TopK, K: cfg.K, PoolSeed: hex.EncodeToString(seed),
		Engine: EngineVersion, Backend: sess.Backend(), Floors: floors}
	return fingerprint.Write(cfg.Out, h, pool, cfg.Key)
}

// EngineVersion names the scoring engine in fingerprints and certificates;
// it changes whenever log-probabilities could change.
const EngineVersion = "pot-engine/1"

func equalTypes(a, b map[string]quant.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// profileFloor requantizes ref to types and returns the calibration
// distances against the reference's probes.
func profileFloor(refPath string, types map[string]quant.Type, cal []probe, threads int, dir string) ([]float64, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "pot-profile-*.gguf")
	if err != nil {
		return nil, err
	}
	path := tmp.Name()
	tmp.Close()
	defer os.Remove(path)
	if err := requantize(refPath, types, path); err != nil {
		return nil, err
	}
	f, err := gguf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sess, err := engine.Load(f, engine.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var ds []float64
	const batch = 8
	for i := 0; i < len(cal); i += batch {
		ms, err := measure(sess, cal[i:min(i+batch, len(cal))])
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			ds = append(ds, m.distance)
		}
	}
	return ds, nil
}
