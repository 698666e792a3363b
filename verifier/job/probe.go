package job

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// probe is one challenge ready to score: its tokens, the scored positions
// and the reference's distribution at each, on the reference's top-k ids.
type probe struct {
	digest [32]byte
	tokens []int32
	pos    []int
	ids    [][]int32 // the reference's top-k ids at each position
	ref    []score.Buckets
}

// reference produces probes: challenge i of a run is probes(i, 1)[0],
// whatever the batching.
type reference interface {
	probes(from uint64, n int) ([]probe, error)
	// derivation is what, besides the seed, re-derives challenge digests
	// (recorded in the certificate).
	derivation() json.RawMessage
}

// challengeConfig shapes the text challenges: a templated prompt and
// eight extra sampled words, about 36 tokens with a Llama-3 vocabulary
// (87 with stories260K's 512-token one). That leaves room for K = 16
// scored positions while keeping each forward pass short; the default 24
// extra words double the tokens (and quadruple the attention) for no gain
// in what is scored.
var challengeConfig = challenge.Config{ExtraWords: 8}

// calibrationBase offsets the indices of calibration challenges from test
// challenges: both come from the same keyed source, so they are i.i.d.,
// and disjoint.
const calibrationBase = 1 << 40

// modelReference makes probes from keyed text challenges run through a
// reference model.
type modelReference struct {
	src     *challenge.Source
	tok     *tokenizer.Tokenizer
	sess    *engine.Session
	k, topK int
	maxLen  int
}

// Derivation records how challenge digests are re-derived.
type Derivation struct {
	Kind string `json:"kind"` // "text" or "pool"
	// Text challenges: the source configuration.
	Config *challenge.Config `json:"config,omitempty"`
	// Pool challenges: the fingerprint's digest and pool size.
	Fingerprint string `json:"fingerprint,omitempty"`
	PoolSize    int    `json:"poolSize,omitempty"`
}

func (r *modelReference) derivation() json.RawMessage {
	cfg := r.src.Config()
	b, _ := json.Marshal(Derivation{Kind: "text", Config: &cfg})
	return b
}

// Rederive returns the digest of challenge i of a run with the given seed
// and derivation; certificate verification calls it.
func Rederive(d Derivation, seed []byte, i uint64) ([32]byte, error) {
	switch d.Kind {
	case "text":
		if d.Config == nil {
			return [32]byte{}, fmt.Errorf("job: text derivation without a config")
		}
		src, err := challenge.NewSource(seed, *d.Config)
		if err != nil {
			return [32]byte{}, err
		}
		return challenge.Digest(src.Challenge(i)), nil
	case "pool":
		if d.PoolSize <= 0 {
			return [32]byte{}, fmt.Errorf("job: pool derivation with pool size %d", d.PoolSize)
		}
		src, err := challenge.NewSource(seed, challenge.Config{})
		if err != nil {
			return [32]byte{}, err
		}
		return poolDigest(d.Fingerprint, src.Index(i, d.PoolSize)), nil
	}
	return [32]byte{}, fmt.Errorf("job: unknown derivation kind %q", d.Kind)
}

func (r *modelReference) probes(from uint64, n int) ([]probe, error) {
	ps := make([]probe, n)
	reqs := make([]engine.Request, n)
	for j := range ps {
		i := from + uint64(j)
		c := r.src.Challenge(i)
		toks := r.tok.Encode(c.Text, true, false)
		if len(toks) > r.maxLen {
			toks = toks[:r.maxLen]
		}
		if len(toks) < 2 {
			return nil, fmt.Errorf("job: challenge %d tokenizes to %d tokens", i, len(toks))
		}
		ps[j] = probe{digest: challenge.Digest(c), tokens: toks, pos: r.src.Positions(i, len(toks), r.k)}
		reqs[j] = engine.Request{Tokens: toks, Positions: ps[j].pos}
	}
	dists, err := r.sess.Score(reqs, r.topK)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	for j := range ps {
		for _, d := range dists[j] {
			ps[j].ids = append(ps[j].ids, d.TopIDs)
			ps[j].ref = append(ps[j].ref, score.Buckets{LogProbs: d.TopLogProbs, TailLogProb: d.TailLogProb})
		}
	}
	return ps, nil
}

// poolReference makes probes from a fingerprint's pool: challenge i is the
// pool entry src.Index(i, len(pool)), an i.i.d. draw keyed by the seed.
type poolReference struct {
	src *challenge.Source
	fp  *fingerprint.Fingerprint
}

func poolDigest(fpDigest string, idx int) [32]byte {
	h := sha256.New()
	h.Write([]byte("pot/challenge/pool/v1\x00"))
	h.Write([]byte(fpDigest))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(idx))
	h.Write(b[:])
	var d [32]byte
	h.Sum(d[:0])
	return d
}

func (r *poolReference) derivation() json.RawMessage {
	b, _ := json.Marshal(Derivation{Kind: "pool", Fingerprint: r.fp.SHA256, PoolSize: len(r.fp.Pool)})
	return b
}

func (r *poolReference) probes(from uint64, n int) ([]probe, error) {
	ps := make([]probe, n)
	for j := range ps {
		idx := r.src.Index(from+uint64(j), len(r.fp.Pool))
		c := &r.fp.Pool[idx]
		p := probe{digest: poolDigest(r.fp.SHA256, idx), tokens: c.Tokens}
		for _, q := range c.Positions {
			p.pos = append(p.pos, int(q.Pos))
			p.ids = append(p.ids, q.IDs)
			p.ref = append(p.ref, score.Buckets{LogProbs: q.LogProbs, TailLogProb: q.Tail})
		}
		ps[j] = p
	}
	return ps, nil
}

// measured is a candidate's result on one probe.
type measured struct {
	distance float64   // the challenge's distance (max over positions)
	perPos   []float64 // distance at each position
	candTop  []int32   // the candidate's most likely id at each position
}

// measure runs the candidate on the probes, on the reference's ids.
func measure(sess *engine.Session, ps []probe) ([]measured, error) {
	reqs := make([]engine.Request, len(ps))
	for j, p := range ps {
		reqs[j] = engine.Request{Tokens: p.tokens, Positions: p.pos, IDs: p.ids}
	}
	dists, err := sess.Score(reqs, 1)
	if err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	out := make([]measured, len(ps))
	for j, p := range ps {
		m := &out[j]
		for q, d := range dists[j] {
			tv, err := score.TV(p.ref[q], score.Buckets{LogProbs: d.IDLogProbs, TailLogProb: d.IDTailLogProb})
			if err != nil {
				return nil, fmt.Errorf("challenge position %d: %w", p.pos[q], err)
			}
			m.perPos = append(m.perPos, tv)
			m.candTop = append(m.candTop, d.TopIDs[0])
		}
		m.distance = score.Challenge(m.perPos)
	}
	return out, nil
}

func hexDigest(d [32]byte) string { return hex.EncodeToString(d[:]) }
