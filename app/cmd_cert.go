package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/proof-of-training/pot/internal/atomicfile"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/proof-of-training/pot/verifier/cert"
)

func init() {
	register(command{name: "cert", summary: "check a certificate: signature, transcript, decision, challenges, model",
		usage: "pot cert verify CERT [--model FILE] [--pubkey KEY]... [--transcript FILE] [--key-dir DIR] [--json]",
		help:  certHelp, run: cmdCert})
}

const certHelp = `Checks a certificate written by pot verify, offline: its signature (by a
trusted key: --pubkey, else this installation's own), its transcript (the
file beside it), the decision replayed from the transcript's scores, the
challenges re-derived from the revealed seed, and, with --model, that FILE
is the file the certificate is about. A certificate says nothing about a
file until --model binds it to one: without --model the answer names the
sha256 of the file it applies to, and the exit status is 3.

The exit status: 0 valid and bound to --model FILE, 1 NOT valid (a check
failed, named on the last line), 3 valid but not bound to any file (no
--model), 4 a file cannot be read.
`

// certVerifyFormat names and versions the --json output.
const certVerifyFormat = "pot.cert-verify/v1"

// certFlags are shared by `pot cert verify` and `pot report`.
type certFlags struct {
	model, transcript, keyDir string
	pubkeys                   listFlag
}

// certVerifyOutput is `pot cert verify --json` output.
type certVerifyOutput struct {
	Format      string `json:"format"`
	Valid       bool   `json:"valid"`
	Failure     string `json:"failure,omitempty"` // failure class: signature, transcript, recompute, …
	Error       string `json:"error,omitempty"`
	Certificate string `json:"certificate"`
	Transcript  string `json:"transcript,omitempty"`
	Signer      string `json:"signer,omitempty"` // key id
	Subject     string `json:"subject,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	Verdict     string `json:"verdict,omitempty"`
	Reason      string `json:"reason,omitempty"`
	N           int    `json:"n"`
	// Levels is the rank test's final state per level.
	Levels    []cert.LevelState `json:"levels,omitempty"`
	Rederived bool              `json:"challenges_rederived"`
	Model     bool              `json:"model_checked"` // bound: the --model file is the subject
	// Reference is what the run compared against; Untrusted marks a
	// fingerprint whose creator the run did not trust.
	Reference *cert.Reference `json:"reference,omitempty"`
	Untrusted bool            `json:"untrusted"`
	// CreatorTrustedHere: the fingerprint's creator key is in this
	// installation's trust store (what the runner trusted need not be
	// what you trust).
	CreatorTrustedHere bool `json:"creator_trusted_here"`
	// SeedChosenBy is "verifier" or "runner" (then the challenges were
	// predictable to whoever ran it).
	SeedChosenBy string `json:"seed_chosen_by,omitempty"`
}

func cmdCert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cert verify")
	var cf certFlags
	cf.addFlags(fs)
	asJSON := fs.Bool("json", false, "print one JSON object (format "+certVerifyFormat+")")
	switch {
	case len(args) > 0 && isHelpArg(args[0]):
		return &helpRequest{fs}
	case len(args) == 0:
		return usageErrorf("missing subcommand: verify")
	case args[0] != "verify":
		return usageErrorf("unknown subcommand %q: want verify", args[0])
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want one certificate file, got %d arguments", len(pos))
	}
	out, v, err := verifyCertificate(pos[0], cf)
	if *asJSON {
		if jerr := writeJSON(stdout, out); jerr != nil {
			return outputError(jerr)
		}
	} else {
		printCertVerify(stdout, out, v, err)
	}
	code := certStatus(err, out.Model)
	switch {
	case code == exitBadInput:
		return exitWith(code, fmt.Errorf("certificate %s cannot be checked: %w", pos[0], err))
	case err != nil:
		return exitWith(code, fmt.Errorf("certificate %s is NOT valid: %w", pos[0], err))
	}
	return exitWith(code, nil)
}

// certStatus is the exit status of a certificate check (exit.go): a file
// that cannot be read is bad input; any other failure makes the
// certificate invalid; a valid one is bound to a file only with --model.
func certStatus(err error, bound bool) int {
	switch {
	case err == nil && bound:
		return exitOK
	case err == nil:
		return exitUndecided
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EISDIR):
		return exitBadInput
	}
	return exitDifferent
}

func (cf *certFlags) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&cf.model, "model", "", "model file: rehash it and compare with the certificate's subject")
	fs.Var(&cf.pubkeys, "pubkey", "trust certificates signed by this public key file (repeatable; default: this installation's key)")
	fs.StringVar(&cf.transcript, "transcript", "", "transcript file (default: the one the certificate names, beside it)")
	fs.StringVar(&cf.keyDir, "key-dir", "", "directory of this installation's signing key (default: $POT_CONFIG_DIR or the user's config directory)")
}

// verifyCertificate runs every check on the certificate at path.
func verifyCertificate(path string, cf certFlags) (*certVerifyOutput, *cert.Verified, error) {
	out := &certVerifyOutput{Format: certVerifyFormat, Certificate: path}
	fail := func(err error) (*certVerifyOutput, *cert.Verified, error) {
		out.Failure, out.Error = cert.FailureName(err), err.Error()
		return out, nil, err
	}
	env, err := readLimited(path, cert.MaxEnvelopeSize, cert.ErrEnvelope)
	if err != nil {
		return fail(err)
	}
	trusted, err := trustedKeys(cf.pubkeys, cf.keyDir)
	if err != nil {
		return fail(err)
	}
	st, _, err := cert.Open(env, trusted)
	if err != nil {
		return fail(err)
	}
	out.Subject, out.SHA256 = st.Subject[0].Name, st.Subject[0].Digest.SHA256
	out.Transcript = cf.transcript
	if out.Transcript == "" {
		out.Transcript = siblingPath(path, st.Predicate.Transcript.Name)
	}
	tr, err := readLimited(out.Transcript, cert.MaxTranscriptSize, cert.ErrTranscript)
	if err != nil {
		return fail(err)
	}
	opt := cert.Options{Trusted: trusted, Transcript: tr, Rederive: cert.ChallengeDigests}
	if cf.model != "" {
		f, err := os.Open(cf.model)
		if err != nil {
			return fail(fmt.Errorf("%w: %w", cert.ErrModelDigest, err))
		}
		defer f.Close()
		opt.Model = f
	}
	v, err := cert.Verify(env, opt)
	if err != nil {
		out.Failure, out.Error = cert.FailureName(err), err.Error()
		return out, v, err
	}
	r := v.Statement.Predicate.Result
	out.Valid, out.Signer, out.Verdict, out.Reason = true, v.KeyID, string(r.Verdict), r.Reason
	out.N, out.Levels = r.N, r.Levels
	out.Rederived, out.Model = v.Rederived, v.Model
	p := &v.Statement.Predicate
	out.Reference, out.Untrusted, out.SeedChosenBy = &p.Reference, p.Reference.Untrusted(), p.Seed.ChosenBy
	if fp := p.Reference.Fingerprint; fp != nil {
		if store, err := trustStore(""); err == nil {
			_, err := store.Find(fp.Creator)
			out.CreatorTrustedHere = err == nil
		}
	}
	return out, v, nil
}

// readLimited reads a file of at most max bytes; failures match class.
func readLimited(path string, max int64, class error) ([]byte, error) {
	b, err := atomicfile.ReadFile(path, max)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%w: %w", class, err) // the OS error names the file
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", class, path, err)
	}
	return b, nil
}

// printCertVerify prints one line per check: those that passed, then the
// failure, if any.
func printCertVerify(w io.Writer, out *certVerifyOutput, v *cert.Verified, err error) {
	steps := []struct {
		name  string
		fails []error
	}{
		{"signature", []error{cert.ErrEnvelope, cert.ErrSignature, cert.ErrUntrustedKey, cert.ErrKey}},
		{"statement", []error{cert.ErrSchema}},
		{"transcript", []error{cert.ErrTranscript, cert.ErrMerkle}},
		{"decision", []error{cert.ErrRecompute}},
		{"challenges", []error{cert.ErrChallenge}},
		{"model", []error{cert.ErrModelDigest}},
	}
	failed := len(steps)
	if err != nil {
		failed = 0 // an unclassified error (unreadable file) stops everything
		for i, s := range steps {
			for _, e := range s.fails {
				if errors.Is(err, e) {
					failed = i
				}
			}
		}
	}
	fmt.Fprintf(w, "certificate  %s\n", out.Certificate)
	for i, s := range steps[:failed] {
		if i == len(steps)-1 && !v.Model {
			fmt.Fprintf(w, "%-12s NOT BOUND to any file: this certificate speaks only for the file with SHA-256 %s (give --model FILE to check yours)\n", s.name, out.SHA256)
			continue
		}
		fmt.Fprintf(w, "%-12s ok%s\n", s.name, stepDetail(i, out, v))
	}
	if err != nil {
		class := cert.FailureName(err)
		if class != "" {
			class = " (" + class + ")"
		}
		fmt.Fprintf(w, "%-12s FAILED%s: %v\n", steps[failed].name, class, err)
		return
	}
	p := &v.Statement.Predicate
	fmt.Fprintf(w, "reference    %s\n", describeReference(&p.Reference))
	if p.Reference.Fingerprint != nil {
		if out.CreatorTrustedHere {
			fmt.Fprintf(w, "%-12s you trust the fingerprint's creator key too (it is in your trust store)\n", "")
		} else {
			fmt.Fprintf(w, "%-12s you do not trust the fingerprint's creator key (pot trust add adds it)\n", "")
		}
	}
	if p.Seed.ChosenBy == cert.SeedByRunner {
		fmt.Fprintf(w, "seed         chosen by the runner: %s\n", cert.RunnerSeedWarning)
	} else {
		fmt.Fprintf(w, "seed         drawn fresh by the verifier after hashing the candidate\n")
	}
	if out.Untrusted {
		fmt.Fprintf(w, "verdict      %s, UNTRUSTED (the fingerprint's creator was not trusted): %s\n", out.Verdict, out.Reason)
		return
	}
	fmt.Fprintf(w, "verdict      %s: %s\n", out.Verdict, out.Reason)
	if v.Model {
		fmt.Fprintf(w, "valid, and bound to this file\n")
	} else {
		fmt.Fprintf(w, "valid, but not bound to any file: it is about %s with sha256 %s (give --model FILE to check a file)\n",
			out.Subject, out.SHA256)
	}
}

func stepDetail(i int, out *certVerifyOutput, v *cert.Verified) string {
	if v == nil {
		return ""
	}
	p := &v.Statement.Predicate
	switch i {
	case 0:
		return ", signed by key " + v.KeyID
	case 1:
		return fmt.Sprintf(", %s for %s (sha256 %s)", cert.PredicateType, out.Subject, out.SHA256)
	case 2:
		return fmt.Sprintf(", %s: %d records, Merkle root %s", out.Transcript, p.Transcript.Records, p.Transcript.MerkleRoot)
	case 3:
		if p.Result.N == 0 {
			return fmt.Sprintf(", %s by the checks (no behavioural test)", p.Result.Verdict)
		}
		return fmt.Sprintf(", replayed the ranks of %d challenges: %s", p.Result.N, p.Result.Verdict)
	case 4:
		if p.Result.N == 0 {
			return ", seed matches its commitment (no challenges were drawn)"
		}
		if v.Rederived {
			return fmt.Sprintf(", seed matches its commitment; %d challenges re-derived", p.Result.N)
		}
		return ", seed matches its commitment (challenges not re-derived)"
	case 5:
		return ", file rehashed and matches"
	}
	return ""
}

// siblingPath returns the file name (a plain name, as the schema requires)
// in the directory of path.
func siblingPath(path, name string) string { return filepath.Join(filepath.Dir(path), name) }
