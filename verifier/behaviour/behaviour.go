// Package behaviour measures how a candidate model behaves against a
// reference on keyed challenges: the probes (a challenge's tokens, its
// scored positions and the reference's distribution at each), the
// candidate's distance from the reference on each probe, and the noise
// floor, the same distances for a faithful copy of the reference. Both
// verification (package job) and fingerprint creation use it, so the floor
// in a fingerprint and the floor a verifier measures are one computation.
//
// A probe comes from a Source: a reference model run on the mixed challenge
// distribution of package challenge (text prompts and vocabulary-wide token
// challenges), or a fingerprint's published pool drawn without
// replacement. The candidate is always scored on the reference's own token
// ids (package score), so a different tokenizer cannot hide anything.
package behaviour

import (
	"fmt"

	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// Probe is one challenge ready to score.
type Probe struct {
	Digest [32]byte
	Tokens []int32
	Pos    []int
	IDs    [][]int32       // the reference's top-k ids at each position
	Ref    []score.Buckets // the reference's distribution on them
}

// Source produces probes: challenge i of a run is Probes(i, 1)[0] whatever
// the batching.
type Source interface {
	Probes(from uint64, n int) ([]Probe, error)
	// Derivation is what, besides the seed, re-derives the challenge
	// digests (recorded in the certificate).
	Derivation() challenge.Derivation
}

// CalibrationBase offsets the indices of calibration challenges from test
// challenges: both come from the same keyed source, so they are i.i.d. and
// disjoint.
const CalibrationBase = 1 << 40

// MaxChallengeTokens caps a challenge's length; templates make far shorter
// ones, and the cap keeps a hostile word list from making huge batches.
const MaxChallengeTokens = 512

// textConfig shapes the text challenges: a templated prompt and eight extra
// sampled words, about 36 tokens with a Llama-3 vocabulary, which leaves
// room for K = 32 scored positions while keeping each forward pass short.
var textConfig = challenge.Config{ExtraWords: 8}

// ModelSource makes probes from the mixed challenge distribution run
// through a reference model.
type ModelSource struct {
	src    *challenge.Source
	tok    *tokenizer.Tokenizer
	sess   *engine.Session
	vocab  challenge.Vocabulary
	k      int
	topK   int
	maxLen int
}

// NewModelSource returns the source of a run with the given seed against
// the reference model loaded in sess, whose tokenizer is tok; k positions are
// scored per challenge, each on the reference's topK ids.
func NewModelSource(seed []byte, tok *tokenizer.Tokenizer, sess *engine.Session, k, topK int) (*ModelSource, error) {
	src, err := challenge.NewSource(seed, textConfig)
	if err != nil {
		return nil, err
	}
	n := min(tok.VocabSize(), sess.Config().Vocab)
	vocab := challenge.Vocabulary{Size: n, BOS: -1,
		Excluded: challenge.ExcludedIDs(n, tok.IsControl)}
	if tok.AddsBOS() {
		vocab.BOS = tok.BOS()
	}
	if err := vocab.Validate(); err != nil {
		return nil, fmt.Errorf("reference vocabulary: %w", err)
	}
	return &ModelSource{src: src, tok: tok, sess: sess, vocab: vocab, k: k, topK: topK,
		maxLen: min(sess.Config().ContextLength, MaxChallengeTokens)}, nil
}

// Derivation implements Source.
func (r *ModelSource) Derivation() challenge.Derivation {
	cfg := r.src.Config()
	v := r.vocab
	return challenge.Derivation{Kind: challenge.KindMixed, Text: &cfg, Vocabulary: &v,
		TokenLength: challenge.DefaultTokenLength}
}

// Backend names the engine backend the reference runs on.
func (r *ModelSource) Backend() string { return r.sess.Backend() }

// challenge returns the tokens and digest of challenge i.
func (r *ModelSource) challenge(i uint64) ([]int32, [32]byte, error) {
	if r.src.IsTokens(i) {
		toks := r.src.Tokens(i, &r.vocab, challenge.DefaultTokenLength)
		return toks[:min(len(toks), r.maxLen)], challenge.DigestTokens(toks), nil
	}
	c := r.src.Challenge(i)
	toks := r.tok.Encode(c.Text, true, false)
	if len(toks) > r.maxLen {
		toks = toks[:r.maxLen]
	}
	if len(toks) < 2 {
		return nil, [32]byte{}, fmt.Errorf("challenge %d tokenizes to %d tokens", i, len(toks))
	}
	return toks, challenge.Digest(c), nil
}

// Probes implements Source: the reference is run on challenges from…from+n−1.
func (r *ModelSource) Probes(from uint64, n int) ([]Probe, error) {
	ps := make([]Probe, n)
	reqs := make([]engine.Request, n)
	for j := range ps {
		i := from + uint64(j)
		toks, digest, err := r.challenge(i)
		if err != nil {
			return nil, err
		}
		ps[j] = Probe{Digest: digest, Tokens: toks, Pos: r.src.Positions(i, len(toks), r.k)}
		reqs[j] = engine.Request{Tokens: toks, Positions: ps[j].Pos}
	}
	dists, err := r.sess.Score(reqs, r.topK)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	for j := range ps {
		for _, d := range dists[j] {
			ps[j].IDs = append(ps[j].IDs, d.TopIDs)
			ps[j].Ref = append(ps[j].Ref, score.Buckets{LogProbs: d.TopLogProbs, TailLogProb: d.TailLogProb})
		}
	}
	return ps, nil
}

// PoolSource makes probes from a fingerprint's pool: challenge i is pool
// entry order[i], a draw without replacement keyed by the seed.
type PoolSource struct {
	order []int
	fp    *fingerprint.Fingerprint
}

// NewPoolSource returns the source of a run with the given seed that may
// take up to nMax challenges from fp's pool. A pool smaller than nMax is
// refused: the run would have to repeat challenges, whose answers a
// candidate tuned to the public pool could have learnt.
func NewPoolSource(seed []byte, fp *fingerprint.Fingerprint, nMax int) (*PoolSource, error) {
	if len(fp.Pool) < nMax {
		return nil, fmt.Errorf("the fingerprint's pool has %d challenges, fewer than the %d this mode may need: "+
			"make a larger one (pot fingerprint --pool %d) or choose a lighter mode", len(fp.Pool), nMax, nMax)
	}
	src, err := challenge.NewSource(seed, challenge.Config{})
	if err != nil {
		return nil, err
	}
	order, err := src.PoolOrder(len(fp.Pool), nMax)
	if err != nil {
		return nil, err
	}
	return &PoolSource{order: order, fp: fp}, nil
}

// Derivation implements Source.
func (r *PoolSource) Derivation() challenge.Derivation {
	return challenge.Derivation{Kind: challenge.KindPool, Fingerprint: r.fp.SHA256, PoolSize: len(r.fp.Pool)}
}

// Probes implements Source.
func (r *PoolSource) Probes(from uint64, n int) ([]Probe, error) {
	if from+uint64(n) > uint64(len(r.order)) {
		return nil, fmt.Errorf("challenges %d…%d past the %d drawn from the pool", from, from+uint64(n)-1, len(r.order))
	}
	ps := make([]Probe, n)
	for j := range ps {
		idx := r.order[from+uint64(j)]
		c := &r.fp.Pool[idx]
		p := Probe{Digest: challenge.PoolDigest(r.fp.SHA256, idx), Tokens: c.Tokens}
		for _, q := range c.Positions {
			p.Pos = append(p.Pos, int(q.Pos))
			p.IDs = append(p.IDs, q.IDs)
			p.Ref = append(p.Ref, score.Buckets{LogProbs: q.LogProbs, TailLogProb: q.Tail})
		}
		ps[j] = p
	}
	return ps, nil
}

// Measured is a candidate's result on one probe.
type Measured struct {
	Distance float64   // the challenge's distance (score.Challenge of PerPos)
	PerPos   []float64 // distance at each position
	CandTop  []int32   // the candidate's most likely id at each position
}

// Measure runs the candidate loaded in sess on the probes, on the
// reference's ids.
func Measure(sess *engine.Session, ps []Probe) ([]Measured, error) {
	reqs := make([]engine.Request, len(ps))
	for j, p := range ps {
		reqs[j] = engine.Request{Tokens: p.Tokens, Positions: p.Pos, IDs: p.IDs}
	}
	dists, err := sess.Score(reqs, 1)
	if err != nil {
		return nil, fmt.Errorf("candidate: %w", err)
	}
	out := make([]Measured, len(ps))
	for j, p := range ps {
		m := &out[j]
		for q, d := range dists[j] {
			tv, err := score.TV(p.Ref[q], score.Buckets{LogProbs: d.IDLogProbs, TailLogProb: d.IDTailLogProb})
			if err != nil {
				return nil, fmt.Errorf("challenge position %d: %w", p.Pos[q], err)
			}
			m.PerPos = append(m.PerPos, tv)
			m.CandTop = append(m.CandTop, d.TopIDs[0])
		}
		m.Distance = score.Challenge(m.PerPos)
	}
	return out, nil
}
