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
	"github.com/proof-of-training/pot/verifier/score"
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
	// Rederive recomputes the digests of challenges 0…n−1 from the seed
	// and the statement's derivation; nil skips the check and
	// Verified.Rederived is false. ChallengeDigests is the production one.
	Rederive func(st *Statement, seed []byte, n int) ([][32]byte, error)
}

// Verified is what Verify established.
type Verified struct {
	Statement  *Statement
	Transcript *Transcript
	KeyID      string           // signer
	Replay     stats.RuleResult // the recomputed rank test (no levels when N = 0)
	Rederived  bool             // every challenge digest was re-derived from the seed
	Model      bool             // the model file was rehashed and matches
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

// recompute replays the decision (Verify step 3).
//
// Without a behavioural test (no records) the verdict rests on the signed
// checks: DIFFERENT needs a failed check; IDENTICAL or SAME (e.g. a faithful
// requantization shown by the weights) need none; UNDECIDED needs a
// skipped noise-floor check (no floor valid for the candidate's types).
// Which differences still allow IDENTICAL or SAME is the verifier's call,
// recorded in the checks.
//
// With records: the rule's faithful bounds must be the Beta bounds of its
// ranks (stats.Rule.Verify), each record's distance the largest of its
// positions' and its rank the count of floor samples at least as large;
// replaying the ranks must give every record's levels and stop exactly at
// the last record, with the recorded verdict, except that a failed check
// makes it DIFFERENT whatever the statistics say.
func recompute(st *Statement, recs []Record) (stats.RuleResult, error) {
	p := &st.Predicate
	res := p.Result
	failed, floorSkipped := "", false
	for _, c := range p.Checks {
		if c.Result == Fail && failed == "" {
			failed = c.Name
		}
		if c.Name == "noise-floor" && c.Result == Skip {
			floorSkipped = true
		}
	}
	if len(recs) == 0 {
		switch {
		case failed != "" && res.Verdict == Different, failed == "" && (res.Verdict == Identical || res.Verdict == Same):
			return stats.RuleResult{}, nil
		case failed == "" && res.Verdict == Undecided && floorSkipped:
			return stats.RuleResult{}, nil
		case failed != "":
			return stats.RuleResult{}, errorf(ErrRecompute, "verdict %s, but check %q failed: want DIFFERENT", res.Verdict, failed)
		case res.Verdict == Different:
			return stats.RuleResult{}, errorf(ErrRecompute, "verdict DIFFERENT without a behavioural test or a failed check")
		default:
			return stats.RuleResult{}, errorf(ErrRecompute, "verdict %s without a behavioural test", res.Verdict)
		}
	}
	if res.Verdict == Identical {
		return stats.RuleResult{}, errorf(ErrRecompute, "verdict IDENTICAL after a behavioural test of %d challenges", len(recs))
	}
	rule := p.Params.Rule
	if err := rule.Verify(); err != nil {
		return stats.RuleResult{}, errorf(ErrRecompute, "%v", err)
	}
	floor, err := score.NewFloor(p.Floor.Samples, p.Floor.Source)
	if err != nil {
		return stats.RuleResult{}, errorf(ErrRecompute, "floor: %v", err)
	}
	ranks := make([]int, len(recs))
	for i, r := range recs {
		if len(r.Positions) > p.Params.K {
			return stats.RuleResult{}, errorf(ErrTranscript, "record %d has %d positions, more than k = %d", i, len(r.Positions), p.Params.K)
		}
		ds := make([]float64, len(r.Positions))
		for j, q := range r.Positions {
			ds[j] = q.Distance
		}
		if d := score.Challenge(ds); d != r.Distance {
			return stats.RuleResult{}, errorf(ErrRecompute, "record %d: distance %v, but its largest position distance is %v", i, r.Distance, d)
		}
		if k := floor.Rank(r.Distance); k != r.Rank {
			return stats.RuleResult{}, errorf(ErrRecompute, "record %d: rank %d, but %d floor samples are at least its distance %v", i, r.Rank, k, r.Distance)
		}
		ranks[i] = r.Rank
	}
	rp, err := stats.ReplayRule(rule, ranks)
	if err != nil {
		return stats.RuleResult{}, errorf(ErrRecompute, "replay: %v", err)
	}
	for i := 0; i < rp.N; i++ {
		r := recs[i]
		if len(r.Levels) != len(rp.Levels) {
			return rp, errorf(ErrRecompute, "record %d has %d levels, the rule %d", i, len(r.Levels), len(rp.Levels))
		}
		for j, tr := range rp.Levels {
			s, l := tr.Steps[i], r.Levels[j]
			if l.Score != tr.Scores[i] || !near(l.Mean, s.Mean) || !near(l.Lower, s.Lower) || !near(l.Upper, s.Upper) {
				return rp, errorf(ErrRecompute, "record %d level %d: recorded %+v, recomputed score %v mean %v interval [%v, %v]",
					i, j, l, tr.Scores[i], s.Mean, s.Lower, s.Upper)
			}
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
	for j, tr := range rp.Levels {
		last := tr.Steps[len(tr.Steps)-1]
		if l := res.Levels[j]; !near(l.Mean, last.Mean) || !near(l.Lower, last.Lower) || !near(l.Upper, last.Upper) {
			return rp, errorf(ErrRecompute, "result level %d: %+v, recomputed mean %v interval [%v, %v]", j, l, last.Mean, last.Lower, last.Upper)
		}
	}
	return rp, nil
}

// near compares a recorded bound with its recomputation (stats.Tolerance).
func near(a, b float64) bool { return math.Abs(a-b) <= stats.Tolerance }

// checkChallenges is Verify step 4.
func checkChallenges(st *Statement, recs []Record, rederive func(*Statement, []byte, int) ([][32]byte, error)) (bool, error) {
	seed := decodeHex(st.Predicate.Seed.Revealed)
	c := challenge.Commit(seed)
	if !bytes.Equal(c[:], decodeHex(st.Predicate.Seed.Commitment)) {
		return false, errorf(ErrChallenge, "revealed seed does not match the commitment %s", st.Predicate.Seed.Commitment)
	}
	if rederive == nil || len(recs) == 0 {
		return false, nil
	}
	ds, err := rederive(st, seed, len(recs))
	if err != nil {
		return false, errorf(ErrChallenge, "re-derive challenges: %v", err)
	}
	for i, r := range recs {
		if hex.EncodeToString(ds[i][:]) != r.Digest {
			return false, errorf(ErrChallenge, "challenge %d re-derived from the seed has digest %x, transcript says %s", i, ds[i], r.Digest)
		}
	}
	return true, nil
}

// ChallengeDigests re-derives a run's challenge digests from the
// statement's derivation (package challenge): the Rederive of production
// certificates.
func ChallengeDigests(st *Statement, seed []byte, n int) ([][32]byte, error) {
	var d challenge.Derivation
	if err := json.Unmarshal(st.Predicate.Derivation, &d); err != nil {
		return nil, fmt.Errorf("derivation: %v", err)
	}
	return d.Digests(seed, n)
}
