package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/internal/tmpfs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/help")

// potBin is the pot binary, built once by TestMain for the tests that run
// the real command (exit statuses through os.Exit).
var potBin string

func TestMain(m *testing.M) {
	// The queue's tests run this test binary as `pot` (a runner to kill).
	if os.Getenv("POT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "pot-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// In-process runs keep certificates and noise floors out of the
	// user's data directory.
	if os.Getenv("POT_DATA_DIR") == "" {
		os.Setenv("POT_DATA_DIR", filepath.Join(dir, "data"))
	}
	potBin = filepath.Join(dir, "pot")
	cmd := exec.Command("go", "build", "-o", potBin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building pot for the command-line tests: %v\n%s", err, out)
		potBin = ""
	}
	code := testdata.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// execPot runs the pot binary with a fresh config directory and returns its
// exit status, stdout and stderr.
func execPot(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	if potBin == "" {
		t.Fatal("the pot binary was not built (see TestMain's output)")
	}
	cmd := exec.Command(potBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running pot: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestExitStatus runs every command with good and bad arguments through
// the real binary and checks the exit status and the first line of
// stderr (a prefix of it; "" means stderr must be empty).
func TestExitStatus(t *testing.T) {
	td := func(name string) string { return testdata.Path(t, name) }
	f32, q4k, q8, stories := td("qwen2-tiny-F32.gguf"), td("qwen2-tiny-Q4_K.gguf"), td("qwen2-tiny-Q8_0.gguf"), td("stories260K.gguf")
	dir := t.TempDir()
	keyDir, certs := filepath.Join(dir, "key"), filepath.Join(dir, "certs")
	junk := filepath.Join(dir, "junk.gguf")
	if err := os.WriteFile(junk, []byte("GGUF but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.gguf")
	env := []string{"POT_CONFIG_DIR=" + filepath.Join(dir, "config"), "POT_DATA_DIR=" + filepath.Join(dir, "data")}
	verify := func(args ...string) []string {
		return append([]string{"verify", "--mode", "quick", "--key-dir", keyDir, "--out", certs, "--progress", "none"}, args...)
	}
	// Run in order: later cases use the key and certificates earlier ones made.
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no arguments", nil, exitUsage, "pot: proof-of-training verification"},
		{"help", []string{"help"}, exitOK, ""},
		{"help verify", []string{"help", "verify"}, exitOK, ""},
		{"version", []string{"--version"}, exitOK, ""},
		{"unknown command", []string{"frobnicate"}, exitUsage, `pot: unknown command "frobnicate"`},
		{"key help", []string{"key", "--help"}, exitOK, ""},
		{"cert help", []string{"cert", "--help"}, exitOK, ""},
		{"key show, first use", []string{"key", "show", "--key-dir", keyDir}, exitOK, "pot: created this installation's signing key"},
		{"key show", []string{"key", "show", "--key-dir", keyDir}, exitOK, ""},
		{"key unknown", []string{"key", "rotate"}, exitUsage, `pot key: unknown subcommand "rotate"`},
		{"key no subcommand", []string{"key"}, exitUsage, "pot key: missing subcommand"},
		{"verify identical", verify(f32, "--ref", f32), exitOK, ""},
		{"verify same", verify(q8, "--ref", f32), exitOK, ""},
		{"verify different", verify(stories, "--ref", f32), exitDifferent, ""},
		{"verify json different", verify(stories, "--ref", f32, "--json"), exitDifferent, ""},
		{"verify both references", verify(q8, "--ref", f32, "--fingerprint", f32), exitUsage, "pot verify: --ref and --fingerprint are alternatives"},
		{"verify no reference", verify(q8), exitUsage, "pot verify: no reference: give --ref MODEL or --fingerprint FP"},
		{"verify no candidate", verify("--ref", f32), exitUsage, "pot verify: want one CANDIDATE model file"},
		{"verify bad mode", verify(q8, "--ref", f32, "--mode", "slow"), exitUsage, `pot verify: job: unknown mode "slow"`},
		{"verify bad flag", verify(q8, "--ref", f32, "--frobnicate"), exitUsage, "pot verify: flag provided but not defined: -frobnicate"},
		{"verify bad progress", verify(q8, "--ref", f32, "--progress", "loud"), exitUsage, `pot verify: --progress "loud"`},
		{"verify missing candidate", verify(missing, "--ref", f32), exitBadInput, "pot verify: gguf: open " + missing},
		{"verify corrupt candidate", verify(junk, "--ref", f32), exitBadInput, "pot verify: gguf"},
		{"verify corrupt fingerprint", verify(q8, "--fingerprint", junk), exitBadInput, "pot verify: fingerprint"},
		{"weights faithful", []string{"weights", f32, q4k, "--progress", "none"}, exitOK, ""},
		{"weights inconclusive", []string{"weights", q4k, f32, "--progress", "none"}, exitUndecided, ""},
		{"weights different", []string{"weights", f32, stories, "--json", "--progress", "none"}, exitDifferent, ""},
		{"weights one file", []string{"weights", f32}, exitUsage, "pot weights: want two model files"},
		{"weights corrupt", []string{"weights", f32, junk}, exitBadInput, "pot weights: gguf"},
		{"inspect", []string{"inspect", q8, "--progress", "none"}, exitOK, ""},
		{"inspect missing", []string{"inspect", missing}, exitBadInput, "pot inspect: gguf: open " + missing},
		{"inspect two files", []string{"inspect", q8, f32}, exitUsage, "pot inspect: want one model file"},
		{"cert no subcommand", []string{"cert"}, exitUsage, "pot cert: missing subcommand: verify"},
		{"cert unknown subcommand", []string{"cert", "check", "x"}, exitUsage, `pot cert: unknown subcommand "check"`},
		{"cert missing file", []string{"cert", "verify", missing, "--key-dir", keyDir}, exitBadInput, "pot cert: certificate " + missing + " cannot be checked"},
		{"cert corrupt file", []string{"cert", "verify", junk, "--key-dir", keyDir}, exitDifferent, "pot cert: certificate " + junk + " is NOT valid"},
		{"report without -o", []string{"report", junk}, exitUsage, "pot report: want one certificate file and -o REPORT.html"},
		{"synth bad shape", []string{"synth", "--shape", "nope", "-o", filepath.Join(dir, "s.gguf")}, exitUsage, "pot synth:"},
		{"synth to a missing directory", []string{"synth", "-o", filepath.Join(dir, "no", "s.gguf")}, exitFailure, "pot synth:"},
		{"tokenize no file", []string{"tokenize"}, exitUsage, "pot tokenize: want one model file"},
		{"logits bad tokens", []string{"logits", q8, "--tokens", "1,x", "--out", "-"}, exitUsage, `pot logits: --tokens: "x" is not a token id`},
		{"fingerprint no -o", []string{"fingerprint", f32}, exitUsage, "pot fingerprint: want one reference model file and -o FILE"},
		{"bench no file", []string{"bench"}, exitUsage, "pot bench: want one model file"},
		{"demo bad shape", []string{"demo", "--shape", "nope"}, exitUsage, "pot demo:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := execPot(t, env, c.args...)
			if code != c.code {
				t.Errorf("pot %s: exit %d, want %d; stderr:\n%s", strings.Join(c.args, " "), code, c.code, stderr)
			}
			got := firstLine(stderr)
			if (c.stderr == "" && got != "") || !strings.HasPrefix(got, c.stderr) {
				t.Errorf("pot %s: stderr starts %q, want %q", strings.Join(c.args, " "), got, c.stderr)
			}
		})
	}

	// The certificates the verify cases wrote: bound to the right file (0),
	// to none (3), to the wrong one (1).
	certsMade, _ := filepath.Glob(filepath.Join(certs, "*.cert.json"))
	if len(certsMade) != 4 {
		t.Fatalf("%d certificates written, want 4 (one per verdict case)", len(certsMade))
	}
	for _, c := range []struct {
		args   []string
		code   int
		stdout string // last line
	}{
		{[]string{"--model", stories}, exitOK, "valid, and bound to this file"},
		{nil, exitUndecided, "valid, but not bound to any file: it is about stories260K.gguf with sha256 "},
		{[]string{"--model", f32}, exitDifferent, "model        FAILED (model-digest)"},
	} {
		var cp string
		for _, p := range certsMade {
			if strings.Contains(p, "-270cba1bd510") { // stories260K.gguf's digest prefix
				cp = p
			}
		}
		args := append([]string{"cert", "verify", cp, "--key-dir", keyDir}, c.args...)
		code, stdout, stderr := execPot(t, env, args...)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if code != c.code || !strings.HasPrefix(lines[len(lines)-1], c.stdout) {
			t.Errorf("pot %s: exit %d, want %d; last line %q, want %q; stderr %q", strings.Join(args, " "), code, c.code, lines[len(lines)-1], c.stdout, stderr)
		}
	}
}

// TestHelpGolden: every command's --help (and pot help) matches
// testdata/help/NAME.golden; go test -run TestHelpGolden -update rewrites
// them after a deliberate change.
func TestHelpGolden(t *testing.T) {
	names := []string{"pot"}
	for n := range commands {
		names = append(names, n)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			args := []string{"help"}
			if n != "pot" {
				args = []string{n, "--help"}
			}
			code, out, errOut := runPot(t, args...)
			if code != exitOK || errOut != "" {
				t.Fatalf("pot %v: exit %d, stderr %q", args, code, errOut)
			}
			if !strings.Contains(out, "Exit status") {
				t.Errorf("pot %v does not document the exit status", args)
			}
			golden := filepath.Join("testdata", "help", n+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestHelpGolden -update)", err)
			}
			if out != string(want) {
				t.Errorf("pot %v differs from %s (run go test -run TestHelpGolden -update after a deliberate change):\n%s", args, golden, out)
			}
		})
	}
}

// TestVerifyDiskFull: with no room for the certificate, pot verify still
// prints the verdict, exits 5, leaves neither the certificate nor the
// transcript, and keeps the checkpoint so the run is not lost.
func TestVerifyDiskFull(t *testing.T) {
	f32, q4k := testdata.Path(t, "qwen2-tiny-F32.gguf"), testdata.Path(t, "qwen2-tiny-Q4_K.gguf")
	full := tmpfs.Mount(t, 64<<10)
	tmpfs.Fill(t, full, 0)
	dir := t.TempDir()
	ck := filepath.Join(dir, "run.checkpoint")
	code, out, errOut := runPot(t, "verify", q4k, "--ref", f32, "--mode", "quick", "--behaviour", "--progress", "none",
		"--key-dir", filepath.Join(dir, "key"), "--out", full, "--checkpoint", ck)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.HasPrefix(out, "SAME — ") {
		t.Errorf("the verdict is not printed first:\n%s", out)
	}
	if want := "pot verify: the verdict stands, but no certificate was written"; !strings.Contains(errOut, want) || !strings.Contains(errOut, "no space left on device") {
		t.Errorf("stderr %q, want %q and the cause", errOut, want)
	}
	entries, _ := os.ReadDir(full)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "filler-") {
			t.Errorf("%s left on the full disk", e.Name())
		}
	}
	if _, err := os.Stat(ck); err != nil {
		t.Errorf("checkpoint removed although no certificate was written: %v", err)
	}
}
