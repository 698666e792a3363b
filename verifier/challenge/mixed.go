package challenge

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
)

// The challenge distribution D of a run with a reference model is a mixture:
// each challenge is, with probability ½ (a fair draw from its own (seed,
// "kind", i) stream), a text prompt (Challenge) or a vocabulary-wide token
// challenge (Tokens): BOS, then TokenLength ids drawn uniformly and
// independently from every id of the vocabulary except control tokens. So
// every embedding row other than a control token's appears in a token
// challenge with probability 1−(1−1/N)^TokenLength (N allowed ids): an edit
// where natural text never looks is still in sight, with a known
// probability per challenge.

// Stream labels of the mixture.
const (
	labelKind   = "kind"
	labelTokens = "tokens"
	labelPool   = "pool"
)

// DefaultTokenLength is the length of a token challenge after BOS: about
// what a text challenge tokenizes to, so the two kinds cost the same.
const DefaultTokenLength = 32

// maxTokenLength bounds Derivation.TokenLength.
const maxTokenLength = 4096

// Vocabulary is the set of ids token challenges draw from: 0…Size−1 except
// Excluded (the control tokens), with BOS (if ≥ 0) put first.
type Vocabulary struct {
	Size     int     `json:"size"`
	Excluded []int32 `json:"excluded"` // sorted, distinct, each in [0, Size)
	BOS      int32   `json:"bos"`      // −1 for none
}

// maxVocabulary bounds Vocabulary.Size (GGUF vocabularies are below 2^18).
const maxVocabulary = 1 << 22

// Validate checks v; a recorded vocabulary comes from a certificate.
func (v *Vocabulary) Validate() error {
	if v.Size < 1 || v.Size > maxVocabulary {
		return fmt.Errorf("challenge: vocabulary of %d ids", v.Size)
	}
	if len(v.Excluded) >= v.Size {
		return fmt.Errorf("challenge: vocabulary excludes all of its %d ids", v.Size)
	}
	for i, id := range v.Excluded {
		if id < 0 || int(id) >= v.Size || (i > 0 && id <= v.Excluded[i-1]) {
			return fmt.Errorf("challenge: excluded id %d out of order or range", id)
		}
	}
	if v.BOS < -1 || int(v.BOS) >= v.Size {
		return fmt.Errorf("challenge: BOS id %d", v.BOS)
	}
	return nil
}

// Allowed returns the number of ids token challenges draw from.
func (v *Vocabulary) Allowed() int { return v.Size - len(v.Excluded) }

// id maps j ∈ [0, Allowed()) to the j-th allowed id.
func (v *Vocabulary) id(j int) int32 {
	// The j-th id not excluded: skip every excluded id at or below it.
	id := int32(j)
	for _, e := range v.Excluded {
		if e > id {
			break
		}
		id++
	}
	return id
}

// IsTokens reports whether challenge i of the mixture is a token challenge.
func (s *Source) IsTokens(i uint64) bool {
	return newStream(s.seed[:], labelKind, i).intn(2) == 1
}

// Tokens returns token challenge i: BOS (if the vocabulary has one), then
// length ids drawn uniformly from the allowed ids on the (seed, "tokens", i)
// stream. v must be valid.
func (s *Source) Tokens(i uint64, v *Vocabulary, length int) []int32 {
	st := newStream(s.seed[:], labelTokens, i)
	out := make([]int32, 0, length+1)
	if v.BOS >= 0 {
		out = append(out, v.BOS)
	}
	n := v.Allowed()
	for range length {
		out = append(out, v.id(st.intn(n)))
	}
	return out
}

// PoolOrder returns the first n indices of a uniformly random permutation of
// a pool of size entries (Fisher–Yates on the (seed, "pool", 0) stream):
// challenge i of a fingerprint run is pool entry PoolOrder(…)[i], so no
// entry is drawn twice. It fails if n > size: a run must not need more
// challenges than the pool holds.
func (s *Source) PoolOrder(size, n int) ([]int, error) {
	if size < 1 || n < 0 || n > size {
		return nil, fmt.Errorf("challenge: %d draws without replacement from a pool of %d", n, size)
	}
	st := newStream(s.seed[:], labelPool, 0)
	// Partial Fisher–Yates over a sparse swap map: O(n) time and memory
	// whatever the pool size.
	swapped := make(map[int]int, n)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, n)
	for i := range n {
		j := i + st.intn(size-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	return out, nil
}

// Derivation kinds.
const (
	KindMixed = "mixed" // text and token challenges (a reference model)
	KindPool  = "pool"  // draws from a fingerprint's published pool
)

// Derivation records everything besides the seed that re-derives a run's
// challenge digests; certificates carry it.
type Derivation struct {
	Kind string `json:"kind"`
	// Mixed: the text configuration, the vocabulary and the token length.
	Text        *Config     `json:"text,omitempty"`
	Vocabulary  *Vocabulary `json:"vocabulary,omitempty"`
	TokenLength int         `json:"tokenLength,omitempty"`
	// Pool: the fingerprint's digest (hex) and its pool size.
	Fingerprint string `json:"fingerprint,omitempty"`
	PoolSize    int    `json:"poolSize,omitempty"`
}

// Describe says in words what distribution the challenges came from.
func (d *Derivation) Describe() string {
	switch d.Kind {
	case KindMixed:
		return fmt.Sprintf("half natural-language prompts from the built-in templates, half %d token ids drawn uniformly "+
			"from the %d non-control ids of the vocabulary", d.TokenLength, d.Vocabulary.Allowed())
	case KindPool:
		return fmt.Sprintf("draws without replacement from the %d published challenges of fingerprint %.16s…: "+
			"the verdict speaks for that pool, which anyone can read", d.PoolSize, d.Fingerprint)
	}
	return "unknown"
}

// Validate checks a recorded derivation.
func (d *Derivation) Validate() error {
	switch d.Kind {
	case KindMixed:
		if d.Text == nil || d.Vocabulary == nil {
			return errors.New("challenge: mixed derivation without text config or vocabulary")
		}
		if d.TokenLength < 1 || d.TokenLength > maxTokenLength {
			return fmt.Errorf("challenge: token length %d", d.TokenLength)
		}
		return d.Vocabulary.Validate()
	case KindPool:
		if d.PoolSize < 1 || d.PoolSize > 1<<24 {
			return fmt.Errorf("challenge: pool size %d", d.PoolSize)
		}
		if b, err := hex.DecodeString(d.Fingerprint); err != nil || len(b) != 32 {
			return fmt.Errorf("challenge: fingerprint digest %q", d.Fingerprint)
		}
		return nil
	}
	return fmt.Errorf("challenge: unknown derivation kind %q", d.Kind)
}

// Digests returns the digests of challenges 0…n−1 of a run with this
// derivation and seed: what the transcript must hold.
func (d *Derivation) Digests(seed []byte, n int) ([][32]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	cfg := Config{}
	if d.Text != nil {
		cfg = *d.Text
	}
	src, err := NewSource(seed, cfg)
	if err != nil {
		return nil, err
	}
	out := make([][32]byte, n)
	if d.Kind == KindPool {
		order, err := src.PoolOrder(d.PoolSize, n)
		if err != nil {
			return nil, err
		}
		for i, idx := range order {
			out[i] = PoolDigest(d.Fingerprint, idx)
		}
		return out, nil
	}
	for i := range out {
		if src.IsTokens(uint64(i)) {
			out[i] = DigestTokens(src.Tokens(uint64(i), d.Vocabulary, d.TokenLength))
		} else {
			out[i] = Digest(src.Challenge(uint64(i)))
		}
	}
	return out, nil
}

// PoolDigest is the transcript digest of entry idx of the pool of the
// fingerprint with the given hex digest.
func PoolDigest(fingerprint string, idx int) [32]byte {
	h := sha256.New()
	h.Write([]byte(domain + "pool\x00" + fingerprint + "\x00"))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(idx)))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// ExcludedIDs returns the ids below size for which control(id) holds, in
// increasing order, for Vocabulary.Excluded.
func ExcludedIDs(size int, control func(int32) bool) []int32 {
	var out []int32
	for id := range int32(size) {
		if control(id) {
			out = append(out, id)
		}
	}
	return out
}
