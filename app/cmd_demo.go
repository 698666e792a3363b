package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/synth"
	"github.com/proof-of-training/pot/verifier/variant"
)

func init() {
	register(command{name: "demo", summary: "verify generated model variants end to end (no downloads)",
		usage: "pot demo [--mode M] [--dir DIR] [--shape S] [--threads N]", run: cmdDemo})
}

// demoCase is one candidate of the demo and the verdict it must get.
type demoCase struct {
	name   string
	want   string
	source string // "ref" or "other" (a model with another seed)
	edits  []variant.Edit
}

func demoCases() []demoCase {
	return []demoCase{
		{"same file", "IDENTICAL", "ref", nil},
		{"renamed (general.name)", "IDENTICAL", "ref", []variant.Edit{variant.SetString("general.name", "totally-new-model")}},
		{"chat template edited", "DIFFERENT", "ref", []variant.Edit{variant.SetString("tokenizer.chat_template", "{{ messages }}")}},
		{"tokenizer merges edited", "DIFFERENT", "ref", []variant.Edit{variant.ScaleTokenScores(2)}},
		{"requantized F16", "SAME", "ref", []variant.Edit{variant.Requantize("F16")}},
		{"requantized Q8_0", "SAME", "ref", []variant.Edit{variant.Requantize("Q8_0")}},
		{"requantized Q6_K", "SAME", "ref", []variant.Edit{variant.Requantize("Q6_K")}},
		{"requantized Q4_K_M", "SAME", "ref", []variant.Edit{variant.Requantize("Q4_K_M")}},
		{"requantized Q4_0", "SAME", "ref", []variant.Edit{variant.Requantize("Q4_0")}},
		{"1% noise on one tensor", "DIFFERENT", "ref", []variant.Edit{variant.Noise("blk.1.ffn_down.weight", 0.01, 7)}},
		{"output norm × 1.02", "DIFFERENT", "ref", []variant.Edit{variant.Scale("output_norm.weight", 1.02)}},
		{"another seed", "DIFFERENT", "other", nil},
	}
}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo")
	mode := fs.String("mode", "quick", "preset for every verification")
	dir := fs.String("dir", "", "work directory to keep (default: a temporary one, removed after)")
	shape := fs.String("shape", "tiny", "shape of the generated reference")
	threads := fs.Int("threads", 0, "CPU threads (0: all cores)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	work := *dir
	if work == "" {
		tmp, err := os.MkdirTemp("", "pot-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		work = tmp
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	s, err := synth.LookupShape(*shape)
	if err != nil {
		return usageErrorf("%v", err)
	}
	p := func(name string) string { return filepath.Join(work, name) }
	keyDir := p("key")
	fmt.Fprintf(stdout, "PoT demo in %s: a random %s model (F32) as the reference, and variants of it.\n\n", work, s.Name)

	ref := p("reference.gguf")
	if err := synth.WriteFile(ref, synth.Spec{Shape: s, FileType: "F32", Seed: 1, Name: "demo-reference"}); err != nil {
		return err
	}
	other := p("other.gguf")
	if err := synth.WriteFile(other, synth.Spec{Shape: s, FileType: "F32", Seed: 2, Name: "demo-reference"}); err != nil {
		return err
	}
	key, err := loadKey(keyDir, io.Discard)
	if err != nil {
		return err
	}
	fpPath := p("reference.potfp")
	start := time.Now()
	profiles := []synth.FileType{"F16", "Q8_0", "Q6_K", "Q4_K_M", "Q4_0"}
	preset, err := job.LookupPreset(*mode)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	// The pool holds every challenge the mode may draw, without replacement.
	pool := preset.Design.NMax
	if _, err := job.CreateFingerprint(job.FingerprintConfig{Reference: ref, Out: fpPath, Key: key, PoolSize: pool,
		Calibration: preset.Calibration, Profiles: profiles, Threads: *threads}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fingerprinted the reference in %.1fs (%d challenges, noise floors for %d requantizations)\n\n",
		time.Since(start).Seconds(), pool, len(profiles))

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "candidate\texpected\t--ref\t--ref --behaviour\t--fingerprint\t")
	wrong := 0
	for i, c := range demoCases() {
		cand := p(fmt.Sprintf("candidate-%02d.gguf", i))
		src := ref
		if c.source == "other" {
			src = other
		}
		if err := variant.Write(src, cand, c.edits...); err != nil {
			return err
		}
		row := c.name + "\t" + c.want + "\t"
		for _, vf := range []verifyFlags{
			{ref: ref, mode: *mode},
			{ref: ref, mode: *mode, behaviour: true},
			{fp: fpPath, mode: *mode},
		} {
			vf.keyDir, vf.out, vf.threads, vf.streaming = keyDir, p("certificates"), *threads, "auto"
			vf.trust = listFlag{key.KeyID()} // the demo's own fingerprint
			out, key, res, err := runVerify(cand, vf, nil, io.Discard)
			if err == nil {
				err = writeCertificate(out, key, res, vf)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			mark := ""
			if out.Verdict != c.want {
				mark = " ✗"
				wrong++
			}
			row += fmt.Sprintf("%s%s (n=%d, %.2fs)\t", out.Verdict, mark, out.N, out.Seconds)
		}
		fmt.Fprintln(tw, row)
	}
	tw.Flush()
	if *dir != "" {
		fmt.Fprintf(stdout, "\n%d wrong verdicts. Certificates are in %s (check one with 'pot cert verify --key-dir %s CERT').\n",
			wrong, p("certificates"), keyDir)
	} else {
		fmt.Fprintf(stdout, "\n%d wrong verdicts. (Run with --dir DIR to keep the models and certificates.)\n", wrong)
	}
	if wrong > 0 {
		return fmt.Errorf("%d verdicts differ from the expected ones", wrong)
	}
	return nil
}
