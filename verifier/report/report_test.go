package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

// TestMain ends with a line naming what the tests missed (chromium).
func TestMain(m *testing.M) { os.Exit(testdata.Main(m)) }

// render verifies a fixture and renders its page.
func render(t *testing.T, f *certtest.Fixture) []byte {
	t.Helper()
	v, err := cert.Verify(f.Envelope, f.Options())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	err = Write(&b, Input{Statement: v.Statement, Records: v.Transcript.Records, Verified: true, KeyID: v.KeyID, Rederived: v.Rederived})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var pathRE = regexp.MustCompile(`<path id="(cs-[a-z]+-0)" d="([^"]*)"`)

// plotPoints returns, for each path id, the number of points in its d.
func plotPoints(html []byte) map[string]int {
	pts := map[string]int{}
	for _, m := range pathRE.FindAllSubmatch(html, -1) {
		pts[string(m[1])] = len(regexp.MustCompile(`[ML][0-9.]+,[0-9.]+`).FindAll(m[2], -1))
	}
	return pts
}

func TestReportContent(t *testing.T) {
	for _, c := range []struct {
		name   string
		scores []float64
		want   []string
	}{
		{"same", certtest.SameScores(60), []string{"SAME: the candidate behaves like a faithful copy", "does not prove", "that the weights are identical", "ε = 0.4: SAME needs", "fewer than"}},
		{"different", certtest.ConstScores(60, 1), []string{"DIFFERENT: the candidate behaves differently", "DIFFERENT when the lower bound is above", "more than a faithful quantization"}},
		{"undecided", certtest.UndecidedScores(60), []string{"UNDECIDED", "budget of 60 challenges spent"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := certtest.New(t, c.scores, nil)
			html := render(t, f)
			for _, w := range append(c.want, "Certificate verified", f.Statement.Subject[0].Digest.SHA256, f.Key.KeyID(), "candidate-Q4_K_M.gguf", "metadata", `id="same-0"`, `id="faithful-0"`, `id="same-1"`) {
				if !bytes.Contains(html, []byte(w)) {
					t.Errorf("page lacks %q", w)
				}
			}
			pts := plotPoints(html)
			n := len(f.Records)
			if pts["cs-upper-0"] != n || pts["cs-lower-0"] != n || pts["cs-mean-0"] != n || pts["cs-band-0"] != 2*n {
				t.Errorf("plot points %v, want %d per line", pts, n)
			}
			for _, bad := range []string{"<script", "src=", "http://", "<link"} {
				if bytes.Contains(html, []byte(bad)) {
					t.Errorf("page is not self-contained: has %q", bad)
				}
			}
		})
	}
}

func TestReportEscapes(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	st := *f.Statement
	st.Subject = []cert.Subject{{Name: `<script>alert(1)</script>.gguf`, Digest: st.Subject[0].Digest}}
	st.Predicate.Checks = []cert.Check{{Name: `x" onmouseover="y`, Result: cert.Pass, Detail: "<b>bold</b>"}}
	var b bytes.Buffer
	if err := Write(&b, Input{Statement: &st, Records: f.Records, Problem: "<i>bad</i>"}); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, bad := range []string{"<script>", "<b>bold", `" onmouseover="`, "<i>bad"} {
		if strings.Contains(html, bad) {
			t.Errorf("unescaped %q", bad)
		}
	}
	if !strings.Contains(html, "NOT verified") {
		t.Error("unverified page does not say so")
	}
}

func TestReportNoBehaviouralTest(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	st := *f.Statement
	st.Predicate.Checks = []cert.Check{{Name: "tokenizer", Result: cert.Fail, Detail: "vocabulary differs"}}
	st.Predicate.Result = cert.Result{Verdict: cert.Different, Reason: "tokenizer differs"}
	var b bytes.Buffer
	if err := Write(&b, Input{Statement: &st}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No behavioural test ran") || strings.Contains(b.String(), "<svg") {
		t.Error("page without a test draws a plot")
	}
	if !strings.Contains(b.String(), "A structural or weight check failed") {
		t.Error("structural DIFFERENT not explained")
	}
}

// TestReportStateFirst: the verification state comes before the verdict,
// so an unverified page cannot be read as a green verdict first; and a
// certificate without challenges does not claim they were re-derived.
func TestReportStateFirst(t *testing.T) {
	f := certtest.New(t, certtest.ConstScores(60, 1), nil)
	for _, c := range []struct {
		name  string
		in    Input
		first string
	}{
		{"unverified", Input{Statement: f.Statement, Records: f.Records, Problem: "bad signature"}, "This certificate was NOT verified"},
		{"verified", Input{Statement: f.Statement, Records: f.Records, Verified: true, Rederived: true}, "Certificate verified"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, c.in); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			state, verdict := strings.Index(page, c.first), strings.Index(page, `id="verdict"`)
			if state < 0 || verdict < 0 || state > verdict {
				t.Errorf("%q at %d, the verdict at %d: the state must come first", c.first, state, verdict)
			}
		})
	}
	st := *f.Statement
	st.Predicate.Result = cert.Result{Verdict: cert.Same, Reason: "faithful requantization"}
	var b bytes.Buffer
	if err := Write(&b, Input{Statement: &st, Verified: true}); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); strings.Contains(page, "Every challenge was re-derived") || !strings.Contains(page, "No challenges were drawn") {
		t.Error("a certificate without challenges claims they were re-derived")
	}
}

func TestXTicks(t *testing.T) {
	for n, want := range map[int]string{1: "[0 1]", 7: "[0 2 4 6]", 42: "[0 10 20 30 40]", 400: "[0 100 200 300 400]"} {
		if got := fmt.Sprint(xTicks(n)); got != want {
			t.Errorf("xTicks(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestReportInBrowser renders the page in headless Chromium and checks the
// plot's paths survive into the rendered DOM with their points. It fails
// instead of skipping when POT_REQUIRE_SYSTEM=1.
func TestReportInBrowser(t *testing.T) {
	chromium := testdata.Tool(t, "apt-get install chromium", "chromium", "chromium-browser", "google-chrome")
	f := certtest.New(t, certtest.SameScores(60), nil)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, render(t, f), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(chromiumArgs(dir), "--dump-dom", "file://"+page)
	out, err := exec.Command(chromium, args...).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !bytes.Contains(out, []byte("<svg")) {
		t.Fatalf("rendered DOM has no SVG:\n%.2000s", out)
	}
	pts := plotPoints(out)
	n := len(f.Records)
	if pts["cs-upper-0"] != n || pts["cs-lower-0"] != n || pts["cs-mean-0"] != n {
		t.Errorf("rendered plot points %v, want %d per line", pts, n)
	}
	for _, id := range []string{`id="same-0"`, `id="faithful-0"`, `id="verdict"`, "SAME: the candidate behaves like a faithful copy"} {
		if !bytes.Contains(out, []byte(id)) {
			t.Errorf("rendered DOM lacks %s", id)
		}
	}
	if shot := os.Getenv("POT_REPORT_SCREENSHOT"); shot != "" { // for a person to look at
		args := append(chromiumArgs(dir), "--hide-scrollbars", "--window-size=1000,1900", "--screenshot="+shot, "file://"+page)
		if out, err := exec.Command(chromium, args...).CombinedOutput(); err != nil {
			t.Errorf("screenshot: %v\n%s", err, out)
		}
	}
}

func chromiumArgs(dir string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "profile")}
}

// TestReportTrustAndSeed: an untrusted fingerprint is named first, before
// the verdict; a runner-chosen seed is said plainly; a trusted run with a
// fresh seed says neither.
func TestReportTrustAndSeed(t *testing.T) {
	for _, c := range []struct {
		name           string
		trusted        bool
		chosenBy       string
		want, notWant  []string
		untrustedFirst bool
	}{
		{"trusted fresh seed", true, cert.SeedByVerifier,
			[]string{"The person who ran this trusted that key", "Drawn fresh", `id="digest-claimed"`}, []string{"UNTRUSTED", `id="seed-runner"`}, false},
		{"untrusted runner seed", false, cert.SeedByRunner,
			[]string{`id="untrusted"`, "UNTRUSTED — SAME", `id="seed-runner"`, cert.RunnerSeedWarning, `id="digest-claimed"`}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := certtest.New(t, certtest.SameScores(60), nil)
			st := *f.Statement
			fpRef := *st.Predicate.Reference.Fingerprint
			fpRef.Trusted = c.trusted
			st.Predicate.Reference.Fingerprint = &fpRef
			st.Predicate.Seed.ChosenBy = c.chosenBy
			env, tr, err := cert.Seal(&st, f.Records, certtest.TranscriptName, f.Key)
			if err != nil {
				t.Fatal(err)
			}
			f.Envelope, f.Transcript = env, tr
			html := string(render(t, f))
			for _, w := range c.want {
				if !strings.Contains(html, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(html, w) {
					t.Errorf("page has %q", w)
				}
			}
			if c.untrustedFirst {
				u, v := strings.Index(html, `id="untrusted"`), strings.Index(html, `id="verdict"`)
				if u < 0 || u > v || !strings.Contains(html[u:v], fpRef.Creator) {
					t.Errorf("the untrusted notice (at %d) must come before the verdict (at %d) and name key %s", u, v, fpRef.Creator)
				}
			}
		})
	}
}
