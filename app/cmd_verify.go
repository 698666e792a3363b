package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/stats"
)

func init() {
	register(command{name: "verify", summary: "verify a model against a reference model or fingerprint",
		usage: "pot verify CANDIDATE (--ref MODEL | --fingerprint FP) [--mode quick|standard|audit] [--json] [--progress MODE]",
		help:  verifyHelp + modesHelp(), run: cmdVerify})
}

// verifyFormat names and versions the --json output.
const verifyFormat = "pot.verify/v1"

// verifyOutput is `pot verify --json` output.
type verifyOutput struct {
	Format     string            `json:"format"`
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
	SeedChosenBy string `json:"seed_chosen_by"`
	Candidate    string `json:"candidate"`
	Reference    string `json:"reference"` // the file given
	// ReferenceInfo is the certificate's reference: kind, name, digest and
	// whether it was computed or only claimed, and for a fingerprint its
	// creator key and whether that key is trusted.
	ReferenceInfo cert.Reference `json:"reference_info"`
	// Untrusted: the fingerprint's creator is not trusted (--allow-untrusted).
	Untrusted   bool    `json:"untrusted"`
	Backend     string  `json:"backend"`
	Seconds     float64 `json:"seconds"`
	Certificate string  `json:"certificate,omitempty"`
	Transcript  string  `json:"transcript,omitempty"`
	// CertificateError says why no certificate was written (exit 5).
	CertificateError string `json:"certificate_error,omitempty"`
}

// verifyFlags are shared by `pot verify` and `pot demo`.
type verifyFlags struct {
	ref, fp, mode, seed, out, keyDir, checkpoint, streaming, backend string
	trust                                                            listFlag
	threads                                                          int
	behaviour, noCert, allowUntrusted, noFloorCache                  bool
}

func cmdVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify")
	var vf verifyFlags
	vf.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object (format "+verifyFormat+")")
	progressMode := progressFlag(fs)
	sched := fs.Bool("schedule", false, "queue the verification for the agent or `pot run-queue` instead of running it now")
	fs.String("when", "now", "with --schedule: now, tonight or HH:MM")
	fs.Bool("allow-battery", false, "with --schedule: run on battery power too")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if err := vf.check(pos); err != nil {
		return err
	}
	if *sched {
		return scheduleFromVerify(args, stdout, stderr)
	}
	prog, err := newProgress(stderr, *progressMode)
	if err != nil {
		return err
	}
	stop := prog.keepAlive()
	out, key, res, err := runVerify(pos[0], vf, prog, stderr)
	stop()
	if err != nil {
		return err
	}
	if !*asJSON {
		printVerify(stdout, out) // before writing: a full disk must not hide the verdict
	}
	werr := writeCertificate(out, key, res, vf)
	if werr != nil {
		out.CertificateError = werr.Error()
	}
	if *asJSON {
		if err := writeJSON(stdout, out); err != nil {
			return outputError(err)
		}
	} else if out.Certificate != "" {
		fmt.Fprintf(stdout, "certificate %s\ntranscript  %s\n", out.Certificate, out.Transcript)
	}
	if werr != nil {
		return outputError(fmt.Errorf("the verdict stands, but no certificate was written: %w", werr))
	}
	return exitWith(verdictStatus(out.Verdict, out.Untrusted), nil)
}

// register defines the flags of `pot verify` that describe the run; `pot
// schedule add` accepts them too.
func (vf *verifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&vf.ref, "ref", "", "reference model: a GGUF file or a Hugging Face model directory")
	fs.StringVar(&vf.fp, "fingerprint", "", "reference fingerprint file")
	fs.StringVar(&vf.mode, "mode", "standard", "preset: "+strings.Join(job.PresetNames(), ", "))
	fs.StringVar(&vf.seed, "seed", "", "challenge seed, 64 hex digits (default: fresh and secret until the end)")
	fs.StringVar(&vf.out, "out", "", "directory for the certificate and transcript (default: the user's data directory)")
	fs.StringVar(&vf.keyDir, "key-dir", "", "directory of the signing key (default: the user's config directory)")
	fs.Var(&vf.trust, "trust", "also trust fingerprints sealed by this key: a public key file or a key id (repeatable; see pot trust)")
	fs.BoolVar(&vf.allowUntrusted, "allow-untrusted", false, "go on with a fingerprint whose creator is not trusted, marking the result UNTRUSTED")
	fs.StringVar(&vf.checkpoint, "checkpoint", "", "checkpoint file: resume the run from it, and keep it up to date")
	fs.StringVar(&vf.streaming, "streaming", "auto", "layer streaming: auto, on or off")
	fs.StringVar(&vf.backend, "backend", "auto", "engine backend: auto (the Mac GPU when its self-test passes, else the CPU), cpu or metal")
	fs.IntVar(&vf.threads, "threads", 0, "CPU threads (0: all cores)")
	fs.BoolVar(&vf.behaviour, "behaviour", false, "run the behavioural test even when the weights already decide")
	fs.BoolVar(&vf.noCert, "no-cert", false, "do not write a certificate")
	fs.BoolVar(&vf.noFloorCache, "no-floor-cache", false, "measure the noise floor even if an earlier run measured it for the same reference, types and mode")
}

// check validates the positional arguments and the reference flags.
func (vf *verifyFlags) check(pos []string) error {
	switch {
	case len(pos) != 1:
		return usageErrorf("want one CANDIDATE model file, got %d arguments", len(pos))
	case vf.ref != "" && vf.fp != "":
		return usageErrorf("--ref and --fingerprint are alternatives: give the reference model or its fingerprint, not both")
	case vf.ref == "" && vf.fp == "":
		return usageErrorf("no reference: give --ref MODEL or --fingerprint FP")
	}
	return nil
}

// runVerify runs one verification, reporting progress to prog (may be
// nil); writeCertificate then certifies it with the key returned (nil with
// --no-cert). tune, if given, adjusts the run's configuration (the queue's
// runner adds its pause hook and progress).
func runVerify(candidate string, vf verifyFlags, prog *progress, stderr io.Writer, tune ...func(*job.Config)) (*verifyOutput, *cert.Key, *job.Result, error) {
	preset, err := job.LookupPreset(vf.mode)
	if err != nil {
		return nil, nil, nil, usageErrorf("%v", err)
	}
	streaming, err := engine.ParseStreaming(vf.streaming)
	if err != nil {
		return nil, nil, nil, usageErrorf("%v", err)
	}
	cfg := job.Config{Candidate: candidate, Reference: vf.ref, Fingerprint: vf.fp, Preset: preset,
		Threads: vf.threads, Streaming: streaming, Behaviour: vf.behaviour, Checkpoint: vf.checkpoint}
	if vf.seed != "" {
		if cfg.Seed, err = hex.DecodeString(vf.seed); err != nil || len(cfg.Seed) != 32 {
			return nil, nil, nil, usageErrorf("--seed wants 64 hex digits")
		}
	}
	if vf.fp != "" {
		if cfg.Trust, err = fingerprintTrust("", vf.trust, vf.allowUntrusted); err != nil {
			return nil, nil, nil, err
		}
	}
	if !vf.noFloorCache {
		if cfg.FloorCache, err = appdirs.Floors(appdirs.OSEnv()); err != nil {
			return nil, nil, nil, err
		}
	}
	var key *cert.Key
	if !vf.noCert {
		if key, err = loadKey(vf.keyDir, stderr); err != nil {
			return nil, nil, nil, err
		}
	}
	cfg.Progress = jobProgress(prog, false)
	var beNote string
	cfg.Backend = func() (engine.Backend, error) {
		be, selfTest, note, err := openBackend(vf.backend, vf.threads)
		if selfTest != "" || note != "" {
			beNote = strings.TrimSpace(selfTest + " " + note)
		}
		return be, err
	}
	for _, f := range tune {
		f(&cfg)
	}
	res, err := job.Run(cfg)
	prog.end()
	if err != nil {
		return nil, nil, nil, untrustedHelp(err, vf.fp)
	}
	if beNote != "" {
		// The GPU's start-up self-test against the CPU, or why the run
		// fell back to the CPU: part of what the certificate records.
		res.Checks = append(res.Checks, cert.Check{Name: "backend-self-test", Result: cert.Pass, Detail: beNote})
	}
	out := &verifyOutput{Format: verifyFormat, Verdict: string(res.Verdict), Reason: res.Reason, N: res.N, Levels: res.Levels,
		Params: res.Params, Checks: res.Checks, Seed: res.Seed, Commitment: res.Commitment, Candidate: candidate,
		Reference: vf.ref + vf.fp, Backend: res.Backend, Seconds: res.Finish.Sub(res.Started).Seconds(),
		SeedChosenBy: res.SeedChosenBy, ReferenceInfo: res.Reference, Untrusted: res.Reference.Untrusted(), Floor: res.Floor.Source}
	var d challenge.Derivation
	if len(res.Derivation) > 0 && json.Unmarshal(res.Derivation, &d) == nil && d.Validate() == nil {
		out.Challenges = d.Describe()
	}
	return out, key, res, nil
}

// writeCertificate writes the run's certificate and transcript (both or
// neither, see cert.WriteFiles) unless key is nil, then removes the spent
// checkpoint: only once both files are durable.
func writeCertificate(out *verifyOutput, key *cert.Key, res *job.Result, vf verifyFlags) error {
	if key != nil {
		dir := vf.out
		if dir == "" {
			var err error
			if dir, err = cert.DataDir(cert.OSEnv()); err != nil {
				return err
			}
		}
		var err error
		out.Certificate, out.Transcript, err = cert.WriteFiles(dir, res.Statement(), res.Records, key)
		if err != nil {
			return err
		}
	}
	if vf.checkpoint != "" {
		os.Remove(vf.checkpoint)
	}
	return nil
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

// printVerify prints the verdict and the checks in words; the statistical
// parameters only when the behavioural test ran.
func printVerify(w io.Writer, o *verifyOutput) {
	if o.Untrusted {
		fmt.Fprintf(w, "%s, UNTRUSTED — %s\n", o.Verdict, o.Reason)
	} else {
		fmt.Fprintf(w, "%s — %s\n", o.Verdict, o.Reason)
	}
	fmt.Fprintf(w, "reference: %s\n\n", describeReference(&o.ReferenceInfo))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range o.Checks {
		name := c.Name
		if w, ok := checkNames[name]; ok {
			name = w
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, checkWords[c.Result], c.Detail)
	}
	tw.Flush()
	if o.N > 0 {
		r := o.Params.Rule
		fmt.Fprintf(w, "\nbehavioural test (mode %s): %d challenges (at most %d), %d positions × top %d tokens each, error rate at most %g\n",
			o.Params.Preset, o.N, r.NMax, o.Params.K, o.Params.TopK, r.Alpha)
		fmt.Fprintf(w, "  challenges: %s\n", o.Challenges)
		fmt.Fprintf(w, "  noise floor: %s\n", o.Floor)
		for i, l := range o.Levels {
			lv := r.Levels[i]
			what := "inputs beyond the faithful copy's tail"
			if lv.Kind == stats.LevelRank {
				what = "mean share of faithful distances exceeded"
			}
			fmt.Fprintf(w, "  %s: [%s, %s] (a faithful copy: at most %s; SAME needs below %s)\n",
				what, stats.Percent(l.Lower), stats.Percent(l.Upper), stats.Percent(lv.Faithful), stats.Percent(lv.Epsilon))
		}
	} else {
		fmt.Fprintf(w, "\nno behavioural test was needed (mode %s)\n", o.Params.Preset)
	}
	fmt.Fprintf(w, "seed %s (commitment %s)\n", o.Seed, o.Commitment)
	if o.SeedChosenBy == cert.SeedByRunner {
		fmt.Fprintf(w, "seed chosen with --seed: %s\n", cert.RunnerSeedWarning)
	}
}

// describeReference says in one line what a run compared against: the
// reference's kind, name and model digest, whether PoT computed that digest
// or only the fingerprint claims it, and who sealed the fingerprint.
func describeReference(r *cert.Reference) string {
	if r.Kind != cert.RefFingerprint || r.Fingerprint == nil {
		if h := r.HuggingFace; h != nil {
			return fmt.Sprintf("Hugging Face directory %s (%d files hashed; the certificate lists each SHA-256), tokenizer sha256 %s",
				r.Name, len(h.Files), h.TokenizerSHA256)
		}
		return fmt.Sprintf("model %s, sha256 %s (computed)", r.Name, r.Digest.SHA256)
	}
	trust := "trusted when this ran"
	if !r.Fingerprint.Trusted {
		trust = "UNTRUSTED when this ran: the key was neither in the trust store nor given with --trust; the verdict holds only if you trust whoever holds it"
	}
	return fmt.Sprintf("fingerprint %s (sha256 %s), sealed by key %s (%s); it claims model sha256 %s (claimed: only the fingerprint says so)",
		r.Name, r.Fingerprint.Digest.SHA256, r.Fingerprint.Creator, trust, r.Digest.SHA256)
}

// checkNames are the checks' names as people read them (the certificate
// and --json keep the identifiers).
var checkNames = map[string]string{"file-hash": "file hash", "chat-template": "chat template", "cosmetic-metadata": "cosmetic metadata",
	"quant-types": "quantization types", "tensor-hash": "tensor hashes", "noise-floor": "noise floor", "behaviour": "behavioural test"}

// checkWords are the check results as people read them.
var checkWords = map[cert.CheckResult]string{cert.Pass: "ok", cert.Differs: "differs (not decisive)", cert.Fail: "FAILED", cert.Skip: "skipped"}
