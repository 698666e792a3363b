package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
	"github.com/proof-of-training/pot/verifier/challenge"
)

// certFiles writes a certificate made with the real challenge derivation
// (challenge.Derivation, pool kind) and key dir's key, and the candidate file.
func certFiles(t *testing.T, keyDir string, scores []float64) (certPath, modelPath string) {
	t.Helper()
	key, err := cert.LoadOrCreateKey(keyDir)
	if err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256([]byte("fingerprint"))
	d := challenge.Derivation{Kind: challenge.KindPool, Fingerprint: hex.EncodeToString(fp[:]), PoolSize: 500}
	dj, _ := json.Marshal(d)
	f := certtest.Build(t, scores, key, certtest.Derivation{JSON: dj, Digest: func(seed []byte, i int) ([32]byte, error) {
		ds, err := d.Digests(seed, i+1)
		if err != nil {
			return [32]byte{}, err
		}
		return ds[i], nil
	}})
	dir := t.TempDir()
	modelPath = filepath.Join(dir, f.Statement.Subject[0].Name)
	if err := os.WriteFile(modelPath, f.Model, 0o644); err != nil {
		t.Fatal(err)
	}
	certPath, _, err = cert.WriteFiles(filepath.Join(dir, "certs"), f.Statement, f.Records, key)
	if err != nil {
		t.Fatal(err)
	}
	return certPath, modelPath
}

func certVerifyJSON(t *testing.T, args ...string) (int, certVerifyOutput) {
	t.Helper()
	code, out, _ := runPot(t, append([]string{"cert", "verify", "--json"}, args...)...)
	var r certVerifyOutput
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("cert verify %v printed %q: %v", args, out, err)
	}
	return code, r
}

func TestCertVerifyCommand(t *testing.T) {
	keyDir := filepath.Join(t.TempDir(), "key")
	cp, model := certFiles(t, keyDir, certtest.SameScores(60))
	code, r := certVerifyJSON(t, cp, "--key-dir", keyDir, "--model", model)
	if code != 0 || !r.Valid || r.Verdict != "SAME" || !r.Rederived || !r.Model || r.N == 0 {
		t.Fatalf("valid certificate: exit %d, %+v", code, r)
	}
	code, out, _ := runPot(t, "cert", "verify", cp, "--key-dir", keyDir)
	for _, w := range []string{"signature    ok", "decision     ok, replayed", "challenges   ok", "model        NOT BOUND to any file", "verdict      SAME",
		"valid, but not bound to any file: it is about " + r.Subject + " with sha256 " + r.SHA256} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if code != exitUndecided {
		t.Errorf("valid certificate without --model: exit %d, want %d", code, exitUndecided)
	}

	// Each kind of damage is named.
	tr := strings.TrimSuffix(cp, cert.CertSuffix) + cert.TranscriptSuffix
	damage := func(path string, off int) func() {
		orig, _ := os.ReadFile(path)
		b := bytes.Clone(orig)
		b[off%len(b)] ^= 1
		os.WriteFile(path, b, 0o644)
		return func() { os.WriteFile(path, orig, 0o644) }
	}
	other := filepath.Join(t.TempDir(), "other")
	if _, err := cert.LoadOrCreateKey(other); err != nil {
		t.Fatal(err)
	}
	signerPub := filepath.Join(t.TempDir(), "signer.pem")
	runPot(t, "key", "export", "--key-dir", keyDir, "-o", signerPub)
	for _, c := range []struct {
		name    string
		damage  func() func()
		args    []string
		failure string
		code    int
	}{
		{"envelope-byte", func() func() { return damage(cp, 200) }, nil, "signature", exitDifferent},
		{"transcript-byte", func() func() { return damage(tr, 100) }, nil, "transcript", exitDifferent},
		{"model-byte", func() func() { return damage(model, 7) }, []string{"--model", model}, "model-digest", exitDifferent},
		{"no-transcript", func() func() { os.Rename(tr, tr+".x"); return func() { os.Rename(tr+".x", tr) } }, nil, "transcript", exitBadInput},
		{"other-installation", nil, []string{"--key-dir", other}, "untrusted-key", exitDifferent},
		{"signer-given", nil, []string{"--key-dir", other, "--pubkey", signerPub}, "", exitUndecided},
		{"signer-given-bound", nil, []string{"--key-dir", other, "--pubkey", signerPub, "--model", model}, "", exitOK},
		{"not-a-certificate", func() func() { return damage(cp, 0) }, nil, "envelope", exitDifferent},
		{"no-key-to-trust", nil, []string{"--key-dir", filepath.Join(t.TempDir(), "none")}, "", exitBadInput},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.damage != nil {
				defer c.damage()()
			}
			args := append([]string{cp}, c.args...)
			if len(c.args) == 0 || c.args[0] != "--key-dir" {
				args = append(args, "--key-dir", keyDir)
			}
			code, r := certVerifyJSON(t, args...)
			if r.Failure != c.failure || code != c.code || r.Valid != (c.code == exitOK || c.code == exitUndecided) {
				t.Errorf("exit %d, failure %q (%s), want %q", code, r.Failure, r.Error, c.failure)
			}
		})
	}
	if code, _, _ := runPot(t, "cert", "verify"); code != exitUsage {
		t.Errorf("no certificate: exit %d, want 2", code)
	}
	if code, _, _ := runPot(t, "cert", "check", cp); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}

// TestVerifyThenCertVerify runs the whole chain on real models: pot verify
// writes a certificate and transcript, pot cert verify accepts them with
// the candidate file and refuses the wrong file, and pot report renders
// them.
func TestVerifyThenCertVerify(t *testing.T) {
	for _, c := range []struct {
		name, cand, ref string
		extra           []string
		verdict         string
		behaviour       bool
	}{
		{"same-by-weights", "qwen2-tiny-Q8_0.gguf", "qwen2-tiny-F32.gguf", nil, "SAME", false},
		{"behavioural", "qwen2-tiny-Q4_K.gguf", "qwen2-tiny-F32.gguf", []string{"--behaviour"}, "SAME", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cand, ref := testdata.Path(t, c.cand), testdata.Path(t, c.ref)
			dir := t.TempDir()
			keyDir, out := filepath.Join(dir, "key"), filepath.Join(dir, "certs")
			args := append([]string{"verify", cand, "--ref", ref, "--mode", "quick", "--out", out, "--key-dir", keyDir, "--json"}, c.extra...)
			code, stdout, stderr := runPot(t, args...)
			if code != 0 {
				t.Fatalf("pot verify: exit %d: %s", code, stderr)
			}
			var v verifyOutput
			if err := json.Unmarshal([]byte(stdout), &v); err != nil {
				t.Fatal(err)
			}
			if v.Verdict != c.verdict || (v.N > 0) != c.behaviour || filepath.Dir(v.Certificate) != out || filepath.Dir(v.Transcript) != out {
				t.Fatalf("pot verify: %s n=%d, certificate %q transcript %q", v.Verdict, v.N, v.Certificate, v.Transcript)
			}
			code, r := certVerifyJSON(t, v.Certificate, "--key-dir", keyDir, "--model", cand)
			if code != 0 || !r.Valid || r.Verdict != v.Verdict || r.N != v.N || (c.behaviour && !r.Rederived) {
				t.Fatalf("pot cert verify: exit %d %+v", code, r)
			}
			if code, r := certVerifyJSON(t, v.Certificate, "--key-dir", keyDir, "--model", ref); code != 1 || r.Failure != "model-digest" {
				t.Errorf("reference file accepted as the candidate: exit %d %+v", code, r)
			}
			html := filepath.Join(dir, "report.html")
			if code, _, stderr := runPot(t, "report", v.Certificate, "-o", html, "--key-dir", keyDir); code != 0 {
				t.Fatalf("pot report: %s", stderr)
			}
			page, _ := os.ReadFile(html)
			if !bytes.Contains(page, []byte("Certificate verified")) || bytes.Contains(page, []byte("<svg")) != c.behaviour {
				t.Errorf("report: verified %v, plot %v", bytes.Contains(page, []byte("Certificate verified")), bytes.Contains(page, []byte("<svg")))
			}
		})
	}
}
