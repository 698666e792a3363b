// Package certtest builds realistic signed certificates for the tests of
// packages that read them (cert, report, the pot command). The behavioural
// test is replayed with verifier/stats exactly as a run records it; the
// challenge derivation is a stand-in (SHA-256 of a label, the seed and the
// index) with a matching Rederive. Not for production use: keys are
// generated per call and nothing here is secret.
package certtest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/score"
	"github.com/proof-of-training/pot/verifier/stats"
)

// Params are small test parameters: a rank test over Floor's 64
// calibration distances with loose tolerances, so fixtures decide within
// a few dozen challenges.
var Params = cert.Params{Preset: "test", K: 4, TopK: 8, Rule: mustRule(stats.Design{Alpha: 0.05, NMin: 5, NMax: 60,
	Tail: 0.05, TailEpsilon: 0.4, RankEpsilon: 0.9}.NewRule(64))}

// Floor is the fixtures' noise floor: 64 distances i/128.
var Floor = func() cert.Floor {
	f := cert.Floor{Source: "test floor"}
	for i := range 64 {
		f.Samples = append(f.Samples, float64(i)/128)
	}
	return f
}()

func mustRule(r stats.Rule, err error) stats.Rule {
	if err != nil {
		panic(err)
	}
	return r
}

// Seed is the revealed challenge seed of every fixture.
var Seed = []byte("0123456789abcdef0123456789abcdef")

// TranscriptName is the transcript file name fixtures are sealed with.
const TranscriptName = "run.transcript.jsonl"

// Digest is the stand-in challenge digest: SHA-256("test-challenge" ||
// seed || uint64be(i)).
func Digest(seed []byte, i int) [32]byte {
	h := sha256.New()
	h.Write([]byte("test-challenge"))
	h.Write(seed)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h.Write(b[:])
	var d [32]byte
	h.Sum(d[:0])
	return d
}

// Rederive is the cert.Options.Rederive matching Digest.
func Rederive(_ *cert.Statement, seed []byte, n int) ([][32]byte, error) {
	out := make([][32]byte, n)
	for i := range out {
		out[i] = Digest(seed, i)
	}
	return out, nil
}

// Checks are typical checks of a non-identical candidate that goes on to the
// behavioural test.
func Checks() []cert.Check {
	return []cert.Check{
		{Name: "structure", Result: cert.Pass, Detail: "GGUF v3, 57 tensors"},
		{Name: "file-hash", Result: cert.Differs, Detail: "sha256 differs from the reference"},
		{Name: "metadata", Result: cert.Pass, Detail: "llama, 6 layers, tokenizer sha256 matches"},
	}
}

// Fixture is a signed certificate with everything needed to verify it.
type Fixture struct {
	Key        *cert.Key
	Statement  *cert.Statement
	Records    []cert.Record
	Envelope   []byte
	Transcript []byte
	Model      []byte // the candidate file's bytes
}

// Options returns verification options that accept the fixture.
func (f *Fixture) Options() cert.Options {
	return cert.Options{Trusted: []ed25519.PublicKey{f.Key.Public()}, Transcript: f.Transcript, Rederive: Rederive}
}

// Derivation is how a fixture's challenge digests are made: the
// statement's derivation inputs and the digest of challenge i from the seed
// (the function cert.Options.Rederive must agree with).
type Derivation struct {
	JSON   []byte
	Digest func(seed []byte, i int) ([32]byte, error)
}

// TestDerivation is the stand-in derivation (Digest, Rederive).
var TestDerivation = Derivation{
	JSON:   []byte(`{"scheme":"test-challenge"}`),
	Digest: func(seed []byte, i int) ([32]byte, error) { return Digest(seed, i), nil },
}

// Run replays challenge distances under p and Floor as a verification run
// would and returns the transcript records (stopping at the first verdict)
// and the result. It fails the test if the distances reach no verdict.
func Run(tb testing.TB, dists []float64, p cert.Params, seed []byte, d Derivation) ([]cert.Record, cert.Result) {
	tb.Helper()
	floor, err := score.NewFloor(Floor.Samples, Floor.Source)
	if err != nil {
		tb.Fatal(err)
	}
	ranks := make([]int, len(dists))
	for i, x := range dists {
		ranks[i] = floor.Rank(x)
	}
	rp, err := stats.ReplayRule(p.Rule, ranks)
	if err != nil {
		tb.Fatal(err)
	}
	recs := make([]cert.Record, rp.N)
	for i := range recs {
		dg, err := d.Digest(seed, i)
		if err != nil {
			tb.Fatal(err)
		}
		recs[i] = cert.Record{I: i, Digest: hex.EncodeToString(dg[:]), Distance: dists[i], Rank: ranks[i]}
		for _, tr := range rp.Levels {
			s := tr.Steps[i]
			recs[i].Levels = append(recs[i].Levels, cert.LevelState{Score: tr.Scores[i], Mean: s.Mean, Lower: s.Lower, Upper: s.Upper})
		}
		for j := 0; j < p.K; j++ {
			tok := 100 + 17*i + j
			cand, dist := tok, dists[i]/2
			if j == 0 {
				dist = dists[i]
				if dists[i] > 0.5 {
					cand++
				}
			}
			recs[i].Positions = append(recs[i].Positions, cert.Position{Pos: 3 + 5*j, Ref: tok, Cand: cand, Distance: dist})
		}
	}
	v := map[stats.Verdict]cert.Verdict{stats.Same: cert.Same, stats.Different: cert.Different, stats.Undecided: cert.Undecided}[rp.Verdict]
	if v == "" {
		tb.Fatalf("certtest: distances reach no verdict: %s", rp.Reason)
	}
	last := recs[len(recs)-1].Levels
	return recs, cert.Result{Verdict: v, Reason: rp.Reason, N: rp.N, Levels: last}
}

// Statement returns a statement for a run over model (the candidate file's
// bytes) with the given parameters, seed, result and checks, against a
// fingerprint reference, with the stand-in derivation. Transcript fields are
// left for cert.Seal.
func Statement(model []byte, p cert.Params, seed []byte, res cert.Result, checks []cert.Check) *cert.Statement {
	md := sha256.Sum256(model)
	ref := sha256.Sum256([]byte("reference model"))
	fp := sha256.Sum256([]byte("reference fingerprint"))
	creator := sha256.Sum256([]byte("fingerprint creator key"))
	c := challenge.Commit(seed)
	start := time.Date(2026, 3, 14, 1, 59, 26, 535897932, time.UTC)
	return &cert.Statement{
		Type:          cert.StatementType,
		Subject:       []cert.Subject{{Name: "candidate-Q4_K_M.gguf", Digest: cert.Digest{SHA256: hex.EncodeToString(md[:])}}},
		PredicateType: cert.PredicateType,
		Predicate: cert.Predicate{
			Verifier: cert.VerifierInfo{Name: "pot", Version: "0.1.0-test", Backend: "cpu", Host: "linux/amd64"},
			Reference: cert.Reference{
				Kind: cert.RefFingerprint, Name: "reference.potfp",
				Digest: cert.Digest{SHA256: hex.EncodeToString(ref[:])}, DigestSource: cert.DigestClaimed,
				Fingerprint: &cert.FingerprintRef{Digest: cert.Digest{SHA256: hex.EncodeToString(fp[:])},
					Creator: hex.EncodeToString(creator[:]), Trusted: true},
			},
			Checks:     checks,
			Params:     p,
			Floor:      Floor,
			Seed:       cert.Seed{Commitment: hex.EncodeToString(c[:]), Revealed: hex.EncodeToString(seed), ChosenBy: cert.SeedByVerifier},
			Derivation: []byte(`{"scheme":"test-challenge"}`),
			Result:     res,
			StartedAt:  start,
			FinishedAt: start.Add(93 * time.Second),
		},
	}
}

// New builds a certificate over scores with Params, Seed, Checks and the
// stand-in derivation, signed by a fresh key (or key, if non-nil).
func New(tb testing.TB, scores []float64, key *cert.Key) *Fixture {
	tb.Helper()
	return Build(tb, scores, key, TestDerivation)
}

// Build is New with the given challenge derivation.
func Build(tb testing.TB, scores []float64, key *cert.Key, d Derivation) *Fixture {
	tb.Helper()
	if key == nil {
		var err error
		if key, err = cert.GenerateKey(nil); err != nil {
			tb.Fatal(err)
		}
	}
	model := make([]byte, 300)
	for i := range model {
		model[i] = byte(i * 7)
	}
	recs, res := Run(tb, scores, Params, Seed, d)
	st := Statement(model, Params, Seed, res, Checks())
	st.Predicate.Derivation = d.JSON
	env, tr, err := cert.Seal(st, recs, TranscriptName, key)
	if err != nil {
		tb.Fatal(err)
	}
	return &Fixture{Key: key, Statement: st, Records: recs, Envelope: env, Transcript: tr, Model: model}
}

// SameScores returns n challenge distances that reach SAME: mostly within
// the floor, a rare one beyond it.
func SameScores(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		switch {
		case i%23 == 7:
			xs[i] = 0.9
		case i%5 == 2:
			xs[i] = 0.05
		}
	}
	return xs
}

// ConstScores returns n copies of distance x (1 reaches DIFFERENT, 0
// SAME).
func ConstScores(n int, x float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = x
	}
	return xs
}

// UndecidedScores returns n distances, every fourth beyond the whole floor:
// UNDECIDED under Params.
func UndecidedScores(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		if i%4 == 1 {
			xs[i] = 0.9
		}
	}
	return xs
}
