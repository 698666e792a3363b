package cert_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/proof-of-training/pot/verifier/cert"
)

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "pot")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	k2, err := LoadOrCreateKey(dir)
	if err != nil || k2.KeyID() != k1.KeyID() {
		t.Fatalf("second use gave another key (%v)", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, KeyFile))
	if !bytes.Equal(before, after) {
		t.Error("key file rewritten")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only the key", len(ents))
	}
	if len(k1.KeyID()) != 64 || KeyID(k1.Public()) != k1.KeyID() {
		t.Errorf("key id %q", k1.KeyID())
	}
}

// TestKeyNeverOverwritten: a damaged or foreign key file is reported, never
// replaced.
func TestKeyNeverOverwritten(t *testing.T) {
	for _, c := range []struct {
		name string
		data string
		mode fs.FileMode
	}{
		{"garbage", "not a key\n", 0o600},
		{"public-key", string(MarshalPublicKey(make([]byte, 32))), 0o600},
		{"open-mode", "", 0o644},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFile)
			data := []byte(c.data)
			if len(data) == 0 { // a good key, made readable by others
				if _, err := LoadOrCreateKey(dir); err != nil {
					t.Fatal(err)
				}
				data, _ = os.ReadFile(path)
			}
			os.WriteFile(path, data, c.mode)
			os.Chmod(path, c.mode)
			_, err := LoadOrCreateKey(dir)
			if !errors.Is(err, ErrKey) {
				t.Errorf("LoadOrCreateKey: %v, want ErrKey", err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
				t.Error("key file changed")
			}
		})
	}
}

func TestKeyConcurrentCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pot")
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := LoadOrCreateKey(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.KeyID()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent first uses made different keys: %v", ids)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d entries left in the key directory", len(ents))
	}
}

func TestPublicKeyFile(t *testing.T) {
	k, _ := GenerateKey(nil)
	pemData := MarshalPublicKey(k.Public())
	pub, err := ParsePublicKey(pemData)
	if err != nil || !pub.Equal(k.Public()) {
		t.Fatalf("round trip: %v", err)
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	for name, data := range map[string][]byte{
		"empty":      nil,
		"garbage":    []byte("ssh-ed25519 AAAA"),
		"ecdsa":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}),
		"two-blocks": append(bytes.Clone(pemData), pemData...),
		"private":    []byte(strings.Replace(string(pemData), "PUBLIC", "PRIVATE", 2)),
		"bad-der":    pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}),
		"huge":       bytes.Repeat([]byte("A"), (16<<10)+1),
	} {
		if _, err := ParsePublicKey(data); !errors.Is(err, ErrKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// OpenSSL reads both files and agrees on the public key.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("openssl not installed: interoperability not checked")
		return
	}
	dir := t.TempDir()
	if _, err := LoadOrCreateKey(dir); err != nil {
		t.Fatal(err)
	}
	k2, _ := LoadKey(dir)
	out, err := exec.Command(openssl, "pkey", "-in", filepath.Join(dir, KeyFile), "-pubout").Output()
	if err != nil {
		t.Fatalf("openssl pkey: %v", err)
	}
	if !bytes.Equal(out, MarshalPublicKey(k2.Public())) {
		t.Errorf("openssl public key\n%s\nours\n%s", out, MarshalPublicKey(k2.Public()))
	}
}

// TestDirs: the rules are appdirs' (tested there); cert only delegates.
func TestDirs(t *testing.T) {
	e := Env{GOOS: "linux", Home: "/home/ada", ConfigDir: "/tmp/k"}
	cfg, err1 := ConfigDir(e)
	data, err2 := DataDir(e)
	if cfg != "/tmp/k" || data != "/home/ada/.local/share/pot/certificates" || err1 != nil || err2 != nil {
		t.Errorf("config %q (%v), data %q (%v)", cfg, err1, data, err2)
	}
}
