package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/stats"
)

func init() {
	register(command{name: "verify", summary: "verify a model against a reference model or fingerprint", run: cmdVerify})
}

// verifyOutput is `pot verify --json` output.
type verifyOutput struct {
	Verdict    string            `json:"verdict"`
	Reason     string            `json:"reason"`
	N          int               `json:"n"`
	Levels     []cert.LevelState `json:"levels,omitempty"` // the rank test's final state per level
	Params     cert.Params       `json:"params"`
	Challenges string            `json:"challenges,omitempty"` // the challenge distribution, in words
	Checks     []cert.Check      `json:"checks"`
	Floor      string            `json:"floor,omitempty"`
	Seed       string            `json:"seed"`
	Commitment string            `json:"commitment"`
	// SeedChosenBy is "verifier" (fresh) or "runner" (--seed).
	SeedChosenBy string `json:"seedChosenBy"`
	Candidate    string `json:"candidate"`
	Reference    string `json:"reference"` // the file given
	// ReferenceInfo is the certificate's reference: kind, name, digest and
	// whether it was computed or only claimed, and for a fingerprint its
	// creator key and whether that key is trusted.
	ReferenceInfo cert.Reference `json:"referenceInfo"`
	// Untrusted: the fingerprint's creator is not trusted (--allow-untrusted).
	Untrusted   bool    `json:"untrusted"`
	Backend     string  `json:"backend"`
	Seconds     float64 `json:"seconds"`
	Certificate string  `json:"certificate,omitempty"`
	Transcript  string  `json:"transcript,omitempty"`
}

// verifyFlags are shared by `pot verify` and `pot demo`.
type verifyFlags struct {
	ref, fp, mode, seed, out, keyDir, checkpoint, streaming string
	trust                                                   listFlag
	threads                                                 int
	behaviour, noCert, allowUntrusted                       bool
}

func cmdVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	var vf verifyFlags
	fs.StringVar(&vf.ref, "ref", "", "reference model file")
	fs.StringVar(&vf.fp, "fingerprint", "", "reference fingerprint file")
	fs.StringVar(&vf.mode, "mode", "standard", "preset: "+strings.Join(job.PresetNames(), ", "))
	fs.StringVar(&vf.seed, "seed", "", "challenge seed, 64 hex digits (default: fresh and secret until the end)")
	fs.StringVar(&vf.out, "out", "", "directory for the certificate and transcript (default: the user's data directory)")
	fs.StringVar(&vf.keyDir, "key-dir", "", "directory of the signing key (default: the user's config directory)")
	fs.Var(&vf.trust, "trust", "also trust fingerprints sealed by this key: a public key file or a key id (repeatable; see pot trust)")
	fs.BoolVar(&vf.allowUntrusted, "allow-untrusted", false, "go on with a fingerprint whose creator is not trusted, marking the result UNTRUSTED")
	fs.StringVar(&vf.checkpoint, "checkpoint", "", "checkpoint file: resume the run from it, and keep it up to date")
	fs.StringVar(&vf.streaming, "streaming", "auto", "layer streaming: auto, on or off")
	fs.IntVar(&vf.threads, "threads", 0, "CPU threads (0: all cores)")
	fs.BoolVar(&vf.behaviour, "behaviour", false, "run the behavioural test even when the weights already decide")
	fs.BoolVar(&vf.noCert, "no-cert", false, "do not write a certificate")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (vf.ref == "") == (vf.fp == "") {
		return fmt.Errorf("%w: pot verify CANDIDATE (--ref MODEL | --fingerprint FP) [--mode M] [--json]", errUsage)
	}
	out, err := runVerify(pos[0], vf, stderr, !*asJSON)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printVerify(stdout, out)
	return nil
}

// runVerify runs one verification and writes its certificate.
func runVerify(candidate string, vf verifyFlags, stderr io.Writer, showProgress bool) (*verifyOutput, error) {
	preset, err := job.LookupPreset(vf.mode)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	streaming, err := engine.ParseStreaming(vf.streaming)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg := job.Config{Candidate: candidate, Reference: vf.ref, Fingerprint: vf.fp, Preset: preset,
		Threads: vf.threads, Streaming: streaming, Behaviour: vf.behaviour, Checkpoint: vf.checkpoint}
	if vf.seed != "" {
		if cfg.Seed, err = hex.DecodeString(vf.seed); err != nil || len(cfg.Seed) != 32 {
			return nil, fmt.Errorf("%w: --seed wants 64 hex digits", errUsage)
		}
	}
	if vf.fp != "" {
		if cfg.Trust, err = fingerprintTrust("", vf.trust, vf.allowUntrusted); err != nil {
			return nil, err
		}
	}
	var key *cert.Key
	if !vf.noCert {
		if key, err = loadKey(vf.keyDir); err != nil {
			return nil, err
		}
	}
	if showProgress {
		cfg.Progress = jobProgress(stderr)
	}
	res, err := job.Run(cfg)
	if err != nil {
		return nil, untrustedHelp(err, vf.fp)
	}
	out := &verifyOutput{Verdict: string(res.Verdict), Reason: res.Reason, N: res.N, Levels: res.Levels, Params: res.Params,
		Checks: res.Checks, Seed: res.Seed, Commitment: res.Commitment, Candidate: candidate,
		Reference: vf.ref + vf.fp, Backend: res.Backend, Seconds: res.Finish.Sub(res.Started).Seconds(),
		SeedChosenBy: res.SeedChosenBy, ReferenceInfo: res.Reference, Untrusted: res.Reference.Untrusted()}
	if res.Floor.Source != "" {
		out.Floor = res.Floor.Source
	}
	var d challenge.Derivation
	if len(res.Derivation) > 0 && json.Unmarshal(res.Derivation, &d) == nil && d.Validate() == nil {
		out.Challenges = d.Describe()
	}
	if key != nil {
		dir := vf.out
		if dir == "" {
			if dir, err = cert.DataDir(cert.OSEnv()); err != nil {
				return nil, err
			}
		}
		out.Certificate, out.Transcript, err = cert.WriteFiles(dir, res.Statement(), res.Records, key)
		if err != nil {
			return nil, err
		}
	}
	if vf.checkpoint != "" {
		// The run is complete and certified: its checkpoint is spent.
		os.Remove(vf.checkpoint)
	}
	return out, nil
}

// loadKey returns the installation's signing key, creating it on first use.
func loadKey(dir string) (*cert.Key, error) {
	if dir == "" {
		var err error
		if dir, err = cert.ConfigDir(cert.OSEnv()); err != nil {
			return nil, err
		}
	}
	return cert.LoadOrCreateKey(dir)
}

func readPublicKey(path string) (ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pub, err := cert.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pub, nil
}

// jobProgress draws the run's stages on a terminal.
func jobProgress(w io.Writer) func(job.Event) {
	bars := map[string]*progressBar{}
	labels := map[string]string{"hash": "hashing   ", "weights": "weights   ", "calibrate": "calibrating",
		"challenge": "challenges", "pool": "pool      "}
	return func(e job.Event) {
		b := bars[e.Stage]
		if b == nil {
			b = newProgressBar(w, labels[e.Stage])
			bars[e.Stage] = b
		}
		unit := ""
		if e.Stage == "hash" {
			unit = "B"
		}
		if e.Stage == "challenge" && b.tty && len(e.Levels) > 0 {
			fmt.Fprintf(w, "\rchallenge %d of at most %d: exceedance in [%.3f, %.3f]   ", e.Done, e.Total, e.Levels[0].Lower, e.Levels[0].Upper)
			return
		}
		b.update(e.Done, e.Total, unit)
	}
}

func printVerify(w io.Writer, o *verifyOutput) {
	if isTerminal(w) {
		fmt.Fprint(w, "\r\033[K")
	}
	if o.Untrusted {
		fmt.Fprintf(w, "%s, UNTRUSTED — %s\n", o.Verdict, o.Reason)
	} else {
		fmt.Fprintf(w, "%s — %s\n", o.Verdict, o.Reason)
	}
	fmt.Fprintf(w, "reference: %s\n\n", describeReference(&o.ReferenceInfo))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range o.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Result, c.Detail)
	}
	tw.Flush()
	if o.N > 0 {
		r := o.Params.Rule
		fmt.Fprintf(w, "\nmode %s: %d challenges (at most %d), %d positions × top-%d each, error rate at most %g\n",
			o.Params.Preset, o.N, r.NMax, o.Params.K, o.Params.TopK, r.Alpha)
		fmt.Fprintf(w, "challenges: %s\n", o.Challenges)
		fmt.Fprintf(w, "noise floor: %s\n", o.Floor)
		for i, l := range o.Levels {
			lv := r.Levels[i]
			fmt.Fprintf(w, "  level %d: exceeded on [%s, %s] of inputs (faithful copy: at most %s; SAME needs below %s)\n",
				i, stats.Percent(l.Lower), stats.Percent(l.Upper), stats.Percent(lv.Faithful), stats.Percent(lv.Epsilon))
		}
	}
	fmt.Fprintf(w, "seed %s (commitment %s)\n", o.Seed, o.Commitment)
	if o.SeedChosenBy == cert.SeedByRunner {
		fmt.Fprintf(w, "seed chosen with --seed: %s\n", cert.RunnerSeedWarning)
	}
	if o.Certificate != "" {
		fmt.Fprintf(w, "certificate %s\ntranscript  %s\n", o.Certificate, o.Transcript)
	}
}

// describeReference says in one line what a run compared against: the
// reference's kind, name and model digest, whether PoT computed that digest
// or only the fingerprint claims it, and who sealed the fingerprint.
func describeReference(r *cert.Reference) string {
	if r.Kind != cert.RefFingerprint || r.Fingerprint == nil {
		return fmt.Sprintf("model %s, sha256 %s (computed)", r.Name, r.Digest.SHA256)
	}
	trust := "trusted when this ran"
	if !r.Fingerprint.Trusted {
		trust = "UNTRUSTED when this ran: the key was neither in the trust store nor given with --trust; the verdict holds only if you trust whoever holds it"
	}
	return fmt.Sprintf("fingerprint %s (sha256 %s), sealed by key %s (%s); it claims model sha256 %s (claimed: only the fingerprint says so)",
		r.Name, r.Fingerprint.Digest.SHA256, r.Fingerprint.Creator, trust, r.Digest.SHA256)
}
