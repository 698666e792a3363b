package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

func TestReportCommand(t *testing.T) {
	keyDir := filepath.Join(t.TempDir(), "key")
	cp, model := certFiles(t, keyDir, certtest.ConstScores(60, 1))
	html := filepath.Join(t.TempDir(), "r.html")
	code, out, errOut := runPot(t, "report", cp, "-o", html, "--key-dir", keyDir, "--model", model)
	if code != 0 || !strings.Contains(out, "DIFFERENT (verified certificate)") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	page, _ := os.ReadFile(html)
	for _, w := range []string{"DIFFERENT: the candidate behaves differently", "Certificate verified", "The model file was rehashed", `id="cs-upper-0"`} {
		if !bytes.Contains(page, []byte(w)) {
			t.Errorf("page lacks %q", w)
		}
	}

	// A certificate that does not verify is refused, or shown as such.
	tr := strings.TrimSuffix(cp, cert.CertSuffix) + cert.TranscriptSuffix
	b, _ := os.ReadFile(tr)
	b[10] ^= 1
	os.WriteFile(tr, b, 0o644)
	html2 := filepath.Join(t.TempDir(), "r2.html")
	if code, _, errOut := runPot(t, "report", cp, "-o", html2, "--key-dir", keyDir); code != 1 || !strings.Contains(errOut, "NOT valid") {
		t.Errorf("damaged certificate: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(html2); err == nil {
		t.Error("page written for a certificate that does not verify")
	}
	code, out, _ = runPot(t, "report", cp, "-o", html2, "--key-dir", keyDir, "--unverified")
	page, _ = os.ReadFile(html2)
	if code != 0 || !strings.Contains(out, "NOT verified") || !bytes.Contains(page, []byte("This certificate was NOT verified")) || bytes.Contains(page, []byte("Certificate verified")) {
		t.Errorf("--unverified: exit %d %s", code, out)
	}
	if code, _, _ := runPot(t, "report", cp); code != 2 {
		t.Errorf("without -o: exit %d, want 2", code)
	}
}
