package cert_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

func TestPAE(t *testing.T) {
	// Vectors from the DSSE protocol spec (protocol.md, "Test Vectors").
	for _, c := range []struct{ typ, body, want string }{
		{"http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"", "", "DSSEv1 0  0 "},
		{"a", "\x00\xff", "DSSEv1 1 a 2 \x00\xff"},
	} {
		if got := string(PAE(c.typ, []byte(c.body))); got != c.want {
			t.Errorf("PAE(%q, %q) = %q, want %q", c.typ, c.body, got, c.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores []float64
		want   Verdict
	}{
		{"same", certtest.SameScores(60), Same},
		{"different", certtest.ConstScores(60, 1), Different},
		{"undecided", certtest.UndecidedScores(60), Undecided},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := certtest.New(t, c.scores, nil)
			if f.Statement.Predicate.Result.Verdict != c.want {
				t.Fatalf("fixture verdict %s, want %s", f.Statement.Predicate.Result.Verdict, c.want)
			}
			opt := f.Options()
			opt.Model = bytes.NewReader(f.Model)
			v, err := Verify(f.Envelope, opt)
			if err != nil {
				t.Fatal(err)
			}
			if v.KeyID != f.Key.KeyID() || !v.Rederived || !v.Model || len(v.Transcript.Records) != len(f.Records) {
				t.Errorf("Verified = %+v", v)
			}
			if v.Replay.N != f.Statement.Predicate.Result.N || !reflect.DeepEqual(v.Statement.Predicate.Result, f.Statement.Predicate.Result) {
				t.Errorf("replay N %d, statement result %+v", v.Replay.N, v.Statement.Predicate.Result)
			}
			// The envelope's payload is the statement's canonical JSON.
			var env Envelope
			if err := json.Unmarshal(f.Envelope, &env); err != nil {
				t.Fatal(err)
			}
			payload, _ := base64.StdEncoding.DecodeString(env.Payload)
			want, _ := json.Marshal(f.Statement)
			if !bytes.Equal(payload, want) || env.PayloadType != PayloadType || env.Signatures[0].KeyID != f.Key.KeyID() {
				t.Errorf("envelope %s", f.Envelope)
			}
		})
	}
}

// TestNoBehaviouralTest covers certificates decided by checks alone.
func TestNoBehaviouralTest(t *testing.T) {
	key, _ := GenerateKey(nil)
	seed := bytes.Repeat([]byte{9}, 32)
	fail := []Check{{Name: "tokenizer", Result: Fail, Detail: "vocabulary differs"}}
	pass := []Check{{Name: "file-hash", Result: Pass}}
	for _, c := range []struct {
		name    string
		checks  []Check
		verdict Verdict
		err     error
	}{
		{"identical", pass, Identical, nil},
		{"structural-different", fail, Different, nil},
		{"identical-despite-failure", fail, Identical, ErrRecompute},
		{"identical-despite-difference", []Check{{Name: "metadata", Result: Differs}}, Identical, nil},
		{"same-by-weights", pass, Same, nil},
		{"different-without-failure", pass, Different, ErrRecompute},
		{"undecided-without-test", pass, Undecided, ErrRecompute},
		{"undecided-without-floor", []Check{{Name: "noise-floor", Result: Skip, Detail: "no profile"}}, Undecided, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := Result{Verdict: c.verdict, Reason: "by the checks"}
			st := certtest.Statement([]byte("m"), certtest.Params, seed, res, c.checks)
			env, tr, err := Seal(st, nil, "t.jsonl", key)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr) != 0 {
				t.Errorf("empty transcript has %d bytes", len(tr))
			}
			_, err = Verify(env, Options{Trusted: []ed25519.PublicKey{key.Public()}, Transcript: tr, Rederive: certtest.Rederive})
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Errorf("Verify: %v, want %v", err, c.err)
			}
		})
	}
}

// mutate returns a copy of data with byte i changed by op.
func mutate(data []byte, i int, op byte) []byte {
	b := bytes.Clone(data)
	switch op {
	case 0:
		b[i] ^= 0x01
	case 1:
		b[i] ^= 0x20 // flips letter case
	case 2:
		b[i] ^= 0x80
	}
	return b
}

// TestTamperEnvelope changes every byte of the envelope (cycling through
// three kinds of change); each must fail as a malformed envelope or a bad
// signature.
func TestTamperEnvelope(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	counts := map[string]int{}
	for i := range f.Envelope {
		op := byte(i % 3)
		_, err := Verify(mutate(f.Envelope, i, op), f.Options())
		if !errors.Is(err, ErrEnvelope) && !errors.Is(err, ErrSignature) {
			t.Fatalf("byte %d (%q) op %d: %v", i, f.Envelope[i], op, err)
		}
		counts[FailureName(err)]++
	}
	t.Logf("%d bytes: %v", len(f.Envelope), counts)
	if counts["signature"] == 0 || counts["envelope"] == 0 {
		t.Errorf("expected both classes, got %v", counts)
	}
}

// TestTamperPayload changes every byte of the signed payload, re-encoding
// the envelope canonically with the original signature.
func TestTamperPayload(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	var env Envelope
	if err := json.Unmarshal(f.Envelope, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	for i := range payload {
		op := byte(i % 3)
		e := env
		e.Payload = base64.StdEncoding.EncodeToString(mutate(payload, i, op))
		b, _ := json.Marshal(&e)
		if _, err := Verify(b, f.Options()); !errors.Is(err, ErrSignature) {
			t.Fatalf("payload byte %d op %d: %v", i, op, err)
		}
	}
	// Changing the payload type alone also breaks the signature (PAE).
	e := env
	e.PayloadType = "application/vnd.in-toto+jsoN"
	b, _ := json.Marshal(&e)
	if _, _, err := OpenPayload(b, e.PayloadType, []ed25519.PublicKey{f.Key.Public()}); !errors.Is(err, ErrSignature) {
		t.Errorf("changed payloadType: %v", err)
	}
}

func TestTamperTranscript(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	opt := f.Options()
	for i := range f.Transcript {
		op := byte(i % 3)
		opt.Transcript = mutate(f.Transcript, i, op)
		if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrTranscript) {
			t.Fatalf("transcript byte %d op %d: %v", i, op, err)
		}
	}
	for _, tr := range [][]byte{nil, f.Transcript[:len(f.Transcript)-1], append(bytes.Clone(f.Transcript), '\n')} {
		opt.Transcript = tr
		if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrTranscript) {
			t.Errorf("transcript of %d bytes: %v", len(tr), err)
		}
	}
}

func TestTamperModel(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	opt := f.Options()
	for i := range f.Model {
		opt.Model = bytes.NewReader(mutate(f.Model, i, 0))
		if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrModelDigest) {
			t.Fatalf("model byte %d: %v", i, err)
		}
	}
	opt.Model = bytes.NewReader(append(bytes.Clone(f.Model), 0))
	if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrModelDigest) {
		t.Errorf("appended byte: %v", err)
	}
}

func TestOtherKey(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	other, _ := GenerateKey(nil)
	opt := f.Options()
	opt.Trusted = []ed25519.PublicKey{other.Public()}
	if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("untrusted signer: %v", err)
	}
	opt.Trusted = nil
	if _, err := Verify(f.Envelope, opt); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("no trusted keys: %v", err)
	}
	opt.Trusted = []ed25519.PublicKey{other.Public(), f.Key.Public()}
	v, err := Verify(f.Envelope, opt)
	if err != nil || v.KeyID != f.Key.KeyID() {
		t.Errorf("signer given: %v", err)
	}
	// A valid signature that names another key id is refused.
	var env Envelope
	json.Unmarshal(f.Envelope, &env)
	env.Signatures[0].KeyID = other.KeyID()
	b, _ := json.Marshal(&env)
	if _, err := Verify(b, opt); !errors.Is(err, ErrSignature) {
		t.Errorf("wrong keyid: %v", err)
	}
	// A second, bogus signature does not hide a good one.
	json.Unmarshal(f.Envelope, &env)
	env.Signatures = append([]Signature{{KeyID: other.KeyID(), Sig: base64.StdEncoding.EncodeToString(make([]byte, 64))}}, env.Signatures...)
	b, _ = json.Marshal(&env)
	if _, err := Verify(b, opt); err != nil {
		t.Errorf("extra signature: %v", err)
	}
}

// TestNonCanonical feeds envelopes that carry the same content in another
// encoding; all are refused.
func TestNonCanonical(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	env := string(bytes.TrimSuffix(f.Envelope, []byte("\n")))
	var e Envelope
	json.Unmarshal(f.Envelope, &e)
	sig, _ := base64.StdEncoding.DecodeString(e.Signatures[0].Sig)
	for name, s := range map[string]string{
		"indented":         strings.Replace(env, `,"payload"`, `, "payload"`, 1),
		"two-newlines":     env + "\n\n",
		"crlf":             env + "\r\n",
		"case-folded-key":  strings.Replace(env, `"payloadType"`, `"PayloadType"`, 1),
		"duplicate-key":    strings.Replace(env, `{"payloadType"`, `{"payloadType":"x","payloadType"`, 1),
		"unknown-field":    strings.Replace(env, `{"payloadType"`, `{"extra":1,"payloadType"`, 1),
		"escaped-char":     strings.Replace(env, `"payloadType":"application`, `"payloadType":"\u0061pplication`, 1),
		"url-base64":       strings.Replace(env, e.Signatures[0].Sig, base64.URLEncoding.EncodeToString(sig), 1),
		"raw-base64":       strings.Replace(env, e.Signatures[0].Sig, base64.RawStdEncoding.EncodeToString(sig), 1),
		"base64-newline":   strings.Replace(env, e.Payload, e.Payload[:8]+`\n`+e.Payload[8:], 1),
		"base64-loose-pad": strings.Replace(env, e.Signatures[0].Sig, e.Signatures[0].Sig[:85]+string(e.Signatures[0].Sig[85]^1)+"==", 1),
		"trailing-data":    env + "{}",
		"no-signatures":    strings.Replace(env, env[strings.Index(env, `"signatures"`):], `"signatures":[]}`, 1),
		"null":             "null",
		"empty":            "",
	} {
		_, err := Verify([]byte(s), f.Options())
		if !errors.Is(err, ErrEnvelope) && !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Verify([]byte(env), f.Options()); err != nil {
		t.Errorf("without final newline: %v", err)
	}
}

// resign re-signs a modified statement and transcript, as a dishonest or
// buggy verifier holding the key could.
func resign(t *testing.T, f *certtest.Fixture, st *Statement, tr []byte) []byte {
	t.Helper()
	payload, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	env, err := SignPayload(PayloadType, payload, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestSignedButWrong checks that a certificate signed by a trusted key is
// still refused, with the right class, when its content does not add up.
func TestSignedButWrong(t *testing.T) {
	f := certtest.New(t, certtest.SameScores(60), nil)
	digestOf := func(b []byte) Digest {
		tr, _ := ParseTranscript(b)
		d := tr.Digest()
		return Digest{SHA256: hex.EncodeToString(d[:])}
	}
	cases := []struct {
		name string
		edit func(st *Statement, recs []Record) []Record
		err  error
	}{
		{"wrong-type", func(st *Statement, r []Record) []Record { st.Type = "https://in-toto.io/Statement/v0.1"; return r }, ErrSchema},
		{"wrong-predicate", func(st *Statement, r []Record) []Record { st.PredicateType += "x"; return r }, ErrSchema},
		{"two-subjects", func(st *Statement, r []Record) []Record { st.Subject = append(st.Subject, st.Subject[0]); return r }, ErrSchema},
		{"upper-hex", func(st *Statement, r []Record) []Record {
			st.Subject[0].Digest.SHA256 = strings.ToUpper(st.Subject[0].Digest.SHA256)
			return r
		}, ErrSchema},
		{"path-name", func(st *Statement, r []Record) []Record { st.Predicate.Transcript.Name = "../x"; return r }, ErrSchema},
		{"alpha", func(st *Statement, r []Record) []Record { st.Predicate.Params.Rule.Alpha = 1; return r }, ErrSchema},
		{"epsilon-below-faithful", func(st *Statement, r []Record) []Record {
			st.Predicate.Params.Rule.Levels = slices.Clone(st.Predicate.Params.Rule.Levels)
			st.Predicate.Params.Rule.Levels[0].Epsilon = st.Predicate.Params.Rule.Levels[0].Faithful / 2
			return r
		}, ErrSchema},
		{"lax-faithful-bound", func(st *Statement, r []Record) []Record {
			st.Predicate.Params.Rule.Levels = slices.Clone(st.Predicate.Params.Rule.Levels)
			st.Predicate.Params.Rule.Levels[0].Faithful += 0.05
			return r
		}, ErrRecompute},
		{"floor-sample", func(st *Statement, r []Record) []Record {
			st.Predicate.Floor.Samples = slices.Clone(st.Predicate.Floor.Samples)
			st.Predicate.Floor.Samples[63] = 0.95
			return r
		}, ErrRecompute},
		{"verdict-name", func(st *Statement, r []Record) []Record { st.Predicate.Result.Verdict = "same"; return r }, ErrSchema},
		{"bounds-order", func(st *Statement, r []Record) []Record {
			st.Predicate.Result.Levels = slices.Clone(st.Predicate.Result.Levels)
			st.Predicate.Result.Levels[0].Lower = 0.99
			return r
		}, ErrSchema},
		{"times", func(st *Statement, r []Record) []Record {
			st.Predicate.FinishedAt = st.Predicate.StartedAt.Add(-1)
			return r
		}, ErrSchema},
		{"check-result", func(st *Statement, r []Record) []Record { st.Predicate.Checks[0].Result = "ok"; return r }, ErrSchema},
		{"control-char", func(st *Statement, r []Record) []Record { st.Predicate.Result.Reason = "a\nb"; return r }, ErrSchema},
		{"short-seed", func(st *Statement, r []Record) []Record { st.Predicate.Seed.Revealed = "abcd"; return r }, ErrSchema},
		{"seed-chooser-missing", func(st *Statement, r []Record) []Record { st.Predicate.Seed.ChosenBy = ""; return r }, ErrSchema},
		{"seed-chooser-unknown", func(st *Statement, r []Record) []Record { st.Predicate.Seed.ChosenBy = "nobody"; return r }, ErrSchema},
		{"digest-source-missing", func(st *Statement, r []Record) []Record { st.Predicate.Reference.DigestSource = ""; return r }, ErrSchema},
		{"fingerprint-digest-computed", func(st *Statement, r []Record) []Record {
			st.Predicate.Reference.DigestSource = DigestComputed
			return r
		}, ErrSchema},
		{"model-digest-claimed", func(st *Statement, r []Record) []Record {
			st.Predicate.Reference.Kind, st.Predicate.Reference.Fingerprint = RefModel, nil
			return r
		}, ErrSchema},
		{"records-count", func(st *Statement, r []Record) []Record {
			st.Predicate.Transcript.Records--
			st.Predicate.Result.N--
			return r
		}, ErrTranscript},
		{"merkle-root", func(st *Statement, r []Record) []Record {
			st.Predicate.Transcript.MerkleRoot = strings.Repeat("ab", 32)
			return r
		}, ErrMerkle},
		{"rank", func(st *Statement, r []Record) []Record { r[3].Rank = 0; return r }, ErrRecompute},
		{"distance", func(st *Statement, r []Record) []Record { r[3].Distance = 0.01; return r }, ErrRecompute},
		{"score", func(st *Statement, r []Record) []Record {
			r[3].Levels = slices.Clone(r[3].Levels)
			r[3].Levels[0].Score = 1 - r[3].Levels[0].Score
			return r
		}, ErrRecompute},
		{"bound", func(st *Statement, r []Record) []Record {
			r[10].Levels = slices.Clone(r[10].Levels)
			r[10].Levels[0].Upper += 0.01
			return r
		}, ErrRecompute},
		{"bound-within-tolerance", func(st *Statement, r []Record) []Record {
			r[10].Levels = slices.Clone(r[10].Levels)
			r[10].Levels[0].Upper -= 0.0004
			return r
		}, nil},
		{"verdict", func(st *Statement, r []Record) []Record { st.Predicate.Result.Verdict = Undecided; return r }, ErrRecompute},
		{"failed-check-not-different", func(st *Statement, r []Record) []Record {
			st.Predicate.Checks[0].Result = Fail
			return r
		}, ErrRecompute},
		{"result-mean", func(st *Statement, r []Record) []Record {
			st.Predicate.Result.Levels = slices.Clone(st.Predicate.Result.Levels)
			st.Predicate.Result.Levels[0].Mean += 0.01
			return r
		}, ErrRecompute},
		{"stopped-early", func(st *Statement, r []Record) []Record {
			r = r[:len(r)-1]
			st.Predicate.Result.N--
			return r
		}, ErrRecompute},
		{"went-on", func(st *Statement, r []Record) []Record {
			x := r[len(r)-1]
			x.I++
			r = append(r, x)
			st.Predicate.Result.N++
			return r
		}, ErrRecompute},
		{"too-many-positions", func(st *Statement, r []Record) []Record {
			r[0].Positions = append(r[0].Positions, r[0].Positions[0])
			return r
		}, ErrTranscript},
		{"commitment", func(st *Statement, r []Record) []Record {
			st.Predicate.Seed.Revealed = strings.Repeat("11", 32)
			return r
		}, ErrChallenge},
		{"challenge-digest", func(st *Statement, r []Record) []Record { r[5].Digest = strings.Repeat("cd", 32); return r }, ErrChallenge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := *f.Statement
			st.Subject = append([]Subject(nil), f.Statement.Subject...)
			st.Predicate.Checks = append([]Check(nil), f.Statement.Predicate.Checks...)
			recs := append([]Record(nil), f.Records...)
			recs = c.edit(&st, recs)
			tr, err := EncodeTranscript(recs)
			if err != nil {
				t.Fatal(err)
			}
			if c.name != "merkle-root" {
				root := tr.Root()
				st.Predicate.Transcript.MerkleRoot = hex.EncodeToString(root[:])
			}
			st.Predicate.Transcript.Digest = digestOf(tr.Bytes())
			if c.name != "records-count" {
				st.Predicate.Transcript.Records = len(recs)
			}
			env := resign(t, f, &st, tr.Bytes())
			opt := f.Options()
			opt.Transcript = tr.Bytes()
			_, err = Verify(env, opt)
			if (c.err == nil) != (err == nil) || !errors.Is(err, c.err) {
				t.Fatalf("Verify: %v, want %v", err, c.err)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}
}

// TestSignRefusesInvalid: Sign validates, and NaN never reaches the output.
func TestSignRefusesInvalid(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	st := *f.Statement
	for _, x := range []float64{nanF(), infF()} {
		st.Predicate.Result.Levels = []LevelState{{Mean: x}, {}}
		if _, err := Sign(&st, f.Key); !errors.Is(err, ErrSchema) {
			t.Errorf("mean %v: %v", x, err)
		}
	}
	recs := append([]Record(nil), f.Records...)
	recs[0].Distance = nanF()
	if _, err := EncodeTranscript(recs); err == nil {
		t.Error("EncodeTranscript accepted NaN")
	}
}

func TestFailureName(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	_, err := Verify(f.Envelope[:10], f.Options())
	if FailureName(err) != "envelope" {
		t.Errorf("FailureName(%v) = %q", err, FailureName(err))
	}
	if FailureName(errors.New("x")) != "" {
		t.Error("unclassified error named")
	}
}

func nanF() float64 { z := 0.0; return z / z }
func infF() float64 { z := 0.0; return 1 / z }

// TestInspect reads a statement without its signature, but still only a
// well-formed one.
func TestInspect(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	st, err := Inspect(f.Envelope)
	if err != nil || !reflect.DeepEqual(st.Predicate.Result, f.Statement.Predicate.Result) {
		t.Fatalf("Inspect: %v", err)
	}
	var env Envelope
	json.Unmarshal(f.Envelope, &env)
	env.Signatures[0].Sig = base64.StdEncoding.EncodeToString(make([]byte, 64))
	b, _ := json.Marshal(&env)
	if _, err := Inspect(b); err != nil {
		t.Errorf("Inspect checks the signature: %v", err)
	}
	env.Payload = base64.StdEncoding.EncodeToString([]byte(`{"_type":"x"}`))
	b, _ = json.Marshal(&env)
	if _, err := Inspect(b); !errors.Is(err, ErrSchema) {
		t.Errorf("Inspect of a bad statement: %v", err)
	}
	if _, err := Inspect(f.Envelope[1:]); !errors.Is(err, ErrEnvelope) {
		t.Errorf("Inspect of a bad envelope: %v", err)
	}
}
