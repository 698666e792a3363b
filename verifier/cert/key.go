package cert

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the name of the private signing key in the key directory.
const KeyFile = "signing-key.pem"

// maxKeyFileSize bounds a key file read; a PEM Ed25519 key is ~120 bytes.
const maxKeyFileSize = 16 << 10

// Key is an Ed25519 signing key.
type Key struct {
	priv ed25519.PrivateKey
}

// NewKey returns a Key for priv, which must be an ed25519.PrivateKeySize
// byte key (a wrong length is a programmer error and panics).
func NewKey(priv ed25519.PrivateKey) *Key {
	if len(priv) != ed25519.PrivateKeySize {
		panic("cert: NewKey: private key of wrong length")
	}
	return &Key{priv: priv}
}

// GenerateKey makes a new key from rand (crypto/rand.Reader when nil).
func GenerateKey(rnd io.Reader) (*Key, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	_, priv, err := ed25519.GenerateKey(rnd)
	if err != nil {
		return nil, fmt.Errorf("cert: generate key: %w", err)
	}
	return &Key{priv: priv}, nil
}

// Public returns the public key.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// KeyID returns the key id (and fingerprint) of k's public key.
func (k *Key) KeyID() string { return KeyID(k.Public()) }

// KeyID returns the key id of pub: the lower-case hex SHA-256 of the raw
// 32-byte public key. It is also the key's fingerprint.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:])
}

// LoadOrCreateKey returns the signing key stored in dir, creating dir (0700)
// and a new key (file mode 0600) on first use. An existing key is never
// overwritten: the new key is written to a temporary file, synced, and
// hard-linked into place, which fails if the name exists, so concurrent
// first uses agree on one key and a crash never leaves a partial key file.
func LoadOrCreateKey(dir string) (*Key, error) {
	k, err := LoadKey(dir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cert: key directory: %w", err)
	}
	k, err = GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		return nil, fmt.Errorf("cert: encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	path := filepath.Join(dir, KeyFile)
	if err := createExclusive(path, data); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			return LoadKey(dir)
		}
		return nil, fmt.Errorf("cert: create key %s: %w", path, err)
	}
	return k, nil
}

// createExclusive writes data to a new file path (mode 0600), failing with
// fs.ErrExist if path exists. The file appears complete or not at all.
func createExclusive(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".signing-key-*.tmp") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// File systems without hard links: fall back to O_EXCL, which
		// still never overwrites but may expose a partial file on a crash.
		f, err2 := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err2 != nil {
			return err2
		}
		if _, err2 = f.Write(data); err2 == nil {
			err2 = f.Sync()
		}
		if cerr := f.Close(); err2 == nil {
			err2 = cerr
		}
		if err2 != nil {
			return err2
		}
	}
	if d, err := os.Open(dir); err == nil { // persist the directory entry
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadKey reads the signing key in dir. A missing key matches fs.ErrNotExist;
// a malformed one, or one readable by group or others, matches ErrKey.
func LoadKey(dir string) (*Key, error) {
	path := filepath.Join(dir, KeyFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cert: signing key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cert: signing key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("cert: signing key %s: %w: mode %04o is open to others (chmod 600)", path, ErrKey, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cert: signing key %s: %w", path, err)
	}
	k, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("cert: signing key %s: %w", path, err)
	}
	return k, nil
}

// ParsePrivateKey parses a PEM "PRIVATE KEY" (PKCS #8) Ed25519 key; errors
// match ErrKey.
func ParsePrivateKey(data []byte) (*Key, error) {
	der, err := pemBlock(data, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an Ed25519 key", ErrKey, k)
	}
	return &Key{priv: priv}, nil
}

// MarshalPublicKey encodes pub as PEM "PUBLIC KEY" (PKIX), the format `pot
// key export` writes and --pubkey reads.
func MarshalPublicKey(pub ed25519.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic("cert: MarshalPublicKey: " + err.Error()) // only for a malformed key: programmer error
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey parses a PEM "PUBLIC KEY" (PKIX) Ed25519 key; errors match
// ErrKey.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	der, err := pemBlock(data, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an Ed25519 key", ErrKey, k)
	}
	return pub, nil
}

// pemBlock returns the DER of the single PEM block of type typ in data.
func pemBlock(data []byte, typ string) ([]byte, error) {
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrKey, len(data), maxKeyFileSize)
	}
	b, rest := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%w: no PEM block", ErrKey)
	}
	if b.Type != typ {
		return nil, fmt.Errorf("%w: PEM block %q, want %q", ErrKey, clip(b.Type), typ)
	}
	if len(b.Headers) != 0 {
		return nil, fmt.Errorf("%w: PEM headers not allowed", ErrKey)
	}
	if p, _ := pem.Decode(rest); p != nil {
		return nil, fmt.Errorf("%w: more than one PEM block", ErrKey)
	}
	return b.Bytes, nil
}
