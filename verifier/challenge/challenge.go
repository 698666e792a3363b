package challenge

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SeedSize is the length of a challenge seed in bytes.
const SeedSize = 32

// commitTag is the domain-separation tag of Commit.
const commitTag = domain + "commit\x00"

// Commit returns the commitment to seed: SHA-256("pot/challenge/v1/commit" ‖
// 0x00 ‖ seed). The tag keeps the commitment from equalling any other hash of
// the seed that the protocol might publish. Publishing it before the test and
// the seed after lets anyone check the challenges were fixed in advance.
func Commit(seed []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(commitTag))
	h.Write(seed)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DefaultExtraWords is the number of extra words used when Config.ExtraWords
// is 0. Templates give 10–25 tokens; 24 more words make prompts of roughly
// 45–70 tokens, enough for the largest preset's 32 scored positions after
// MinPosition.
const DefaultExtraWords = 24

// maxExtraWords bounds Config.ExtraWords (prompt length stays reasonable).
const maxExtraWords = 1000

// Config tunes the challenges. The zero value is the default.
type Config struct {
	// ExtraWords is the number of random words appended to each prompt
	// ("Use these words: …"): 0 selects DefaultExtraWords, a negative value
	// none, at most 1000.
	ExtraWords int `json:"extraWords"`
}

// ErrSeed reports a seed of the wrong length.
var ErrSeed = errors.New("challenge: seed must be 32 bytes")

// Source derives challenges from one seed. It is immutable and safe for
// concurrent use.
type Source struct {
	seed  [SeedSize]byte
	extra int // resolved ExtraWords, ≥ 0
	cfg   Config
	c     *corpus
}

// NewSource returns the challenge source for a 32-byte seed. The seed is
// copied.
func NewSource(seed []byte, cfg Config) (*Source, error) {
	if len(seed) != SeedSize {
		return nil, fmt.Errorf("%w, got %d", ErrSeed, len(seed))
	}
	if cfg.ExtraWords > maxExtraWords {
		return nil, fmt.Errorf("challenge: ExtraWords %d above %d", cfg.ExtraWords, maxExtraWords)
	}
	s := &Source{cfg: cfg, c: mustCorpus()}
	copy(s.seed[:], seed)
	switch {
	case cfg.ExtraWords == 0:
		s.extra = DefaultExtraWords
		s.cfg.ExtraWords = DefaultExtraWords
	case cfg.ExtraWords > 0:
		s.extra = cfg.ExtraWords
	}
	return s, nil
}

// Config returns the configuration with defaults resolved (ExtraWords 0
// becomes DefaultExtraWords), ready to be recorded and passed to NewSource
// again.
func (s *Source) Config() Config { return s.cfg }

// Challenge is one derived prompt.
type Challenge struct {
	Index    uint64 `json:"index"`    // i, the challenge number
	Text     string `json:"text"`     // the prompt
	Template string `json:"template"` // id of the template it was made from, e.g. "t07"
}

// Challenge returns challenge i: template chosen uniformly, each slot filled
// uniformly and independently from its word list ({number}: 2…20), then
// ExtraWords words drawn uniformly from the nouns, verbs and adjectives.
// All draws come from the (seed, "text", i) stream.
func (s *Source) Challenge(i uint64) Challenge {
	st := newStream(s.seed[:], labelText, i)
	t := &s.c.templates[st.intn(len(s.c.templates))]
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.lit)
		switch p.slot {
		case slotNone:
		case slotNumber:
			b.WriteString(strconv.Itoa(numberMin + st.intn(numberMax-numberMin+1)))
		default:
			list := s.c.words[p.slot]
			b.WriteString(list[st.intn(len(list))])
		}
	}
	if s.extra > 0 {
		b.WriteString(" Use these words: ")
		for k := range s.extra {
			if k > 0 {
				b.WriteString(", ")
			}
			b.WriteString(s.c.extra[st.intn(len(s.c.extra))])
		}
		b.WriteByte('.')
	}
	return Challenge{Index: i, Text: b.String(), Template: t.id}
}

// MinPosition is the first token position that may be scored. Positions 0
// and 1 (BOS and the first word piece) are skipped: the next-token
// distribution there rests on almost no context, so it reflects the
// unconditional prior shared by related models more than the model itself.
const MinPosition = 2

// Positions returns k distinct token positions of challenge i, sorted, drawn
// uniformly from [MinPosition, nTokens−1] (Floyd's algorithm on the
// (seed, "positions", i) stream). If fewer than k positions exist it returns
// all of them; if none, or k ≤ 0, it returns nil.
func (s *Source) Positions(i uint64, nTokens, k int) []int {
	r := nTokens - MinPosition
	if r <= 0 || k <= 0 {
		return nil
	}
	if k >= r {
		out := make([]int, r)
		for j := range out {
			out[j] = MinPosition + j
		}
		return out
	}
	st := newStream(s.seed[:], labelPositions, i)
	chosen := make(map[int]bool, k)
	out := make([]int, 0, k)
	// Floyd: for j = r−k … r−1 pick t ∈ [0, j]; take j if t is taken. Every
	// k-subset is equally likely.
	for j := r - k; j < r; j++ {
		t := st.intn(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
		out = append(out, MinPosition+t)
	}
	slices.Sort(out)
	return out
}

// Index returns draw i of an i.i.d. uniform sequence of indices into a
// fingerprint's challenge pool of poolSize entries, from the
// (seed, "index", i) stream. It returns -1 if poolSize < 1 (callers validate
// the pool first).
func (s *Source) Index(i uint64, poolSize int) int {
	if poolSize < 1 {
		return -1
	}
	return newStream(s.seed[:], labelIndex, i).intn(poolSize)
}

// Digest returns the transcript digest of a challenge: SHA-256 over the tag
// "pot/challenge/v1/text" ‖ 0x00, u64be(Index), and the template id and the
// text, each preceded by its length as u64be.
func Digest(c Challenge) [32]byte {
	h := sha256.New()
	h.Write([]byte(domain + "text\x00"))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], c.Index)
	h.Write(n[:])
	for _, s := range []string{c.Template, c.Text} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DigestTokens returns the transcript digest of a tokenised challenge:
// SHA-256 over the tag "pot/challenge/v1/tokens" ‖ 0x00, u64be(count) and
// each id as u32be.
func DigestTokens(ids []int32) [32]byte {
	h := sha256.New()
	h.Write([]byte(domain + "tokens\x00"))
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 8+4*len(ids)), uint64(len(ids)))
	for _, id := range ids {
		b = binary.BigEndian.AppendUint32(b, uint32(id))
	}
	h.Write(b)
	var out [32]byte
	h.Sum(out[:0])
	return out
}
