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
	"github.com/proof-of-training/pot/verifier/challenge"
	"github.com/proof-of-training/pot/verifier/stats"
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
	if rule := in.Statement.Predicate.Params.Rule; len(in.Records) > 0 && len(in.Records[0].Levels) == len(rule.Levels) {
		for lv := range rule.Levels {
			pl := newPlot(in.Records, rule, lv)
			pl.Title = levelTitle(rule, lv)
			v.Plots = append(v.Plots, pl)
		}
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
	Plots    []*plot
}

// levelTitle says what level lv of the rule counts, in words.
func levelTitle(rule stats.Rule, lv int) string {
	if rule.Exact() {
		return "Challenges on which the candidate differs at all from the reference (a faithful copy never does)"
	}
	l := rule.Levels[lv]
	return fmt.Sprintf("Challenges beyond the %s largest of %d faithful-quantization distances (a faithful copy: at most %s)",
		stats.Ordinal(l.Rank), rule.Calibration, stats.Percent(l.Faithful))
}

// Plot-area sizes the template needs for its frame and axis titles.
// Challenges describes where the challenges came from, from the
// predicate's derivation.
func (v *view) Challenges() string {
	var d challenge.Derivation
	if len(v.P.Derivation) == 0 || json.Unmarshal(v.P.Derivation, &d) != nil || d.Validate() != nil {
		return ""
	}
	return d.Describe()
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
	rule := p.Params.Rule
	conf := num(100*(1-rule.Alpha)) + "%"
	refWhat := "the reference model"
	if p.Reference.Kind == cert.RefFingerprint {
		refWhat = "the reference model described by the fingerprint"
	}
	common := "that " + refWhat + " is itself genuine or what its name says: PoT compares against the reference it was given"
	switch r.Verdict {
	case cert.Identical:
		return text{"ok", "IDENTICAL: the candidate's tensors are the reference's, byte for byte",
			"The candidate's tensor data is byte-identical to " + refWhat + "'s, as shown by their SHA-256 hashes, and no metadata " +
				"that could change what the model computes differs. No statistics are involved.",
			[]string{common, "anything about how the reference was trained"}}
	case cert.Same:
		if r.N == 0 {
			return text{"ok", "SAME: the candidate's weights are a faithful version of the reference's",
				"The tensor-level comparison (see the checks below) shows every block of the candidate's weights is the reference's, exactly or as " +
					"PoT's own requantization of it, so no behavioural test was needed. " + r.Reason,
				[]string{"that the files are identical: requantization changes the bytes, by design", common}}
		}
		return text{"ok", "SAME: the candidate behaves like a faithful copy of the reference",
			r.Reason + ". The challenges were drawn from a secret seed fixed only after the file was hashed; each was ranked against " +
				"the distances a faithful copy of the reference shows (" + p.Floor.Source + ").",
			[]string{"that the weights are identical: requantization or another backend also gives SAME, by design",
				"that no input at all is affected: a change confined to fewer inputs than the stated fraction, or to inputs unlike the challenges, can pass",
				fmt.Sprintf("anything with more than %s confidence: the chance of a wrong verdict is at most α = %s", conf, num(rule.Alpha)),
				common}}
	case cert.Different:
		if r.N == 0 || hasFailed(p.Checks) {
			return text{"bad", "DIFFERENT: the candidate is not the reference",
				"A structural or weight check failed (see the checks below): the candidate cannot be the reference model or a faithful copy. " + r.Reason,
				[]string{"what was changed or why", "that the candidate is harmful or worse: only that it is not the reference"}}
		}
		return text{"bad", "DIFFERENT: the candidate behaves differently from the reference",
			r.Reason + ": it is not the reference model, nor a faithful requantization of it.",
			[]string{"what was changed (fine-tuning, another model, corruption) or why",
				"that the candidate is worse or harmful: only that it is not the reference",
				fmt.Sprintf("anything with more than %s confidence", conf)}}
	default:
		if r.N == 0 {
			return text{"unsure", "UNDECIDED: no behavioural test was possible", r.Reason,
				[]string{"that the candidate is the reference", "that it is not"}}
		}
		return text{"unsure", "UNDECIDED: the test ran out of challenges before deciding", r.Reason,
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
