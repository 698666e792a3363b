package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/proof-of-training/pot/internal/appdirs"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/fingerprint"
	"github.com/proof-of-training/pot/verifier/job"
)

// benchVerifyFormat names and versions `pot bench verify --json`.
const benchVerifyFormat = "pot.bench-verify/v1"

// benchVerifyReport is one whole verification, timed by phase.
type benchVerifyReport struct {
	Format      string       `json:"format"`
	Candidate   string       `json:"candidate"`
	Reference   string       `json:"reference"`
	Mode        string       `json:"mode"`
	Threads     int          `json:"threads"`
	Verdict     string       `json:"verdict"`
	Challenges  int          `json:"challenges"`
	Calibration int          `json:"calibration"` // calibration distances in the floor (0: zero floor)
	FloorReused bool         `json:"floor_reused"`
	Phases      []benchPhase `json:"phases"`
	// PrefillSeconds is the time during which a model was in a forward
	// pass, in any phase; PrefillShare its share of TotalSeconds.
	PrefillSeconds float64 `json:"prefill_seconds"`
	PrefillShare   float64 `json:"prefill_share"`
	TotalSeconds   float64 `json:"total_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	PeakRSS        int64   `json:"peak_rss_bytes"`
}

type benchPhase struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// cmdBenchVerify: pot bench verify CANDIDATE (--ref MODEL | --fingerprint FP)
// [--mode M] [--threads N] [--floor-cache] [--json]
//
// It runs a whole verification as `pot verify` would (fresh seed, no
// checkpoint, a throw-away signing key and output directory) and reports
// where the time went. By default the noise floor is measured, as on a
// first run; --floor-cache uses and fills the user's floor cache, as
// later runs do.
func cmdBenchVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench verify")
	ref := fs.String("ref", "", "reference model: a GGUF file or a Hugging Face model directory")
	fp := fs.String("fingerprint", "", "reference fingerprint file (its creator need not be trusted here)")
	mode := fs.String("mode", "standard", "preset")
	threads := fs.Int("threads", 0, "CPU threads (0: all cores)")
	useCache := fs.Bool("floor-cache", false, "reuse (and keep) measured noise floors, as later verifications do")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*ref == "") == (*fp == "") {
		return usageErrorf("want one CANDIDATE and exactly one of --ref and --fingerprint")
	}
	preset, err := job.LookupPreset(*mode)
	if err != nil {
		return usageErrorf("%v", err)
	}
	tmp, err := os.MkdirTemp("", "pot-bench-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg := job.Config{Candidate: pos[0], Reference: *ref, Fingerprint: *fp, Preset: preset, Threads: *threads,
		Behaviour: true, TempDir: tmp, Trust: fingerprint.Trust{AllowUntrusted: true}}
	if *useCache {
		if cfg.FloorCache, err = appdirs.Floors(appdirs.OSEnv()); err != nil {
			return err
		}
	}
	key, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	cpu0 := cpuTime()
	res, err := job.Run(cfg)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if _, _, err := cert.WriteFiles(tmp, res.Statement(), res.Records, key); err != nil {
		return outputError(err)
	}
	certTime := time.Since(t0)
	tm := res.Timing
	total := tm.Total + certTime
	rep := &benchVerifyReport{Format: benchVerifyFormat, Candidate: filepath.Base(pos[0]), Reference: filepath.Base(*ref + *fp),
		Mode: preset.Name, Threads: *threads, Verdict: string(res.Verdict), Challenges: res.N,
		Calibration: len(res.Floor.Samples), FloorReused: res.Floor.Seed != "",
		PrefillSeconds: tm.Prefill.Seconds(), PrefillShare: tm.Prefill.Seconds() / total.Seconds(),
		TotalSeconds: total.Seconds(), CPUSeconds: (cpuTime() - cpu0).Seconds(), PeakRSS: peakRSS()}
	if rep.Threads <= 0 {
		rep.Threads = runtime.NumCPU()
	}
	other := total - tm.Hash - tm.Weights - tm.Calibrate - tm.Challenges - certTime
	for _, p := range []struct {
		name string
		d    time.Duration
	}{{"hashing", tm.Hash}, {"weights", tm.Weights}, {"calibration", tm.Calibrate},
		{"requantizing", tm.Requantize}, {"challenges", tm.Challenges}, {"certificate", certTime}, {"other", other}} {
		rep.Phases = append(rep.Phases, benchPhase{p.name, p.d.Seconds()})
	}
	if *asJSON {
		return writeJSON(stdout, rep)
	}
	printBenchVerify(stdout, rep)
	return nil
}

func printBenchVerify(w io.Writer, r *benchVerifyReport) {
	fmt.Fprintf(w, "%s against %s, mode %s, %d threads: %s after %d challenges (floor: %d calibration distances%s)\n",
		r.Candidate, r.Reference, r.Mode, r.Threads, r.Verdict, r.Challenges, r.Calibration, map[bool]string{true: ", reused"}[r.FloorReused])
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tseconds\tshare\t")
	for _, p := range r.Phases {
		name := p.Name
		if name == "requantizing" {
			name = "of which requantizing" // part of calibration
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.1f%%\t\n", name, p.Seconds, 100*p.Seconds/r.TotalSeconds)
	}
	fmt.Fprintf(tw, "total\t%.2f\t100%%\t\n", r.TotalSeconds)
	fmt.Fprintf(tw, "in forward passes (any phase)\t%.2f\t%.1f%%\t\n", r.PrefillSeconds, 100*r.PrefillShare)
	tw.Flush()
	fmt.Fprintf(w, "CPU %.1f s (%.2f cores busy on average), peak RSS %.1f MiB\n", r.CPUSeconds, r.CPUSeconds/r.TotalSeconds, float64(r.PeakRSS)/(1<<20))
}
