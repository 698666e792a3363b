// Package report renders a PoT certificate as a self-contained HTML page a
// person can read: the verdict in plain words, what it means and what it
// does not prove, the model and the reference, every check, the parameters,
// and a plot of the confidence sequence.
//
// Scope: one static page, inline CSS and an inline SVG plot; no scripts, no
// external resources, so it can be mailed or archived as one file and opens
// offline. Left out: interactivity, localisation.
//
// Security stance: the certificate's text fields are untrusted; every value
// goes through html/template's contextual escaping, and the plot's numbers
// are formatted here from float64 values, never copied from input text. The
// page states whether the certificate was verified; rendering does not
// verify it (the caller does that with cert.Verify and passes the outcome).
package report

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/proof-of-training/pot/verifier/cert"
)

// Input is what the page shows.
type Input struct {
	Statement *cert.Statement
	// Records is the transcript; empty when no behavioural test ran.
	Records []cert.Record
	// Verification outcome, from cert.Verify.
	Verified  bool   // signature, schema, transcript and recomputation all passed
	Problem   string // why verification failed, when !Verified
	KeyID     string // signer's key id, when known
	Rederived bool   // challenges were re-derived from the seed
	Model     bool   // the model file was rehashed
}

//go:embed report.html.tmpl
var pageSrc string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":  num,
	"pct":  func(a float64) string { return num(100*(1-a)) + "%" },
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(pageSrc))

// Write renders the page for in to w.
func Write(w io.Writer, in Input) error {
	if in.Statement == nil || len(in.Statement.Subject) != 1 {
		return fmt.Errorf("report: no statement")
	}
	v := view{Input: in, St: in.Statement, P: &in.Statement.Predicate}
	v.Subject = in.Statement.Subject[0]
	v.Text = verdictText(in.Statement)
	v.Duration = in.Statement.Predicate.FinishedAt.Sub(in.Statement.Predicate.StartedAt).Round(time.Second).String()
	if len(in.Records) > 0 {
		v.Plot = newPlot(in.Records, in.Statement.Predicate.Params)
	}
	if err := page.Execute(w, &v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// view is the template's data.
type view struct {
	Input
	St       *cert.Statement
	P        *cert.Predicate
	Subject  cert.Subject
	Text     text
	Duration string
	Plot     *plot
}

// Plot-area sizes the template needs for its frame and axis titles.
// Challenges describes where the challenges came from, from the
// predicate's derivation: keyed text prompts run through the reference
// model, or keyed draws from a fingerprint's pool.
func (v *view) Challenges() string {
	var d struct {
		Kind     string `json:"kind"`
		PoolSize int    `json:"poolSize"`
	}
	if len(v.P.Derivation) == 0 || json.Unmarshal(v.P.Derivation, &d) != nil {
		return ""
	}
	switch d.Kind {
	case "text":
		return "text prompts derived from the seed, scored against the reference model"
	case "pool":
		return fmt.Sprintf("drawn by the seed from the fingerprint's pool of %d challenges", d.PoolSize)
	}
	return d.Kind
}

// RunnerSeedWarning is what a runner-chosen seed means.
func (v *view) RunnerSeedWarning() string { return cert.RunnerSeedWarning }

func (v *view) PlotW() int { return innerW }
func (v *view) PlotH() int { return innerH }
func (v *view) HalfW() int { return innerW / 2 }
func (v *view) MidY() int  { return padT + innerH/2 }

// text is the plain-words explanation of a verdict.
type text struct {
	Class    string // CSS class: ok, bad, unsure
	Headline string
	Means    string
	NotProve []string
}

func verdictText(st *cert.Statement) text {
	t := plainVerdict(st)
	if st.Predicate.Seed.ChosenBy == cert.SeedByRunner && st.Predicate.Result.N > 0 {
		t.NotProve = append(t.NotProve, "that the challenges were unpredictable: "+cert.RunnerSeedWarning)
	}
	if st.Predicate.Reference.Untrusted() {
		t.Headline = "UNTRUSTED — " + t.Headline
		t.NotProve = append([]string{"anything about the model the fingerprint names: its creator key was not trusted"}, t.NotProve...)
	}
	return t
}

func plainVerdict(st *cert.Statement) text {
	p := &st.Predicate
	r := p.Result
	conf := num(100*(1-p.Params.Alpha)) + "%"
	refWhat := "the reference model"
	if p.Reference.Kind == cert.RefFingerprint {
		refWhat = "the reference model described by the fingerprint"
	}
	common := "that " + refWhat + " is itself genuine or what its name says: PoT compares against the reference it was given"
	switch r.Verdict {
	case cert.Identical:
		return text{"ok", "IDENTICAL: the candidate is the reference, byte for byte",
			"The candidate's tensor data and metadata are byte-identical to " + refWhat + ", as shown by their SHA-256 hashes. No statistics are involved.",
			[]string{common, "anything about how the reference was trained"}}
	case cert.Same:
		if r.N == 0 {
			return text{"ok", "SAME: the candidate's weights are a faithful version of the reference's",
				"The tensor-level comparison (see the checks below) shows the candidate's weights are the reference's, exactly or as a faithful " +
					"requantization, so no behavioural test was needed. " + r.Reason,
				[]string{"that the files are identical: requantization changes the bytes, by design", common}}
		}
		return text{"ok", "SAME: the candidate behaves like the reference",
			fmt.Sprintf("On %d challenge prompts drawn at random from a secret seed fixed only after the file was hashed, the candidate's next-token "+
				"distributions differ from the reference's by a mean score below γ = %s, with %s confidence. "+
				"A score counts how far the candidate's predictions stray beyond the measured noise of a faithful copy.", r.N, num(p.Params.Gamma), conf),
			[]string{"that the weights are identical: requantization or another backend also gives SAME, by design",
				"that every possible change was ruled out: a change whose effect on these kinds of prompts stays below γ can pass",
				fmt.Sprintf("anything with more than %s confidence: the chance of a wrong verdict is at most α = %s", conf, num(p.Params.Alpha)),
				common}}
	case cert.Different:
		if r.N == 0 || hasFailed(p.Checks) {
			return text{"bad", "DIFFERENT: the candidate is not the reference",
				"A structural check failed (see the checks below): the candidate cannot be the reference model. " + r.Reason,
				[]string{"what was changed or why", "that the candidate is harmful or worse: only that it is not the reference"}}
		}
		return text{"bad", "DIFFERENT: the candidate behaves differently from the reference",
			fmt.Sprintf("On %d random challenge prompts the candidate's next-token distributions stray from the reference's by a mean score above "+
				"δ = %s, with %s confidence: it is not the reference model, nor a faithful requantization of it.", r.N, num(p.Params.Delta), conf),
			[]string{"what was changed (fine-tuning, another model, corruption) or why",
				"that the candidate is worse or harmful: only that it is not the reference",
				fmt.Sprintf("anything with more than %s confidence", conf)}}
	default:
		return text{"unsure", "UNDECIDED: the test ran out of challenges before deciding",
			fmt.Sprintf("After the budget of %d challenges the mean score lies in [%s, %s] with %s confidence: neither surely below γ = %s (SAME) "+
				"nor surely above δ = %s (DIFFERENT).", r.N, num(r.Lower), num(r.Upper), conf, num(p.Params.Gamma), num(p.Params.Delta)),
			[]string{"that the candidate is the reference", "that it is not", "a larger budget or a re-run may decide"}}
	}
}

func hasFailed(cs []cert.Check) bool {
	for _, c := range cs {
		if c.Result == cert.Fail {
			return true
		}
	}
	return false
}

// num formats x with at most 4 decimals and no trailing zeros.
func num(x float64) string {
	s := strconv.FormatFloat(x, 'f', 4, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
