// Package fingerprint reads and writes reference fingerprints: what a
// verifier needs to test a candidate model against a trusted reference
// without having the reference's weights.
//
// A fingerprint holds the reference's identity (file and tensor digests,
// tokenizer and chat-template digests, per-tensor types), a pool of
// challenges as token ids with, at each scored position, the reference's
// top-k log-probabilities stored as exact float32 (so a candidate with the
// reference's very weights reproduces them bit for bit: the zero floor stays
// zero), and noise floors measured by the creator for common
// requantizations of the reference. A verifier draws its own random subset
// of the pool.
//
// File layout (all integers little-endian):
//
//	magic    "POTFP\x00v1"                 8 bytes
//	header   u32 length, JSON (Header)
//	pool     u32 count, then per challenge:
//	           u32 nTokens, i32 × nTokens
//	           u32 nPositions, then per position:
//	             u32 position, i32 × TopK ids, f32 × TopK log-probs, f32 tail
//	sig      u32 length, DSSE envelope (payload type PayloadType) whose
//	         payload is the JSON Seal: the SHA-256 of every byte before sig
//
// The reader is strict: every count is checked against the bytes left and
// against limits before anything is allocated, the digest is verified
// before any content is returned, and trailing bytes are an error. A
// fingerprint whose seal does not verify under its creator key is rejected,
// and so is an intact one whose creator key the caller does not trust,
// unless the caller allows untrusted fingerprints (Trust): anyone can seal
// a fingerprint that claims any model's identity, so only the creator's
// key gives its contents meaning.
package fingerprint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/identity"
)

// Magic opens every fingerprint file; its last two bytes are the format
// version.
const Magic = "POTFP\x00v1"

// PayloadType is the DSSE payload type of a fingerprint's seal.
const PayloadType = "application/vnd.pot.fingerprint-seal+json"

// Limits that no honest fingerprint approaches; they bound what a hostile
// file can make the reader allocate.
const (
	maxHeader    = 16 << 20
	maxPool      = 1 << 20
	maxTokens    = 1 << 16
	maxPositions = 1 << 12
	maxTopK      = 1 << 12
	maxSeal      = cert.MaxEnvelopeSize
)

// ErrFormat marks a malformed fingerprint file; ErrSeal one whose seal is
// missing, does not verify, or does not match its content.
var (
	ErrFormat = errors.New("fingerprint: malformed")
	ErrSeal   = errors.New("fingerprint: seal does not verify")
)

// Header is the fingerprint's JSON header.
type Header struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	// Creator is the PEM public key that seals the file. A valid seal
	// proves the file is intact and who sealed it; whether the creator is
	// trusted is the reader's Trust.
	Creator   string            `json:"creator"`
	Reference identity.Identity `json:"reference"`
	// TopK ids are stored per scored position; K positions per challenge.
	TopK int `json:"topK"`
	K    int `json:"k"`
	// PoolSeed derived the pool's challenges (public: the pool is).
	PoolSeed string `json:"poolSeed"`
	// Engine and Backend made the log-probs.
	Engine  string `json:"engine"`
	Backend string `json:"backend"`
	// Floors are the creator's noise floors per requantization profile.
	Floors []Profile `json:"floors"`
}

// Profile is the noise floor of one requantization of the reference: the
// per-challenge distances between the reference and the reference
// requantized to TensorTypes, on calibration challenges disjoint from the
// pool.
type Profile struct {
	Name        string            `json:"name"` // e.g. "Q4_K_M"
	TensorTypes map[string]string `json:"tensorTypes"`
	Samples     []float64         `json:"samples"`
}

// Position is the reference's distribution at one scored position.
type Position struct {
	Pos      int32
	IDs      []int32
	LogProbs []float32
	Tail     float32
}

// Challenge is one challenge of the pool.
type Challenge struct {
	Tokens    []int32
	Positions []Position
}

// Fingerprint is a parsed, verified fingerprint.
type Fingerprint struct {
	Header
	Pool []Challenge
	// SHA256 is the digest the seal signs (hex), and KeyID the key that
	// signed it (the creator's).
	SHA256 string
	KeyID  string
	// Trusted is whether the reader trusted KeyID (see Trust).
	Trusted bool
}

// Seal is the signed payload: the digest of the fingerprint's content.
type Seal struct {
	SHA256 string `json:"sha256"`
}

// Write writes fp atomically to path, sealed with key.
func Write(path string, h *Header, pool []Challenge, key *cert.Key) (digest string, err error) {
	err = atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		digest, err = encode(w, h, pool, key)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return digest, nil
}

func encode(w io.Writer, h *Header, pool []Challenge, key *cert.Key) (string, error) {
	if err := validate(h, pool); err != nil {
		return "", err
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	sum := sha256.New()
	e := &encoder{w: io.MultiWriter(w, sum)}
	e.bytes([]byte(Magic))
	e.u32(uint32(len(hj)))
	e.bytes(hj)
	e.u32(uint32(len(pool)))
	for _, c := range pool {
		e.u32(uint32(len(c.Tokens)))
		for _, t := range c.Tokens {
			e.u32(uint32(t))
		}
		e.u32(uint32(len(c.Positions)))
		for _, p := range c.Positions {
			e.u32(uint32(p.Pos))
			for _, id := range p.IDs {
				e.u32(uint32(id))
			}
			for _, v := range p.LogProbs {
				e.u32(math.Float32bits(v))
			}
			e.u32(math.Float32bits(p.Tail))
		}
	}
	if e.err != nil {
		return "", e.err
	}
	digest := hex.EncodeToString(sum.Sum(nil))
	payload, err := json.Marshal(Seal{SHA256: digest})
	if err != nil {
		return "", err
	}
	env, err := cert.SignPayload(PayloadType, payload, key)
	if err != nil {
		return "", err
	}
	e.w = w
	e.u32(uint32(len(env)))
	e.bytes(env)
	return digest, e.err
}

// validate checks what the writer is given, so that everything written
// can be read back.
func validate(h *Header, pool []Challenge) error {
	if h.TopK <= 0 || h.TopK > maxTopK || h.K <= 0 || h.K > maxPositions {
		return fmt.Errorf("fingerprint: topK %d, k %d out of range", h.TopK, h.K)
	}
	if len(pool) == 0 || len(pool) > maxPool {
		return fmt.Errorf("fingerprint: pool of %d challenges", len(pool))
	}
	for i, c := range pool {
		if len(c.Tokens) == 0 || len(c.Tokens) > maxTokens || len(c.Positions) != h.K {
			return fmt.Errorf("fingerprint: challenge %d: %d tokens, %d positions", i, len(c.Tokens), len(c.Positions))
		}
		for _, p := range c.Positions {
			if len(p.IDs) != h.TopK || len(p.LogProbs) != h.TopK || p.Pos < 0 || int(p.Pos) >= len(c.Tokens) {
				return fmt.Errorf("fingerprint: challenge %d: bad position %d", i, p.Pos)
			}
		}
	}
	return nil
}

type encoder struct {
	w   io.Writer
	buf [4]byte
	err error
}

func (e *encoder) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u32(x uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], x)
	e.bytes(e.buf[:])
}
