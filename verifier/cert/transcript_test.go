package cert_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

func TestTranscriptRoundTrip(t *testing.T) {
	f := certtest.New(t, certtest.SameScores(60), nil)
	tr, err := ParseTranscript(f.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Records) != len(f.Records) || !bytes.Equal(tr.Bytes(), f.Transcript) {
		t.Fatalf("parsed %d records", len(tr.Records))
	}
	enc, _ := EncodeTranscript(tr.Records)
	if !bytes.Equal(enc.Bytes(), f.Transcript) || enc.Root() != tr.Root() {
		t.Error("re-encoding differs")
	}
	root := tr.Root()
	lines := bytes.Split(bytes.TrimSuffix(f.Transcript, []byte("\n")), []byte("\n"))
	for i := range tr.Records {
		if !bytes.Equal(tr.Line(i), lines[i]) {
			t.Fatalf("Line(%d) = %q", i, tr.Line(i))
		}
		p, err := tr.Proof(i)
		if err != nil || !VerifyProof(LeafHash(tr.Line(i)), i, len(tr.Records), p, root) {
			t.Fatalf("record %d: proof does not verify (%v)", i, err)
		}
	}
}

// TestTranscriptHostile pairs malformed transcripts with the error each must
// produce.
func TestTranscriptHostile(t *testing.T) {
	good := `{"i":0,"digest":"` + strings.Repeat("ab", 32) + `","distance":0.5,"rank":3,"levels":[{"score":0.5,"mean":0.5,"lower":0.1,"upper":0.9}]}`
	rec := func(old, new string) string { return strings.Replace(good, old, new, 1) + "\n" }
	for _, c := range []struct{ name, data, want string }{
		{"no-final-newline", good, "last line is not terminated"},
		{"empty-line", "\n", "line 1: EOF"},
		{"blank-second-line", good + "\n\n", "line 2: EOF"},
		{"wrong-index", rec(`"i":0`, `"i":1`), "line 1: i 1, want 0"},
		{"unknown-field", rec(`"i":0`, `"i":0,"x":1`), `unknown field "x"`},
		{"nan", rec(`"score":0.5`, `"score":NaN`), "invalid character 'N'"},
		{"huge", rec(`"score":0.5`, `"score":1e400`), "cannot unmarshal number 1e400"},
		{"score-range", rec(`"score":0.5`, `"score":1.5`), "need values in [0,1]"},
		{"distance-range", rec(`"distance":0.5`, `"distance":2`), "distance 2"},
		{"negative-rank", rec(`"rank":3`, `"rank":-1`), "rank -1"},
		{"no-levels", rec(`[{"score":0.5,"mean":0.5,"lower":0.1,"upper":0.9}]`, `[]`), "0 levels"},
		{"bounds-order", rec(`"lower":0.1`, `"lower":0.95`), "lower ≤ upper"},
		{"negative-zero-bound", rec(`"lower":0.1`, `"lower":-0.1`), "need values in [0,1]"},
		{"spaces", rec(`"i":0`, `"i": 0`), "canonical"},
		{"number-form", rec(`"score":0.5`, `"score":5e-1`), "canonical"},
		{"duplicate-key", rec(`"i":0`, `"i":0,"i":0`), "canonical"},
		{"case-folded", rec(`"score"`, `"Score"`), "canonical"},
		{"digest-short", rec(strings.Repeat("ab", 32), "abcd"), "hex digits"},
		{"digest-upper", rec(strings.Repeat("ab", 32), strings.Repeat("AB", 32)), "lower-case hex"},
		{"empty-positions", rec(`"distance"`, `"positions":[],"distance"`), "canonical"},
		{"negative-token", rec(`"distance"`, `"positions":[{"pos":1,"ref":-1,"cand":2,"d":0}],"distance"`), "negative"},
		{"trailing-garbage", rec(`.9}]}`, `.9}]}x`), "data after"},
		{"array", "[]\n", "cannot unmarshal array"},
		{"long-line", strings.Repeat(" ", (64<<10)+1) + "\n", "bytes, at most"},
	} {
		_, err := ParseTranscript([]byte(c.data))
		if !errors.Is(err, ErrTranscript) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	if tr, err := ParseTranscript(nil); err != nil || len(tr.Records) != 0 {
		t.Errorf("empty transcript: %v", err)
	}
}
