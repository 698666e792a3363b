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

// runPot runs the pot command line and returns its exit code and output.
func runPot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestKeyCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	code, out, errOut := runPot(t, "key", "show", "--key-dir", dir)
	if code != 0 {
		t.Fatalf("key show: %d %s", code, errOut)
	}
	// The first use says once that a key was made, and where.
	if want := "pot: created this installation's signing key " + filepath.Join(dir, cert.KeyFile); !strings.HasPrefix(errOut, want) {
		t.Errorf("first use: stderr %q, want it to start with %q", errOut, want)
	}
	if _, _, errOut := runPot(t, "key", "show", "--key-dir", dir); errOut != "" {
		t.Errorf("second use: stderr %q, want nothing", errOut)
	}
	k, err := cert.LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "fingerprint: "+k.KeyID()) || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Errorf("key show printed:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(dir, cert.KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v (%v)", fi.Mode(), err)
	}

	// POT_CONFIG_DIR chooses the directory too, and the key is reused.
	t.Setenv("POT_CONFIG_DIR", dir)
	code, out, _ = runPot(t, "key", "show", "--json")
	var js struct {
		Fingerprint string
		PublicKey   string `json:"public_key"`
		KeyFile     string `json:"key_file"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || js.Fingerprint != k.KeyID() || js.KeyFile != filepath.Join(dir, cert.KeyFile) {
		t.Errorf("key show --json: %d %s", code, out)
	}

	pub := filepath.Join(t.TempDir(), "pub.pem")
	if code, _, errOut := runPot(t, "key", "export", "-o", pub); code != 0 {
		t.Fatalf("key export: %s", errOut)
	}
	data, _ := os.ReadFile(pub)
	p, err := cert.ParsePublicKey(data)
	if err != nil || !p.Equal(k.Public()) {
		t.Errorf("exported key: %v", err)
	}
	if code, out, _ := runPot(t, "key", "export"); code != 0 || out != string(data) {
		t.Errorf("key export to stdout: %q", out)
	}
	for _, args := range [][]string{{"key"}, {"key", "rotate"}, {"key", "show", "extra"}} {
		if code, _, _ := runPot(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
