package cert_test

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

func TestWriteFiles(t *testing.T) {
	f := certtest.New(t, certtest.SameScores(60), nil)
	dir := filepath.Join(t.TempDir(), "certs")
	var certs []string
	for i := 0; i < 2; i++ {
		st := *f.Statement
		cp, tp, err := WriteFiles(dir, &st, f.Records, f.Key)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(tp) != dir || filepath.Base(tp) != st.Predicate.Transcript.Name {
			t.Errorf("transcript %s, statement names %s", tp, st.Predicate.Transcript.Name)
		}
		env, _ := os.ReadFile(cp)
		tr, _ := os.ReadFile(tp)
		if _, err := Verify(env, Options{Trusted: []ed25519.PublicKey{f.Key.Public()}, Transcript: tr, Rederive: certtest.Rederive}); err != nil {
			t.Errorf("written certificate: %v", err)
		}
		certs = append(certs, cp)
	}
	if certs[0] == certs[1] {
		t.Errorf("second certificate overwrote the first: %s", certs[0])
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v", fi.Mode())
	}
}
