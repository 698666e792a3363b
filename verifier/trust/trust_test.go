package trust

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/cert"
)

func newKey(t *testing.T) *cert.Key {
	t.Helper()
	k, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestRoundTrip: add, list, find, rename, remove.
func TestRoundTrip(t *testing.T) {
	s := Open(t.TempDir())
	if es, err := s.List(); err != nil || len(es) != 0 {
		t.Fatalf("empty store: %v %v", es, err)
	}
	alice, bob := newKey(t), newKey(t)
	if _, err := s.Add(alice.Public(), "Alice"); err != nil {
		t.Fatal(err)
	}
	e, err := s.Add(bob.Public(), "")
	if err != nil {
		t.Fatal(err)
	}
	// A stored key is a valid public key file.
	if pub, err := ReadKeyFile(e.Path); err != nil || !pub.Equal(bob.Public()) {
		t.Errorf("stored file %s: %v", e.Path, err)
	}
	es, err := s.List()
	if err != nil || len(es) != 2 || es[0].KeyID != bob.KeyID() || es[1].Name != "Alice" || !es[1].Key.Equal(alice.Public()) {
		t.Fatalf("list: %+v %v", es, err)
	}
	if _, err := s.Add(bob.Public(), "Bob"); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Find(bob.KeyID()[:12]); err != nil || e.Name != "Bob" {
		t.Errorf("renamed: %+v %v", e, err)
	}
	keys, err := s.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %d %v", len(keys), err)
	}
	if e, err := s.Remove(strings.ToUpper(alice.KeyID())); err != nil || e.Name != "Alice" {
		t.Fatalf("remove: %+v %v", e, err)
	}
	if _, err := s.Find(alice.KeyID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed key found: %v", err)
	}
	if _, err := s.Remove(alice.KeyID()); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed twice: %v", err)
	}
}

func TestFindRefuses(t *testing.T) {
	s := Open(t.TempDir())
	s.Add(newKey(t).Public(), "x")
	for _, id := range []string{"", "abc", "zzzzzzzzzz", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX"} {
		if _, err := s.Find(id); err == nil {
			t.Errorf("Find(%q) accepted", id)
		}
	}
}

// TestBadKeys: every malformed key file gives an error naming the file and
// the problem; nothing is stored.
func TestBadKeys(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t)
	good := string(cert.MarshalPublicKey(k.Public()))
	for _, tc := range []struct{ name, data, want string }{
		{"empty", "", "no PEM block"},
		{"text", "hello\n", "no PEM block"},
		{"private", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", `PEM block "PRIVATE KEY"`},
		{"garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "bad key file"},
		{"two", good + good, "more than one PEM block"},
		{"huge", strings.Repeat("x", maxKeyFile+1), "larger than"},
	} {
		path := filepath.Join(dir, tc.name+".pem")
		os.WriteFile(path, []byte(tc.data), 0o644)
		_, err := ReadKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %s and saying %q", tc.name, err, path, tc.want)
		}
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "missing.pem")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing file: %v", err)
	}
}

// TestCorruptStore: a stored file under another key's name, or a broken
// one, is an error naming it, never skipped.
func TestCorruptStore(t *testing.T) {
	s := Open(t.TempDir())
	a, b := newKey(t), newKey(t)
	e, err := s.Add(a.Public(), "a")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.Dir(), b.KeyID()+".pem"), cert.MarshalPublicKey(a.Public()), 0o644)
	if _, err := s.Keys(); err == nil || !strings.Contains(err.Error(), b.KeyID()+".pem") {
		t.Errorf("mislabelled key: %v", err)
	}
	os.Remove(filepath.Join(s.Dir(), b.KeyID()+".pem"))
	os.WriteFile(e.Path, []byte("name: a\x01\n"+string(cert.MarshalPublicKey(a.Public()))), 0o644)
	if _, err := s.List(); err == nil || !strings.Contains(err.Error(), e.Path) {
		t.Errorf("bad name line: %v", err)
	}
}

func TestBadNames(t *testing.T) {
	s := Open(t.TempDir())
	for _, n := range []string{"a\nb", " padded", strings.Repeat("n", maxName+1), "\xff"} {
		if _, err := s.Add(newKey(t).Public(), n); err == nil {
			t.Errorf("name %q accepted", n)
		}
	}
	if es, _ := s.List(); len(es) != 0 {
		t.Errorf("refused names stored: %v", es)
	}
}
