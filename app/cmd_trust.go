package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/trust"
)

func init() {
	register(command{name: "trust", summary: "add, list or remove the keys whose fingerprints you trust",
		usage: "pot trust add KEYFILE|- [--name NAME] [--config-dir DIR]\npot trust list [--json] [--config-dir DIR]\npot trust remove KEYID [--config-dir DIR]",
		help:  trustHelp, run: cmdTrust})
}

const trustHelp = `A fingerprint counts only if you trust the key that sealed it. pot verify
--fingerprint refuses a fingerprint from any other key (naming it), unless
--trust KEY is given for that run or --allow-untrusted marks the result
UNTRUSTED (exit status 6).

  pot trust add KEYFILE   trust a public key (PEM); "-" reads standard input,
                          so 'pot key export | pot trust add -' trusts your own
  pot trust list          the trusted keys with their ids and names
  pot trust remove KEYID  stop trusting a key
`

func cmdTrust(args []string, stdout, stderr io.Writer) error {
	return trustWith(args, os.Stdin, stdout, stderr)
}

// trustWith is cmdTrust reading `pot trust add -` from stdin.
func trustWith(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageErrorf("want a subcommand: add, list or remove")
	}
	if isHelpArg(args[0]) {
		return &helpRequest{}
	}
	sub, args := args[0], args[1:]
	fs := newFlags("trust " + sub)
	configDir := fs.String("config-dir", "", "PoT's config directory, which holds the trusted keys (default: $POT_CONFIG_DIR or the user's config directory)")
	var name *string
	var asJSON *bool
	switch sub {
	case "add":
		name = fs.String("name", "", "a label for the key, e.g. who it belongs to")
	case "list":
		asJSON = fs.Bool("json", false, "print one JSON object")
	case "remove":
	default:
		return usageErrorf("unknown subcommand %q: want add, list or remove", sub)
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if want := map[string]int{"add": 1, "list": 0, "remove": 1}[sub]; len(pos) != want {
		return usageErrorf("trust %s takes %d argument(s), got %d", sub, map[string]int{"add": 1, "list": 0, "remove": 1}[sub], len(pos))
	}
	store, err := trustStore(*configDir)
	if err != nil {
		return err
	}
	switch sub {
	case "add":
		pub, err := readKeyArg(pos[0], stdin)
		if err != nil {
			return err
		}
		e, err := store.Add(pub, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "trusted key %s%s: its fingerprints now count in pot verify --fingerprint\n", e.KeyID, labelOf(e.Name))
	case "remove":
		e, err := store.Remove(pos[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "no longer trusted: key %s%s\n", e.KeyID, labelOf(e.Name))
	case "list":
		es, err := store.List()
		if err != nil {
			return err
		}
		if *asJSON {
			if es == nil {
				es = []trust.Entry{}
			}
			return writeJSON(stdout, struct {
				Dir  string        `json:"dir"`
				Keys []trust.Entry `json:"keys"`
			}{store.Dir(), es})
		}
		if len(es) == 0 {
			fmt.Fprintf(stdout, "no trusted keys in %s: add one with %s\n", store.Dir(), "pot trust add KEYFILE")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY ID\tNAME")
		for _, e := range es {
			fmt.Fprintf(tw, "%s\t%s\n", e.KeyID, e.Name)
		}
		tw.Flush()
	}
	return nil
}

func labelOf(name string) string {
	if name == "" {
		return ""
	}
	return " (" + name + ")"
}

// trustStore opens the trust store in dir, or in the config directory.
func trustStore(dir string) (*trust.Store, error) {
	if dir == "" {
		var err error
		if dir, err = cert.ConfigDir(cert.OSEnv()); err != nil {
			return nil, err
		}
	}
	return trust.Open(dir), nil
}

// readKeyArg reads a public key file, or stdin for "-".
func readKeyArg(arg string, stdin io.Reader) (ed25519.PublicKey, error) {
	if arg != "-" {
		return trust.ReadKeyFile(arg)
	}
	data, err := trust.ReadCapped(stdin, "on standard input")
	if err != nil {
		return nil, err
	}
	pub, err := trust.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("public key on standard input: %w (want an Ed25519 key as `pot key export` writes it)", err)
	}
	return pub, nil
}

// fingerprintTrust gathers whom `pot verify --fingerprint` trusts: the
// trust store's keys plus each --trust argument, a public key file or a
// full key id.
func fingerprintTrust(configDir string, args []string, allowUntrusted bool) (fingerprint.Trust, error) {
	t := fingerprint.Trust{AllowUntrusted: allowUntrusted}
	store, err := trustStore(configDir)
	if err != nil {
		return t, err
	}
	if t.Keys, err = store.Keys(); err != nil {
		return t, err
	}
	for _, a := range args {
		if isKeyID(a) {
			if _, err := os.Stat(a); errors.Is(err, os.ErrNotExist) {
				t.KeyIDs = append(t.KeyIDs, strings.ToLower(a))
				continue
			}
		}
		pub, err := trust.ReadKeyFile(a)
		if err != nil {
			return t, fmt.Errorf("--trust: %w", err)
		}
		t.Keys = append(t.Keys, pub)
	}
	return t, nil
}

// isKeyID reports whether s is a whole key id: 64 hex digits.
func isKeyID(s string) bool {
	return len(s) == 64 && strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}

// untrustedHelp turns a refused fingerprint into what the user can do.
func untrustedHelp(err error, fp string) error {
	var ue *fingerprint.UntrustedError
	if !errors.As(err, &ue) {
		return err
	}
	return exitWith(exitBadInput, fmt.Errorf("fingerprint %s is sealed by key %s, which you do not trust, so it cannot vouch for the model it names.\n"+
		"If you trust its creator, get their public key (they run `pot key export`) and add it: pot trust add KEYFILE\n"+
		"(or trust it for one run: --trust KEYFILE or --trust %s).\n"+
		"To run anyway, with the result marked UNTRUSTED: --allow-untrusted", fp, ue.KeyID, ue.KeyID))
}
