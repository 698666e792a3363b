package main

import (
	"fmt"
	"io"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/report"
)

func init() {
	register(command{name: "report", summary: "render a certificate as a readable, self-contained HTML page",
		usage: "pot report CERT -o REPORT.html [--model FILE] [--pubkey KEY]... [--transcript FILE] [--key-dir DIR] [--unverified]",
		help:  reportHelp, run: cmdReport})
}

const reportHelp = `Checks the certificate as 'pot cert verify' does, then writes a
self-contained HTML page: the verdict, every check, and a plot of the
confidence sequence. A certificate that does not verify is refused (exit 1),
unless --unverified, when the page says first, in red, that it was NOT
verified and why.
`

// cmdReport verifies a certificate as `pot cert verify` does and renders it.
// A certificate that does not verify is refused, unless --unverified, when
// the page says in red that it was not verified and why.
func cmdReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report")
	var cf certFlags
	cf.addFlags(fs)
	out := fs.String("o", "", "output HTML file (required)")
	unverified := fs.Bool("unverified", false, "render even a certificate that does not verify, marked as such")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usageErrorf("want one certificate file and -o REPORT.html")
	}
	in, err := reportInput(pos[0], cf, *unverified)
	if err != nil {
		return err
	}
	err = atomicfile.WriteFile(*out, 0o644, func(w io.Writer) error { return report.Write(w, *in) })
	if err != nil {
		return outputError(err)
	}
	state := "verified"
	if !in.Verified {
		state = "NOT verified"
	}
	fmt.Fprintf(stdout, "%s: %s (%s certificate) -> %s\n", pos[0], in.Statement.Predicate.Result.Verdict, state, *out)
	return nil
}

// reportInput verifies the certificate and gathers what the page shows.
func reportInput(path string, cf certFlags, unverified bool) (*report.Input, error) {
	_, v, verr := verifyCertificate(path, cf)
	if verr == nil {
		return &report.Input{Statement: v.Statement, Records: v.Transcript.Records, Verified: true,
			KeyID: v.KeyID, Rederived: v.Rederived, Model: v.Model}, nil
	}
	if !unverified {
		return nil, exitWith(certStatus(verr, false), fmt.Errorf("certificate %s is NOT valid (use --unverified to render it anyway): %w", path, verr))
	}
	// Show what can be read, marked as not verified.
	env, err := readLimited(path, cert.MaxEnvelopeSize, cert.ErrEnvelope)
	if err != nil {
		return nil, err
	}
	st, err := cert.Inspect(env)
	if err != nil {
		return nil, fmt.Errorf("certificate %s cannot be read: %w", path, err)
	}
	in := &report.Input{Statement: st, Problem: verr.Error()}
	trPath := cf.transcript
	if trPath == "" {
		trPath = siblingPath(path, st.Predicate.Transcript.Name)
	}
	if b, err := readLimited(trPath, cert.MaxTranscriptSize, cert.ErrTranscript); err == nil {
		if t, err := cert.ParseTranscript(b); err == nil {
			in.Records = t.Records
		}
	}
	return in, nil
}
