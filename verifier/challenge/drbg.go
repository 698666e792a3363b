package challenge

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// domain prefixes every HMAC message and the commitment; bump the version to
// change the derivation.
const domain = "pot/challenge/v1/"

// Stream labels: each purpose draws from its own stream.
const (
	labelText      = "text"
	labelPositions = "positions"
	labelIndex     = "index"
)

// stream is the counter-mode HMAC-SHA256 generator for one (label, index):
// block b = HMAC(seed, domain ‖ label ‖ 0x00 ‖ u64be(index) ‖ u64be(b)).
type stream struct {
	mac   hash.Hash
	msg   []byte // domain ‖ label ‖ 0 ‖ index ‖ counter; counter is the last 8 bytes
	block [sha256.Size]byte
	used  int // bytes of block consumed; sha256.Size means refill
	ctr   uint64
}

func newStream(seed []byte, label string, index uint64) *stream {
	msg := make([]byte, 0, len(domain)+len(label)+17)
	msg = append(msg, domain...)
	msg = append(msg, label...)
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint64(msg, index)
	msg = binary.BigEndian.AppendUint64(msg, 0)
	return &stream{mac: hmac.New(sha256.New, seed), msg: msg, used: sha256.Size}
}

// uint64 returns the next 8 bytes of the stream, big-endian.
func (s *stream) uint64() uint64 {
	if s.used == sha256.Size {
		binary.BigEndian.PutUint64(s.msg[len(s.msg)-8:], s.ctr)
		s.ctr++
		s.mac.Reset()
		s.mac.Write(s.msg)
		s.mac.Sum(s.block[:0])
		s.used = 0
	}
	v := binary.BigEndian.Uint64(s.block[s.used:])
	s.used += 8
	return v
}

// intn returns a uniform integer in [0, n) from the stream. n must be > 0.
func (s *stream) intn(n int) int { return int(uniform(s.uint64, uint64(n))) }

// uniform returns a uniform integer in [0, n) from the uniform 64-bit words
// of next, without modulo bias: words below (2^64 − n) mod n are rejected, so
// the accepted range holds a whole number of copies of [0, n) and v mod n is
// exactly uniform. The expected number of words is below 2. n must be > 0
// (programmer error otherwise: it panics).
func uniform(next func() uint64, n uint64) uint64 {
	if n == 0 {
		panic("challenge: uniform(0)")
	}
	threshold := -n % n // (2^64 − n) mod n = 2^64 mod n
	for {
		if v := next(); v >= threshold {
			return v % n
		}
	}
}
