package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
)

func init() {
	register(command{name: "key", summary: "show or export this installation's certificate signing key", run: cmdKey})
}

const keyUsage = "pot key show [--key-dir DIR] [--json] | pot key export [-o FILE] [--key-dir DIR]"

// cmdKey: pot key show|export.
//
// The key is created on first use (by either subcommand, or by pot verify)
// in the user's config directory, or --key-dir, or $POT_CONFIG_DIR.
func cmdKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, keyUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlags("key "+sub, stderr)
	keyDir := fs.String("key-dir", "", "directory of the signing key (default: $POT_CONFIG_DIR or the user's config directory)")
	var asJSON *bool
	var out *string
	switch sub {
	case "show":
		asJSON = fs.Bool("json", false, "print one JSON object")
	case "export":
		out = fs.String("o", "", "write the public key to this file instead of standard output")
	default:
		return fmt.Errorf("%w: unknown subcommand %q: %s", errUsage, sub, keyUsage)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: %s", errUsage, keyUsage)
	}
	dir, err := keyDirectory(*keyDir)
	if err != nil {
		return err
	}
	key, err := cert.LoadOrCreateKey(dir)
	if err != nil {
		return err
	}
	pem := cert.MarshalPublicKey(key.Public())
	if sub == "export" {
		if *out == "" {
			_, err := stdout.Write(pem)
			return err
		}
		return atomicfile.WriteFile(*out, 0o644, func(w io.Writer) error {
			_, err := w.Write(pem)
			return err
		})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Fingerprint string `json:"fingerprint"`
			PublicKey   string `json:"publicKey"`
			KeyFile     string `json:"keyFile"`
		}{key.KeyID(), string(pem), filepath.Join(dir, cert.KeyFile)})
	}
	fmt.Fprintf(stdout, "Ed25519 signing key %s\n%s", filepath.Join(dir, cert.KeyFile), pem)
	fmt.Fprintf(stdout, "fingerprint: %s\n", key.KeyID())
	return nil
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
		return nil, fmt.Errorf("no --pubkey given and no signing key in %s to trust", dir)
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
