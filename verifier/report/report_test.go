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

var pathRE = regexp.MustCompile(`<path id="(cs-[a-z]+)" d="([^"]*)"`)

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
		{"same", certtest.SameScores(60), []string{"SAME: the candidate behaves like the reference", "does not prove", "that the weights are identical", "γ = 0.2: SAME when"}},
		{"different", certtest.ConstScores(60, 1), []string{"DIFFERENT: the candidate behaves differently", "δ = 0.5: DIFFERENT when"}},
		{"undecided", certtest.ConstScores(60, 0.35), []string{"UNDECIDED", "neither surely below γ = 0.2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := certtest.New(t, c.scores, nil)
			html := render(t, f)
			for _, w := range append(c.want, "Certificate verified", f.Statement.Subject[0].Digest.SHA256, f.Key.KeyID(), "candidate-Q4_K_M.gguf", "metadata", `id="gamma"`, `id="delta"`) {
				if !bytes.Contains(html, []byte(w)) {
					t.Errorf("page lacks %q", w)
				}
			}
			pts := plotPoints(html)
			n := len(f.Records)
			if pts["cs-upper"] != n || pts["cs-lower"] != n || pts["cs-mean"] != n || pts["cs-band"] != 2*n {
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
	st.Predicate.Result = cert.Result{Verdict: cert.Different, Reason: "tokenizer differs", Upper: 1}
	var b bytes.Buffer
	if err := Write(&b, Input{Statement: &st}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No behavioural test ran") || strings.Contains(b.String(), "<svg") {
		t.Error("page without a test draws a plot")
	}
	if !strings.Contains(b.String(), "A structural check failed") {
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
	st.Predicate.Result = cert.Result{Verdict: cert.Same, Reason: "faithful requantization", Upper: 1}
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
	if pts["cs-upper"] != n || pts["cs-lower"] != n || pts["cs-mean"] != n {
		t.Errorf("rendered plot points %v, want %d per line", pts, n)
	}
	for _, id := range []string{`id="gamma"`, `id="delta"`, `id="verdict"`, "SAME: the candidate behaves like the reference"} {
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
