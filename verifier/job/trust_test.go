package job

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/variant"
)

// forgedFingerprint makes the forgery: a fingerprint of an edited
// model, re-sealed by the forger's key with the genuine model's identity.
// It returns the edited model and the forged fingerprint.
func forgedFingerprint(t *testing.T, genuine string, forger *cert.Key) (edited, forged string) {
	t.Helper()
	dir := t.TempDir()
	edited = filepath.Join(dir, "edited.gguf")
	if err := variant.Write(genuine, edited, variant.Noise("blk.2.ffn_down.weight", 0.05, 3)); err != nil {
		t.Fatal(err)
	}
	forged = filepath.Join(dir, "forged.potfp")
	if _, err := CreateFingerprint(FingerprintConfig{Reference: edited, Out: forged, Key: forger, PoolSize: 64,
		Profiles: []synth.FileType{}, TempDir: dir}); err != nil {
		t.Fatal(err)
	}
	fp, err := fingerprint.Read(forged, fingerprint.Trust{Keys: []ed25519.PublicKey{forger.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := gguf.Open(genuine)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	id, err := identity.Compute(g, identity.Options{PerTensor: true})
	if err != nil {
		t.Fatal(err)
	}
	fp.Header.Reference = *id
	if _, err := fingerprint.Write(forged, &fp.Header, fp.Pool, forger); err != nil {
		t.Fatal(err)
	}
	return edited, forged
}

// TestForgedFingerprint: the forgery is refused unless its key is trusted
// or untrusted fingerprints are allowed, and then the result says so.
func TestForgedFingerprint(t *testing.T) {
	genuine := testdata.Path(t, "stories260K.gguf")
	forger, _ := cert.GenerateKey(rand.Reader)
	honest, _ := cert.GenerateKey(rand.Reader)
	edited, forged := forgedFingerprint(t, genuine, forger)
	p, _ := LookupPreset("quick")
	run := func(keys []ed25519.PublicKey, allow bool) (*Result, error) {
		return Run(Config{Candidate: edited, Fingerprint: forged, Trust: fingerprint.Trust{Keys: keys, AllowUntrusted: allow},
			Preset: p, Threads: 2, Seed: bytes.Repeat([]byte{3}, 32)})
	}
	for _, keys := range [][]ed25519.PublicKey{nil, {honest.Public()}} {
		_, err := run(keys, false)
		var ue *fingerprint.UntrustedError
		if !errors.As(err, &ue) || ue.KeyID != forger.KeyID() || !strings.Contains(err.Error(), forger.KeyID()) {
			t.Errorf("%d trusted keys, none the forger's: err = %v, want a refusal naming key %s", len(keys), err, forger.KeyID())
		}
	}
	for _, tc := range []struct {
		name    string
		keys    []ed25519.PublicKey
		allow   bool
		trusted bool
	}{
		{"untrusted allowed", []ed25519.PublicKey{honest.Public()}, true, false},
		{"forger trusted", []ed25519.PublicKey{forger.Public()}, false, true},
	} {
		res, err := run(tc.keys, tc.allow)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ref := res.Statement().Predicate.Reference
		if ref.Fingerprint == nil || ref.Fingerprint.Trusted != tc.trusted || ref.Fingerprint.Creator != forger.KeyID() ||
			ref.Untrusted() == tc.trusted || ref.DigestSource != cert.DigestClaimed {
			t.Errorf("%s: reference %+v %+v, want trusted %v, creator %s, digest claimed", tc.name, ref, ref.Fingerprint, tc.trusted, forger.KeyID())
		}
		if res.SeedChosenBy != cert.SeedByRunner {
			t.Errorf("%s: seed chosen by %q, want runner", tc.name, res.SeedChosenBy)
		}
		t.Logf("%s: %s (%s)", tc.name, res.Verdict, res.Reason)
	}
}

// TestSeedChooser: a fresh seed is the verifier's; a given one the
// runner's, and the certificate records which.
func TestSeedChooser(t *testing.T) {
	ref := testdata.Path(t, "stories260K.gguf")
	p, _ := LookupPreset("quick")
	for _, tc := range []struct {
		seed []byte
		want string
	}{{nil, cert.SeedByVerifier}, {bytes.Repeat([]byte{9}, 32), cert.SeedByRunner}} {
		res, err := Run(Config{Candidate: ref, Reference: ref, Preset: p, Seed: tc.seed})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Statement().Predicate.Seed.ChosenBy; got != tc.want {
			t.Errorf("seed %x: chosen by %q, want %q", tc.seed, got, tc.want)
		}
	}
}
