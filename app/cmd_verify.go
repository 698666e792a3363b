package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/job"
)

func init() {
	register(command{name: "verify", summary: "verify a model against a reference model or fingerprint", run: cmdVerify})
}

// verifyOutput is `pot verify --json` output.
type verifyOutput struct {
	Verdict     string       `json:"verdict"`
	Reason      string       `json:"reason"`
	N           int          `json:"n"`
	Mean        float64      `json:"mean"`
	Lower       float64      `json:"lower"`
	Upper       float64      `json:"upper"`
	Alpha       float64      `json:"alpha"`
	Gamma       float64      `json:"gamma"`
	Delta       float64      `json:"delta"`
	K           int          `json:"k"`
	TopK        int          `json:"topK"`
	NMin        int          `json:"nMin"`
	NMax        int          `json:"nMax"`
	Mode        string       `json:"mode"`
	Checks      []cert.Check `json:"checks"`
	Floor       string       `json:"floor,omitempty"`
	Seed        string       `json:"seed"`
	Commitment  string       `json:"commitment"`
	Candidate   string       `json:"candidate"`
	Reference   string       `json:"reference"`
	Backend     string       `json:"backend"`
	Seconds     float64      `json:"seconds"`
	Certificate string       `json:"certificate,omitempty"`
	Transcript  string       `json:"transcript,omitempty"`
}

// verifyFlags are shared by `pot verify` and `pot demo`.
type verifyFlags struct {
	ref, fp, mode, seed, out, keyDir, trust, checkpoint, streaming string
	threads                                                        int
	behaviour, noCert                                              bool
}

func cmdVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	var vf verifyFlags
	fs.StringVar(&vf.ref, "ref", "", "reference model: a GGUF file or a Hugging Face model directory")
	fs.StringVar(&vf.fp, "fingerprint", "", "reference fingerprint file")
	fs.StringVar(&vf.mode, "mode", "standard", "preset: "+strings.Join(job.PresetNames(), ", "))
	fs.StringVar(&vf.seed, "seed", "", "challenge seed, 64 hex digits (default: fresh and secret until the end)")
	fs.StringVar(&vf.out, "out", "", "directory for the certificate and transcript (default: the user's data directory)")
	fs.StringVar(&vf.keyDir, "key-dir", "", "directory of the signing key (default: the user's config directory)")
	fs.StringVar(&vf.trust, "trust", "", "accept only fingerprints sealed by this public key file")
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
	if vf.trust != "" {
		pub, err := readPublicKey(vf.trust)
		if err != nil {
			return nil, err
		}
		cfg.FingerprintKeys = []ed25519.PublicKey{pub}
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
		return nil, err
	}
	out := &verifyOutput{Verdict: string(res.Verdict), Reason: res.Reason, N: res.N, Mean: res.Mean,
		Lower: res.Lower, Upper: res.Upper, Alpha: res.Params.Alpha, Gamma: res.Params.Gamma, Delta: res.Params.Delta,
		K: res.Params.K, TopK: res.Params.TopK, NMin: res.Params.NMin, NMax: res.Params.NMax, Mode: preset.Name,
		Checks: res.Checks, Seed: res.Seed, Commitment: res.Commitment, Candidate: candidate,
		Reference: vf.ref + vf.fp, Backend: res.Backend, Seconds: res.Finish.Sub(res.Started).Seconds()}
	if res.Floor.Source != "" {
		out.Floor = fmt.Sprintf("%s (threshold %.3g)", res.Floor.Source, res.Floor.Threshold())
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
		if e.Stage == "challenge" && b.tty {
			fmt.Fprintf(w, "\rchallenge %d: mean %.3f, interval [%.3f, %.3f]   ", e.Done, e.Mean, e.Lower, e.Upper)
			return
		}
		b.update(e.Done, e.Total, unit)
	}
}

func printVerify(w io.Writer, o *verifyOutput) {
	if isTerminal(w) {
		fmt.Fprint(w, "\r\033[K")
	}
	fmt.Fprintf(w, "%s — %s\n\n", o.Verdict, o.Reason)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range o.Checks {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Name, c.Result, c.Detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nmode %s: α=%g γ=%g δ=%g, K=%d positions × top-%d, n ∈ [%d, %d]\n",
		o.Mode, o.Alpha, o.Gamma, o.Delta, o.K, o.TopK, o.NMin, o.NMax)
	if o.N > 0 {
		fmt.Fprintf(w, "challenges %d: mean score %.3f, %g%%-confidence interval [%.3f, %.3f]\n", o.N, o.Mean, 100*(1-o.Alpha), o.Lower, o.Upper)
		fmt.Fprintf(w, "noise floor: %s\n", o.Floor)
	}
	fmt.Fprintf(w, "seed %s (commitment %s)\n", o.Seed, o.Commitment)
	if o.Certificate != "" {
		fmt.Fprintf(w, "certificate %s\ntranscript  %s\n", o.Certificate, o.Transcript)
	}
}
