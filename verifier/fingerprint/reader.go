package fingerprint

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"slices"

	"github.com/proof-of-training/pot/verifier/cert"
)

// Trust says which fingerprint creators a reader accepts.
type Trust struct {
	// Keys are the trusted creator keys. Empty means none is: every
	// fingerprint is untrusted.
	Keys []ed25519.PublicKey `json:"keys,omitempty"`
	// KeyIDs are trusted creator key ids (cert.KeyID, 64 hex digits): the
	// id is the key's SHA-256, so trusting it trusts exactly that key.
	KeyIDs []string `json:"key_ids,omitempty"`
	// AllowUntrusted accepts an intact fingerprint whose creator is not in
	// Keys, with Fingerprint.Trusted false; the caller must then mark
	// everything it derives from it as untrusted.
	AllowUntrusted bool `json:"allow_untrusted,omitempty"`
}

// trusts reports whether pub is one of t.Keys or t.KeyIDs.
func (t Trust) trusts(pub ed25519.PublicKey) bool {
	for _, k := range t.Keys {
		if k.Equal(pub) {
			return true
		}
	}
	return slices.Contains(t.KeyIDs, cert.KeyID(pub))
}

// ErrUntrusted marks an intact fingerprint whose creator key is not
// trusted; the error is an *UntrustedError naming the key.
var ErrUntrusted = errors.New("fingerprint: creator key not trusted")

// UntrustedError is the error for a fingerprint sealed by a key the caller
// does not trust.
type UntrustedError struct {
	KeyID string // the creator key's id (cert.KeyID)
}

func (e *UntrustedError) Error() string {
	return "sealed by key " + e.KeyID + ", which is not trusted"
}

// Is makes errors.Is(err, ErrUntrusted) hold.
func (e *UntrustedError) Is(target error) bool { return target == ErrUntrusted }

// Read reads and verifies the fingerprint at path, streaming it once.
//
// The seal must verify under the creator key the header names, which
// proves the file is intact and who sealed it. The fingerprint counts only
// if that key is in trust.Keys: otherwise Read fails with an
// *UntrustedError, unless trust.AllowUntrusted, when it returns the
// fingerprint with Trusted false.
func Read(path string, trust Trust) (*Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	fp, err := Decode(f, st.Size(), trust)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %s: %w", path, err)
	}
	return fp, nil
}

// Decode reads a fingerprint of size bytes from r (see Read).
func Decode(r io.Reader, size int64, trust Trust) (*Fingerprint, error) {
	d := &decoder{r: bufio.NewReaderSize(r, 1<<16), left: size, sum: sha256.New()}
	fp, err := d.decode()
	if err != nil {
		return nil, err
	}
	digest := hex.EncodeToString(d.sum.Sum(nil))
	d.sum = nil // the seal is not part of the digest
	n := d.u32("seal length")
	if d.err == nil && (n == 0 || n > maxSeal) {
		d.fail("seal length %d", n)
	}
	env := d.bytes(int64(n), "seal")
	if d.err != nil {
		return nil, d.err
	}
	if d.left != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the seal", ErrFormat, d.left)
	}
	creator, err := cert.ParsePublicKey([]byte(fp.Creator))
	if err != nil {
		return nil, fmt.Errorf("%w: creator key: %v", ErrSeal, err)
	}
	payload, keyID, err := cert.OpenPayload(env, PayloadType, []ed25519.PublicKey{creator})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSeal, err)
	}
	var seal Seal
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seal); err != nil || seal.SHA256 != digest {
		return nil, fmt.Errorf("%w: content digest %s does not match the sealed one", ErrSeal, digest)
	}
	fp.SHA256, fp.KeyID = digest, keyID
	fp.Trusted = trust.trusts(creator)
	if !fp.Trusted && !trust.AllowUntrusted {
		return nil, &UntrustedError{KeyID: keyID}
	}
	return fp, nil
}

// decoder reads with a length check before every read and hashes what it
// reads.
type decoder struct {
	r    *bufio.Reader
	left int64
	off  int64
	sum  hash.Hash
	err  error
	buf  [4]byte
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte 0x%x", ErrFormat, fmt.Sprintf(format, args...), d.off)
	}
}

func (d *decoder) read(p []byte, what string) {
	if d.err != nil {
		return
	}
	if int64(len(p)) > d.left {
		d.fail("%s: truncated", what)
		return
	}
	if _, err := io.ReadFull(d.r, p); err != nil {
		d.fail("%s: %v", what, err)
		return
	}
	if d.sum != nil {
		d.sum.Write(p)
	}
	d.left -= int64(len(p))
	d.off += int64(len(p))
}

func (d *decoder) u32(what string) uint32 {
	d.read(d.buf[:], what)
	if d.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(d.buf[:])
}

// bytes reads n bytes, n already checked against a limit by the caller.
func (d *decoder) bytes(n int64, what string) []byte {
	if d.err != nil || n > d.left {
		d.fail("%s of %d bytes: truncated", what, n)
		return nil
	}
	p := make([]byte, n)
	d.read(p, what)
	return p
}

// count reads a count, checked against max and against the bytes left at
// minBytes bytes per item.
func (d *decoder) count(what string, max int, minBytes int64) int {
	n := d.u32(what)
	if d.err == nil && (int64(n) > int64(max) || int64(n)*minBytes > d.left) {
		d.fail("%s %d out of range", what, n)
	}
	if d.err != nil {
		return 0
	}
	return int(n)
}

func (d *decoder) i32s(n int, what string) []int32 {
	b := d.bytes(int64(n)*4, what)
	if d.err != nil {
		return nil
	}
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func (d *decoder) f32s(n int, what string) []float32 {
	b := d.bytes(int64(n)*4, what)
	if d.err != nil {
		return nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

func (d *decoder) decode() (*Fingerprint, error) {
	magic := d.bytes(int64(len(Magic)), "magic")
	if d.err == nil && string(magic) != Magic {
		return nil, fmt.Errorf("%w: not a PoT fingerprint (bad magic)", ErrFormat)
	}
	hlen := d.count("header length", maxHeader, 1)
	hj := d.bytes(int64(hlen), "header")
	if d.err != nil {
		return nil, d.err
	}
	fp := &Fingerprint{}
	dec := json.NewDecoder(bytes.NewReader(hj))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fp.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	h := &fp.Header
	if h.Version != 1 {
		return nil, fmt.Errorf("%w: header version %d", ErrFormat, h.Version)
	}
	if h.TopK <= 0 || h.TopK > maxTopK || h.K <= 0 || h.K > maxPositions {
		return nil, fmt.Errorf("%w: topK %d, k %d out of range", ErrFormat, h.TopK, h.K)
	}
	for _, p := range h.Floors {
		for _, x := range p.Samples {
			if !(x >= 0 && x <= 1) {
				return nil, fmt.Errorf("%w: floor %s: sample %v outside [0, 1]", ErrFormat, p.Name, x)
			}
		}
	}
	posBytes := int64(4 + 8*h.TopK + 4)
	n := d.count("pool size", maxPool, 8+int64(h.K)*posBytes)
	if n == 0 && d.err == nil {
		d.fail("empty pool")
	}
	fp.Pool = make([]Challenge, 0, min(n, 1<<12))
	for i := 0; i < n && d.err == nil; i++ {
		var c Challenge
		nt := d.count("token count", maxTokens, 4)
		c.Tokens = d.i32s(nt, "tokens")
		np := d.count("position count", maxPositions, posBytes)
		if d.err == nil && (nt == 0 || np != h.K) {
			d.fail("challenge %d: %d tokens, %d positions (want k = %d)", i, nt, np, h.K)
		}
		c.Positions = make([]Position, np)
		for j := range c.Positions {
			p := &c.Positions[j]
			p.Pos = int32(d.u32("position"))
			p.IDs = d.i32s(h.TopK, "ids")
			p.LogProbs = d.f32s(h.TopK, "log-probs")
			p.Tail = math.Float32frombits(d.u32("tail"))
			if d.err == nil && (p.Pos < 0 || int(p.Pos) >= nt) {
				d.fail("challenge %d: position %d outside its %d tokens", i, p.Pos, nt)
			}
			for _, v := range p.LogProbs {
				if d.err == nil && (math.IsNaN(float64(v)) || v > 0) {
					d.fail("challenge %d: log-probability %v", i, v)
				}
			}
		}
		fp.Pool = append(fp.Pool, c)
	}
	if d.err != nil {
		return nil, d.err
	}
	return fp, nil
}
