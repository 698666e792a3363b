package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/cert"
)

// trustCmd runs `pot trust` with stdin.
func trustCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := trustWith(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestTrustCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	alice, _ := cert.GenerateKey(nil)
	bob, _ := cert.GenerateKey(nil)
	aliceFile := filepath.Join(dir, "alice.pem")
	os.WriteFile(aliceFile, cert.MarshalPublicKey(alice.Public()), 0o644)

	if out, _, err := trustCmd(t, "", "add", aliceFile, "--name", "Alice", "--config-dir", cfg); err != nil || !strings.Contains(out, alice.KeyID()) {
		t.Fatalf("add file: %v %q", err, out)
	}
	if out, _, err := trustCmd(t, string(cert.MarshalPublicKey(bob.Public())), "add", "-", "--config-dir", cfg); err != nil || !strings.Contains(out, bob.KeyID()) {
		t.Fatalf("add stdin: %v %q", err, out)
	}
	out, _, err := trustCmd(t, "", "list", "--json", "--config-dir", cfg)
	var l struct {
		Keys []struct{ KeyID, Name string }
	}
	if err != nil || json.Unmarshal([]byte(out), &l) != nil || len(l.Keys) != 2 ||
		l.Keys[0].KeyID != bob.KeyID() || l.Keys[1].Name != "Alice" {
		t.Fatalf("list: %v %s", err, out)
	}
	if out, _, err := trustCmd(t, "", "list", "--config-dir", cfg); err != nil || !strings.Contains(out, "Alice") || !strings.Contains(out, bob.KeyID()) {
		t.Errorf("list: %v %q", err, out)
	}
	if out, _, err := trustCmd(t, "", "remove", alice.KeyID()[:10], "--config-dir", cfg); err != nil || !strings.Contains(out, "Alice") {
		t.Errorf("remove: %v %q", err, out)
	}
	if _, _, err := trustCmd(t, "", "remove", alice.KeyID(), "--config-dir", cfg); err == nil || !strings.Contains(err.Error(), "not in") {
		t.Errorf("remove twice: %v", err)
	}
	if out, _, err := trustCmd(t, "", "list", "--config-dir", cfg); err != nil || strings.Contains(out, "Alice") {
		t.Errorf("after remove: %v %q", err, out)
	}

	// Bad key files: clear errors naming the file; nothing stored.
	priv := filepath.Join(dir, "private.pem")
	os.WriteFile(priv, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not a key"), 0o644)
	for _, c := range []struct{ file, want string }{
		{priv, `PEM block "PRIVATE KEY", want "PUBLIC KEY"`},
		{junk, "no PEM block"},
		{filepath.Join(dir, "missing.pem"), "no such file"},
	} {
		_, _, err := trustCmd(t, "", "add", c.file, "--config-dir", cfg)
		if err == nil || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("add %s: err = %v, want it to name the file and say %q", c.file, err, c.want)
		}
	}
	if _, _, err := trustCmd(t, "junk", "add", "-", "--config-dir", cfg); err == nil || !strings.Contains(err.Error(), "standard input") {
		t.Errorf("bad stdin: %v", err)
	}
	if code, _, _ := runPot(t, "trust", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}

// TestVerifyTrust runs the commands end to end: a fingerprint by another
// installation's key is refused until trusted; --allow-untrusted marks the
// output, the certificate, `pot cert verify` and the report UNTRUSTED; a
// --seed run says the runner chose the seed.
func TestVerifyTrust(t *testing.T) {
	dir := t.TempDir()
	creatorDir, mine := filepath.Join(dir, "creator"), filepath.Join(dir, "mine")
	t.Setenv("POT_CONFIG_DIR", mine)
	model, fp := filepath.Join(dir, "ref.gguf"), filepath.Join(dir, "ref.potfp")
	if code, _, errs := runPot(t, "synth", "--shape", "tiny", "--type", "Q8_0", "--seed", "3", "-o", model); code != 0 {
		t.Fatalf("synth: %s", errs)
	}
	code, out, errs := runPot(t, "fingerprint", model, "-o", fp, "--pool", "32", "--k", "4", "--topk", "8",
		"--calibration", "8", "--profiles", "Q4_0", "--key-dir", creatorDir, "--threads", "2")
	if code != 0 {
		t.Fatalf("fingerprint: %s", errs)
	}
	creator, err := cert.LoadKey(creatorDir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, creator.KeyID()) || !strings.Contains(out, "pot trust add") {
		t.Errorf("pot fingerprint must name its key and how to trust it:\n%s", out)
	}
	certs := filepath.Join(dir, "certs")
	verify := func(extra ...string) (int, verifyOutput, string) {
		args := append([]string{"verify", model, "--fingerprint", fp, "--out", certs, "--json", "--threads", "2"}, extra...)
		code, out, errs := runPot(t, args...)
		var o verifyOutput
		if code == 0 || code == exitUntrusted {
			if err := json.Unmarshal([]byte(out), &o); err != nil {
				t.Fatalf("verify %v: %v\n%s", extra, err, out)
			}
		}
		return code, o, errs
	}

	// Refused: the message names the key and how to trust it.
	code, _, errs = verify()
	if code != exitBadInput || !strings.Contains(errs, creator.KeyID()) || !strings.Contains(errs, "pot trust add") || !strings.Contains(errs, "--allow-untrusted") {
		t.Fatalf("untrusted fingerprint: exit %d, %s", code, errs)
	}

	// Allowed: UNTRUSTED everywhere.
	code, o, errs := verify("--allow-untrusted", "--seed", strings.Repeat("ab", 32))
	if code != exitUntrusted || !o.Untrusted || o.ReferenceInfo.Fingerprint == nil || o.ReferenceInfo.Fingerprint.Trusted ||
		o.ReferenceInfo.Fingerprint.Creator != creator.KeyID() || o.ReferenceInfo.DigestSource != cert.DigestClaimed ||
		o.SeedChosenBy != cert.SeedByRunner {
		t.Fatalf("--allow-untrusted: exit %d %s, %+v", code, errs, o)
	}
	code, text, _ := runPot(t, "cert", "verify", o.Certificate)
	if code != exitUndecided || // valid, but not bound to a file (no --model) !strings.Contains(text, "UNTRUSTED") || !strings.Contains(text, creator.KeyID()) ||
		!strings.Contains(text, "claimed") || !strings.Contains(text, cert.RunnerSeedWarning) {
		t.Errorf("cert verify of an untrusted run: exit %d\n%s", code, text)
	}
	code, r := certVerifyJSON(t, o.Certificate)
	if code != exitUndecided || !r.Untrusted || r.Reference == nil || r.Reference.Fingerprint.Creator != creator.KeyID() ||
		r.SeedChosenBy != cert.SeedByRunner || r.CreatorTrustedHere {
		t.Errorf("cert verify --json: exit %d, %+v", code, r)
	}
	html := filepath.Join(dir, "report.html")
	if code, _, errs := runPot(t, "report", o.Certificate, "-o", html); code != 0 {
		t.Fatalf("report: %s", errs)
	}
	page, _ := os.ReadFile(html)
	if u := bytes.Index(page, []byte(`id="untrusted"`)); u < 0 || u > bytes.Index(page, []byte(`id="verdict"`)) {
		t.Errorf("the report must open with the UNTRUSTED notice")
	}

	// Trusted for one run by key id, then through the store.
	if code, o, errs := verify("--trust", creator.KeyID()); code != 0 || o.Untrusted || !o.ReferenceInfo.Fingerprint.Trusted || o.SeedChosenBy != cert.SeedByVerifier {
		t.Errorf("--trust KEYID: exit %d %s %+v", code, errs, o)
	}
	if code, _, errs := runPot(t, "key", "export", "--key-dir", creatorDir, "-o", filepath.Join(dir, "creator.pem")); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runPot(t, "trust", "add", filepath.Join(dir, "creator.pem"), "--name", "creator"); code != 0 {
		t.Fatal(errs)
	}
	code, o, errs = verify()
	if code != 0 || o.Untrusted || !o.ReferenceInfo.Fingerprint.Trusted {
		t.Errorf("trusted through the store: exit %d %s %+v", code, errs, o)
	}
	if code, text, _ := runPot(t, "cert", "verify", o.Certificate); code != exitUndecided || strings.Contains(text, "UNTRUSTED") ||
		!strings.Contains(text, "drawn fresh") || !strings.Contains(text, "you trust the fingerprint's creator key too") {
		t.Errorf("cert verify of a trusted run:\n%s", text)
	}
}

// TestPrintVerifyUntrusted: the text output marks the verdict UNTRUSTED on
// its first line, names the reference, its claimed digest and creator key,
// and a runner-chosen seed.
func TestPrintVerifyUntrusted(t *testing.T) {
	creator := strings.Repeat("c", 64)
	o := &verifyOutput{Verdict: "SAME", Reason: "r", SeedChosenBy: cert.SeedByRunner, Untrusted: true,
		ReferenceInfo: cert.Reference{Kind: cert.RefFingerprint, Name: "ref.potfp", Digest: cert.Digest{SHA256: strings.Repeat("d", 64)},
			DigestSource: cert.DigestClaimed, Fingerprint: &cert.FingerprintRef{Digest: cert.Digest{SHA256: strings.Repeat("f", 64)}, Creator: creator}}}
	var b bytes.Buffer
	printVerify(&b, o)
	lines := strings.Split(b.String(), "\n")
	if !strings.HasPrefix(lines[0], "SAME, UNTRUSTED") || !strings.Contains(lines[1], creator) ||
		!strings.Contains(lines[1], "claimed") || !strings.Contains(lines[1], "ref.potfp") ||
		!strings.Contains(b.String(), cert.RunnerSeedWarning) {
		t.Errorf("output:\n%s", b.String())
	}
	o.Untrusted, o.SeedChosenBy, o.ReferenceInfo = false, cert.SeedByVerifier,
		cert.Reference{Kind: cert.RefModel, Name: "ref.gguf", Digest: cert.Digest{SHA256: strings.Repeat("d", 64)}, DigestSource: cert.DigestComputed}
	b.Reset()
	printVerify(&b, o)
	if s := b.String(); strings.Contains(s, "UNTRUSTED") || !strings.Contains(s, "ref.gguf") || !strings.Contains(s, "computed") ||
		strings.Contains(s, cert.RunnerSeedWarning) {
		t.Errorf("output:\n%s", s)
	}
}
