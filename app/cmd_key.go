package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
)

func init() {
	register(command{name: "key", summary: "show or export this installation's certificate signing key",
		usage: "pot key show [--key-dir DIR] [--json]\npot key export [-o FILE] [--key-dir DIR]", help: keyHelp, run: cmdKey})
}

const keyHelp = `Every certificate and fingerprint this installation makes is signed with
its Ed25519 key. The key is created on first use (by pot key, verify,
fingerprint or demo) in the user's config directory, $POT_CONFIG_DIR or
--key-dir, and is never sent anywhere.

  show    print the public key, its fingerprint and the key file's path
  export  write the public key (PEM) to -o FILE or standard output; give it
          to whoever checks your certificates (pot cert verify --pubkey)

Flags:
  --key-dir DIR  directory of the signing key
  --json         (show) print one JSON object
  -o FILE        (export) the output file
`

// cmdKey: pot key show|export.
//
// The key is created on first use (by either subcommand, or by pot verify)
// in the user's config directory, or --key-dir, or $POT_CONFIG_DIR.
func cmdKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("missing subcommand: show or export")
	}
	if isHelpArg(args[0]) {
		return &helpRequest{}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("key " + sub)
	keyDir := fs.String("key-dir", "", "directory of the signing key (default: $POT_CONFIG_DIR or the user's config directory)")
	var asJSON *bool
	var out *string
	switch sub {
	case "show":
		asJSON = fs.Bool("json", false, "print one JSON object")
	case "export":
		out = fs.String("o", "", "write the public key to this file instead of standard output")
	default:
		return usageErrorf("unknown subcommand %q: want show or export", sub)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageErrorf("unexpected argument %q", pos[0])
	}
	dir, err := keyDirectory(*keyDir)
	if err != nil {
		return err
	}
	key, err := loadKey(dir, stderr)
	if err != nil {
		return err
	}
	pem := cert.MarshalPublicKey(key.Public())
	if sub == "export" {
		if *out == "" {
			_, err := stdout.Write(pem)
			return err
		}
		return outputError(atomicfile.WriteFile(*out, 0o644, func(w io.Writer) error {
			_, err := w.Write(pem)
			return err
		}))
	}
	if *asJSON {
		return writeJSON(stdout, struct {
			Format      string `json:"format"`
			Fingerprint string `json:"fingerprint"`
			PublicKey   string `json:"public_key"`
			KeyFile     string `json:"key_file"`
		}{"pot.key/v1", key.KeyID(), string(pem), filepath.Join(dir, cert.KeyFile)})
	}
	fmt.Fprintf(stdout, "Ed25519 signing key %s\n%s", filepath.Join(dir, cert.KeyFile), pem)
	fmt.Fprintf(stdout, "fingerprint: %s\n", key.KeyID())
	return nil
}

// loadKey returns the installation's signing key in dir (the default
// directory if empty), creating it on first use and saying so once on
// stderr: a new key is a new identity that checkers must be told about.
func loadKey(dir string, stderr io.Writer) (*cert.Key, error) {
	dir, err := keyDirectory(dir)
	if err != nil {
		return nil, err
	}
	k, err := cert.LoadKey(dir)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if k, err = cert.LoadOrCreateKey(dir); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "pot: created this installation's signing key %s (fingerprint %s); see 'pot key show'\n",
		filepath.Join(dir, cert.KeyFile), k.KeyID())
	return k, nil
}

// keyDirectory returns dir, or the default key directory when dir is empty.
func keyDirectory(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	return cert.ConfigDir(cert.OSEnv())
}

// trustedKeys returns the keys a certificate may be signed by: the public
// key files given, or else this installation's own key (never created here).
func trustedKeys(pubkeys []string, keyDir string) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for _, p := range pubkeys {
		pub, err := readPublicKey(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, pub)
	}
	if len(keys) > 0 {
		return keys, nil
	}
	dir, err := keyDirectory(keyDir)
	if err != nil {
		return nil, err
	}
	k, err := cert.LoadKey(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no --pubkey given and no signing key in %s to trust: %w", dir, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	return []ed25519.PublicKey{k.Public()}, nil
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(*l) }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }
