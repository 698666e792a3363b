package cert

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/stats"
)

// Sign checks st against the schema and returns it signed by k as a DSSE
// envelope (canonical JSON and a newline), ready to write to a file.
func Sign(st *Statement, k *Key) ([]byte, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("cert: encode statement: %w", err)
	}
	return SignPayload(PayloadType, payload, k)
}

// Open checks the envelope's signature against the trusted keys and the
// statement against the schema, and returns the statement and the key id of
// its signer. It does not look at the transcript: use Verify for that.
func Open(envelope []byte, trusted []ed25519.PublicKey) (*Statement, string, error) {
	payload, keyID, err := OpenPayload(envelope, PayloadType, trusted)
	if err != nil {
		return nil, "", err
	}
	st, err := parseStatement(payload)
	if err != nil {
		return nil, "", err
	}
	return st, keyID, nil
}

// Inspect returns the statement inside an envelope after checking the
// envelope's form and the statement's schema, but NOT the signature: for
// listing certificates and for showing a rejected one as unverified. Never
// act on its result as if it were verified.
func Inspect(envelope []byte) (*Statement, error) {
	env, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, errorf(ErrEnvelope, "payloadType %q, want %q", clip(env.PayloadType), PayloadType)
	}
	payload, _ := base64.StdEncoding.Strict().DecodeString(env.Payload) // checked by parseEnvelope
	return parseStatement(payload)
}

// parseStatement decodes a canonical statement and validates it; errors
// match ErrSchema.
func parseStatement(payload []byte) (*Statement, error) {
	var st Statement
	if err := decodeCanonical(payload, &st); err != nil {
		return nil, errorf(ErrSchema, "payload: %v", err)
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return &st, nil
}

// Options say what Verify checks besides the signature and schema.
type Options struct {
	// Trusted are the public keys whose signatures are accepted.
	Trusted []ed25519.PublicKey
	// Transcript is the content of the transcript file the statement names
	// (read by the caller from beside the certificate).
	Transcript []byte
	// Model, when non-nil, is read to the end and its SHA-256 compared with
	// the subject's digest.
	Model io.Reader
	// Rederive recomputes the digest of challenge i (0-based, in transcript
	// order) from the revealed seed and the statement's derivation inputs.
	// The caller supplies it so this package depends on neither tokenizer
	// nor fingerprint. When nil, only the seed commitment is checked and
	// Verified.Rederived is false.
	Rederive func(st *Statement, seed []byte, i int) ([32]byte, error)
}

// Verified is what Verify established.
type Verified struct {
	Statement  *Statement
	Transcript *Transcript
	KeyID      string       // signer
	Replay     stats.Result // the recomputed confidence sequence (Steps empty when N = 0)
	Rederived  bool         // every challenge digest was re-derived from the seed
	Model      bool         // the model file was rehashed and matches
}

// Verify checks a certificate completely, in this order, and returns the
// first failure, which matches its class:
//
//  1. the envelope and its signature by a trusted key (ErrEnvelope,
//     ErrSignature, ErrUntrustedKey) and the statement's schema (ErrSchema);
//  2. the transcript's SHA-256 digest, format and record count
//     (ErrTranscript) and its Merkle root (ErrMerkle);
//  3. the decision: the confidence sequence replayed over the transcript's
//     scores with the statement's parameters must give the recorded bounds
//     (within stats.Tolerance) and exactly the recorded verdict, stopping at
//     the last record (ErrRecompute);
//  4. the revealed seed against its commitment and, with Rederive, every
//     challenge digest (ErrChallenge);
//  5. with Model, the model file's SHA-256 (ErrModelDigest).
func Verify(envelope []byte, opt Options) (*Verified, error) {
	st, keyID, err := Open(envelope, opt.Trusted)
	if err != nil {
		return nil, err
	}
	v := &Verified{Statement: st, KeyID: keyID}
	p := &st.Predicate
	if got := sha256.Sum256(opt.Transcript); hex.EncodeToString(got[:]) != p.Transcript.Digest.SHA256 {
		return v, errorf(ErrTranscript, "file %s has SHA-256 %x, certificate says %s", p.Transcript.Name, got, p.Transcript.Digest.SHA256)
	}
	if v.Transcript, err = ParseTranscript(opt.Transcript); err != nil {
		return v, err
	}
	if n := len(v.Transcript.Records); n != p.Transcript.Records {
		return v, errorf(ErrTranscript, "%d records, certificate says %d", n, p.Transcript.Records)
	}
	if root := v.Transcript.Root(); hex.EncodeToString(root[:]) != p.Transcript.MerkleRoot {
		return v, errorf(ErrMerkle, "root %x, certificate says %s", root, p.Transcript.MerkleRoot)
	}
	if v.Replay, err = recompute(st, v.Transcript.Records); err != nil {
		return v, err
	}
	if v.Rederived, err = checkChallenges(st, v.Transcript.Records, opt.Rederive); err != nil {
		return v, err
	}
	if opt.Model != nil {
		h := sha256.New()
		if _, err := io.Copy(h, opt.Model); err != nil {
			return v, fmt.Errorf("cert: read model: %w", err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != st.Subject[0].Digest.SHA256 {
			return v, errorf(ErrModelDigest, "model file has SHA-256 %s, certificate's subject %s has %s", got, st.Subject[0].Name, st.Subject[0].Digest.SHA256)
		}
		v.Model = true
	}
	return v, nil
}

// StatsParams converts the predicate's parameters for verifier/stats.
func (p Params) StatsParams() stats.Params {
	return stats.Params{Alpha: p.Alpha, Gamma: p.Gamma, Delta: p.Delta, NMin: p.NMin, NMax: p.NMax}
}

// recompute replays the decision (Verify step 3).
//
// Without a behavioural test (no records) the verdict rests on the signed
// checks: DIFFERENT needs a failed check; IDENTICAL or SAME (e.g. a faithful
// requantization shown by the weights) need none; UNDECIDED needs a test.
// Which differences still allow IDENTICAL or SAME is the verifier's call,
// recorded in the checks. With records, every
// record's bounds must match the replay, the replay must stop exactly at the
// last record, and the verdict must be the replay's, except that a failed
// check makes it DIFFERENT whatever the statistics say.
func recompute(st *Statement, recs []Record) (stats.Result, error) {
	p := &st.Predicate
	res := p.Result
	failed := ""
	for _, c := range p.Checks {
		if c.Result == Fail {
			failed = c.Name
			break
		}
	}
	if len(recs) == 0 {
		switch {
		case failed != "" && res.Verdict == Different, failed == "" && (res.Verdict == Identical || res.Verdict == Same):
			return stats.Result{}, nil
		case failed != "":
			return stats.Result{}, errorf(ErrRecompute, "verdict %s, but check %q failed: want DIFFERENT", res.Verdict, failed)
		case res.Verdict == Different:
			return stats.Result{}, errorf(ErrRecompute, "verdict DIFFERENT without a behavioural test or a failed check")
		default:
			return stats.Result{}, errorf(ErrRecompute, "verdict %s without a behavioural test", res.Verdict)
		}
	}
	if res.Verdict == Identical {
		return stats.Result{}, errorf(ErrRecompute, "verdict IDENTICAL after a behavioural test of %d challenges", len(recs))
	}
	for i, r := range recs {
		if len(r.Positions) > p.Params.K {
			return stats.Result{}, errorf(ErrTranscript, "record %d has %d positions, more than k = %d", i, len(r.Positions), p.Params.K)
		}
	}
	xs := make([]float64, len(recs))
	for i, r := range recs {
		xs[i] = r.Score
	}
	rp, err := stats.Replay(xs, p.Params.StatsParams())
	if err != nil {
		return stats.Result{}, errorf(ErrRecompute, "replay: %v", err)
	}
	for i, s := range rp.Steps {
		r := recs[i]
		if !near(r.Mean, s.Mean) || !near(r.Lower, s.Lower) || !near(r.Upper, s.Upper) {
			return rp, errorf(ErrRecompute, "record %d: recorded mean %v interval [%v, %v], recomputed %v [%v, %v]",
				i, r.Mean, r.Lower, r.Upper, s.Mean, s.Lower, s.Upper)
		}
	}
	if rp.Unused > 0 {
		return rp, errorf(ErrRecompute, "the test reached %s after %d challenges, but the transcript goes on to %d",
			rp.Verdict, rp.N, len(recs))
	}
	want := Different
	if failed == "" {
		switch rp.Verdict {
		case stats.Same:
			want = Same
		case stats.Different:
			want = Different
		case stats.Undecided:
			want = Undecided
		default:
			return rp, errorf(ErrRecompute, "the test had not decided after %d challenges (%s), yet the certificate says %s",
				rp.N, rp.Reason, res.Verdict)
		}
	}
	if res.Verdict != want {
		return rp, errorf(ErrRecompute, "verdict %s, recomputed %s (%s)", res.Verdict, want, rp.Reason)
	}
	last := rp.Steps[len(rp.Steps)-1]
	if !near(res.Mean, last.Mean) || !near(res.Lower, last.Lower) || !near(res.Upper, last.Upper) {
		return rp, errorf(ErrRecompute, "result mean %v interval [%v, %v], recomputed %v [%v, %v]",
			res.Mean, res.Lower, res.Upper, last.Mean, last.Lower, last.Upper)
	}
	return rp, nil
}

// near compares a recorded bound with its recomputation (stats.Tolerance).
func near(a, b float64) bool { return math.Abs(a-b) <= stats.Tolerance }

// checkChallenges is Verify step 4.
func checkChallenges(st *Statement, recs []Record, rederive func(*Statement, []byte, int) ([32]byte, error)) (bool, error) {
	seed := decodeHex(st.Predicate.Seed.Revealed)
	c := challenge.Commit(seed)
	if !bytes.Equal(c[:], decodeHex(st.Predicate.Seed.Commitment)) {
		return false, errorf(ErrChallenge, "revealed seed does not match the commitment %s", st.Predicate.Seed.Commitment)
	}
	if rederive == nil {
		return false, nil
	}
	for i, r := range recs {
		d, err := rederive(st, seed, i)
		if err != nil {
			return false, errorf(ErrChallenge, "re-derive challenge %d: %v", i, err)
		}
		if hex.EncodeToString(d[:]) != r.Digest {
			return false, errorf(ErrChallenge, "challenge %d re-derived from the seed has digest %x, transcript says %s", i, d, r.Digest)
		}
	}
	return true, nil
}
