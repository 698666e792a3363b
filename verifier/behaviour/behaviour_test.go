package behaviour

import (
	"bytes"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// TestModelSourceDerivation: the probes a run scores carry exactly the
// digests its recorded derivation re-derives (what pot cert verify checks),
// token challenges use only allowed ids, and the reference scored on its
// own ids is at distance zero from itself.
func TestModelSourceDerivation(t *testing.T) {
	f, err := gguf.Open(testdata.Path(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := engine.Load(f, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	seed := bytes.Repeat([]byte{4}, 32)
	src, err := NewModelSource(seed, tok, sess, 8, 16)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := src.Probes(0, 24)
	if err != nil {
		t.Fatal(err)
	}
	d := src.Derivation()
	ds, err := d.Digests(seed, 24)
	if err != nil {
		t.Fatal(err)
	}
	tokens := 0
	for i, p := range ps {
		if p.Digest != ds[i] {
			t.Fatalf("probe %d: digest differs from the derivation's", i)
		}
		if len(p.Pos) == 0 || len(p.IDs) != len(p.Pos) {
			t.Fatalf("probe %d: %d positions, %d id lists", i, len(p.Pos), len(p.IDs))
		}
		if len(p.Tokens) == 33 {
			tokens++
			for _, id := range p.Tokens[1:] {
				if tok.IsControl(id) {
					t.Fatalf("probe %d draws control token %d", i, id)
				}
			}
		}
	}
	if tokens == 0 || tokens == len(ps) {
		t.Errorf("%d of %d probes are token challenges: want a mixture", tokens, len(ps))
	}
	ms, err := Measure(sess, ps)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Distance > 1e-6 {
			t.Errorf("probe %d: the reference is at distance %v from itself", i, m.Distance)
		}
	}
}

func TestPoolSourceRefusesSmallPool(t *testing.T) {
	fp := &fingerprint.Fingerprint{Pool: make([]fingerprint.Challenge, 10)}
	if _, err := NewPoolSource(bytes.Repeat([]byte{1}, 32), fp, 11); err == nil {
		t.Error("a pool of 10 accepted for 11 challenges")
	}
	if _, err := NewPoolSource(bytes.Repeat([]byte{1}, 32), fp, 10); err != nil {
		t.Error(err)
	}
}
