package cert_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

// fuzzKey is a fixed key so fuzz inputs signed by it stay valid.
var fuzzKey = NewKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))

// fuzzFixtures returns signed certificates of each kind (fixed key).
func fuzzFixtures(t testing.TB) []*certtest.Fixture {
	var fs []*certtest.Fixture
	for _, xs := range [][]float64{certtest.ConstScores(60, 1), certtest.SameScores(60)} {
		fs = append(fs, certtest.New(t, xs, fuzzKey))
	}
	return fs
}

// FuzzOpen: Open never panics, and whatever it accepts is exactly what Sign
// writes for the statement it returns (Ed25519 signatures are
// deterministic), so no second encoding of a certificate verifies.
func FuzzOpen(f *testing.F) {
	for _, fx := range fuzzFixtures(f) {
		f.Add(fx.Envelope)
		f.Add(bytes.TrimSuffix(fx.Envelope, []byte("\n")))
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"00","sig":""}]}`))
	trusted := []ed25519.PublicKey{fuzzKey.Public()}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, id, err := Open(data, trusted)
		if err != nil {
			if FailureName(err) == "" {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if id != fuzzKey.KeyID() {
			t.Fatalf("accepted key %s", id)
		}
		again, err := Sign(st, fuzzKey)
		if err != nil {
			t.Fatalf("accepted statement does not sign: %v", err)
		}
		if !bytes.Equal(bytes.TrimSuffix(again, []byte("\n")), bytes.TrimSuffix(data, []byte("\n"))) {
			t.Fatalf("accepted a non-canonical envelope:\n%q\nre-signed:\n%q", data, again)
		}
	})
}

// FuzzTranscript: ParseTranscript never panics, and what it accepts
// re-encodes to the same bytes and Merkle root.
func FuzzTranscript(f *testing.F) {
	// A short seed: the fuzzer minimises interesting inputs, which is slow
	// for long ones.
	f.Add(certtest.New(f, certtest.ConstScores(60, 1), fuzzKey).Transcript)
	f.Add([]byte("{\"i\":0,\"digest\":\"" + string(bytes.Repeat([]byte("ab"), 32)) + "\",\"score\":0,\"mean\":0,\"lower\":0,\"upper\":1}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseTranscript(data)
		if err != nil {
			if FailureName(err) != "transcript" {
				t.Fatalf("error of the wrong class: %v", err)
			}
			return
		}
		enc, err := EncodeTranscript(tr.Records)
		if err != nil {
			t.Fatalf("accepted records do not encode: %v", err)
		}
		if !bytes.Equal(enc.Bytes(), data) || enc.Root() != tr.Root() {
			t.Fatalf("accepted a non-canonical transcript %q", data)
		}
		for i := range tr.Records {
			p, _ := tr.Proof(i)
			if !VerifyProof(LeafHash(tr.Line(i)), i, len(tr.Records), p, tr.Root()) {
				t.Fatalf("record %d: proof fails", i)
			}
			if _, err := json.Marshal(tr.Records[i]); err != nil {
				t.Fatal(err)
			}
		}
	})
}
