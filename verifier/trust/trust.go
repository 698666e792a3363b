// Package trust keeps the public keys whose fingerprints the user trusts.
//
// A fingerprint says which model it describes and holds that model's
// answers, sealed by its creator's Ed25519 key. Anyone can make one that
// claims any model's identity, so a fingerprint counts only if its creator
// key is trusted: the key is in this store, or the user names it for one
// run.
//
// The store is a directory (KeysDir inside the directory the caller passes,
// normally PoT's config directory) with one file per key, named by the key
// id (cert.KeyID: the SHA-256 of the raw public key) plus ".pem". Each file
// is the key as `pot key export` writes it (PEM "PUBLIC KEY", PKIX),
// optionally preceded by a line "name: NAME"; PEM readers skip that line,
// so a stored key can be passed wherever a public key file is wanted.
//
// Left out: expiry, revocation lists and signatures over the store; the
// store is as trustworthy as the user's config directory. Security stance:
// key files are read with a size cap, parsed strictly (cert.ParsePublicKey),
// and a stored file must hold the key its name says; a file that does not
// is an error naming the file, never silently skipped or trusted.
package trust

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
)

// KeysDir is the store's directory inside the config directory.
const KeysDir = "trusted-keys"

// Limits: a PEM Ed25519 public key is 113 bytes; names are one short line.
const (
	maxKeyFile = 16 << 10
	maxName    = 200
	// minPrefix is the shortest key-id prefix Remove and Find accept, so a
	// typo cannot match a key by chance.
	minPrefix = 8
)

// namePrefix opens the optional name line of a stored key file.
const namePrefix = "name: "

// ErrNotFound: no stored key matches a key id.
var ErrNotFound = errors.New("trust: no such key")

// Store is a directory of trusted keys.
type Store struct {
	dir string
}

// Open returns the store inside configDir; nothing is created until a key
// is added.
func Open(configDir string) *Store { return &Store{dir: filepath.Join(configDir, KeysDir)} }

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Entry is one trusted key.
type Entry struct {
	KeyID string            `json:"keyId"` // cert.KeyID of Key
	Name  string            `json:"name"`  // the user's label; may be empty
	Key   ed25519.PublicKey `json:"-"`
	Path  string            `json:"path"` // the stored file
}

// ParseKey parses a public key file's contents (PEM "PUBLIC KEY", Ed25519),
// as `pot key export` writes it. Errors match cert.ErrKey.
func ParseKey(data []byte) (ed25519.PublicKey, error) {
	return cert.ParsePublicKey(data)
}

// ReadKeyFile reads and parses the public key file at path; errors name the
// file.
func ReadKeyFile(path string) (ed25519.PublicKey, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	pub, err := ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w (want an Ed25519 key as `pot key export` writes it)", path, err)
	}
	return pub, nil
}

// readCapped reads at most maxKeyFile bytes of path; more is an error.
func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCapped(f, path)
}

// ReadCapped reads a key file from r (name is for errors), refusing more
// than a key file can hold.
func ReadCapped(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", name, err)
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("public key %s: %w: larger than %d bytes", name, cert.ErrKey, maxKeyFile)
	}
	return data, nil
}

// checkName checks a key's label: one line of printable UTF-8.
func checkName(name string) error {
	if len(name) > maxName {
		return fmt.Errorf("trust: name of %d bytes, at most %d", len(name), maxName)
	}
	if !utf8.ValidString(name) {
		return errors.New("trust: name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("trust: name contains control character %U", r)
		}
	}
	if strings.TrimSpace(name) != name {
		return errors.New("trust: name has leading or trailing spaces")
	}
	return nil
}

// Add stores pub under name (which may be empty), replacing the name of a
// key already there. The write is atomic.
func (s *Store) Add(pub ed25519.PublicKey, name string) (Entry, error) {
	if err := checkName(name); err != nil {
		return Entry{}, err
	}
	if len(pub) != ed25519.PublicKeySize {
		return Entry{}, fmt.Errorf("trust: %w: public key of %d bytes", cert.ErrKey, len(pub))
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return Entry{}, fmt.Errorf("trust: %w", err)
	}
	e := Entry{KeyID: cert.KeyID(pub), Name: name, Key: pub}
	e.Path = filepath.Join(s.dir, e.KeyID+".pem")
	var buf bytes.Buffer
	if name != "" {
		buf.WriteString(namePrefix + name + "\n")
	}
	buf.Write(cert.MarshalPublicKey(pub))
	err := atomicfile.WriteFile(e.Path, 0o644, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return Entry{}, fmt.Errorf("trust: %w", err)
	}
	return e, nil
}

// List returns the stored keys sorted by name, then key id. A file in the
// store that is not a valid key named by its own key id is an error naming
// it.
func (s *Store) List() ([]Entry, error) {
	des, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trust: %w", err)
	}
	var es []Entry
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".pem") {
			continue // atomicfile's temporaries, editor backups
		}
		e, err := readEntry(filepath.Join(s.dir, name))
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b Entry) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.KeyID, b.KeyID)
	})
	return es, nil
}

// readEntry reads one stored key file.
func readEntry(path string) (Entry, error) {
	data, err := readCapped(path)
	if err != nil {
		return Entry{}, fmt.Errorf("trust: %w", err)
	}
	var name string
	if rest, ok := bytes.CutPrefix(data, []byte(namePrefix)); ok {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		name, data = string(line), after
		if err := checkName(name); err != nil {
			return Entry{}, fmt.Errorf("trust: stored key %s: %w", path, err)
		}
	}
	pub, err := ParseKey(data)
	if err != nil {
		return Entry{}, fmt.Errorf("trust: stored key %s: %w", path, err)
	}
	e := Entry{KeyID: cert.KeyID(pub), Name: name, Key: pub, Path: path}
	if filepath.Base(path) != e.KeyID+".pem" {
		return Entry{}, fmt.Errorf("trust: stored key %s: %w: holds key %s, not the one its name says", path, cert.ErrKey, e.KeyID)
	}
	return e, nil
}

// Keys returns the stored public keys.
func (s *Store) Keys() ([]ed25519.PublicKey, error) {
	es, err := s.List()
	if err != nil {
		return nil, err
	}
	keys := make([]ed25519.PublicKey, len(es))
	for i, e := range es {
		keys[i] = e.Key
	}
	return keys, nil
}

// Find returns the stored key whose id is id or starts with it (at least
// minPrefix hex digits, matching exactly one key).
func (s *Store) Find(id string) (Entry, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < minPrefix || strings.Trim(id, "0123456789abcdef") != "" {
		return Entry{}, fmt.Errorf("trust: key id %q: want at least %d hex digits of a key id", id, minPrefix)
	}
	es, err := s.List()
	if err != nil {
		return Entry{}, err
	}
	var found []Entry
	for _, e := range es {
		if strings.HasPrefix(e.KeyID, id) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return Entry{}, fmt.Errorf("%w: %s is not in %s", ErrNotFound, id, s.dir)
	case 1:
		return found[0], nil
	}
	return Entry{}, fmt.Errorf("trust: key id %s is ambiguous: %d keys start with it; give more digits", id, len(found))
}

// Remove deletes the stored key Find(id) returns.
func (s *Store) Remove(id string) (Entry, error) {
	e, err := s.Find(id)
	if err != nil {
		return Entry{}, err
	}
	if err := os.Remove(e.Path); err != nil {
		return Entry{}, fmt.Errorf("trust: %w", err)
	}
	return e, nil
}
