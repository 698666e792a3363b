package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/variant"
)

// tokenize runs `pot tokenize` with stdin.
func tokenize(stdin string, args ...string) (string, error) {
	var out, errb bytes.Buffer
	err := tokenizeWith(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

func TestUsage(t *testing.T) {
	if code, out, _ := runPot(t, "help"); code != 0 || !strings.Contains(out, "verify") {
		t.Errorf("help: code %d, output %q", code, out)
	}
	if code, _, errs := runPot(t, "nonsense"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: code %d, %q", code, errs)
	}
	if code, _, _ := runPot(t, "verify", "x.gguf"); code != 2 {
		t.Errorf("verify without a reference: code %d, want 2", code)
	}
	if code, _, errs := runPot(t, "inspect", filepath.Join(t.TempDir(), "missing.gguf")); code != 4 || !strings.Contains(errs, "missing.gguf") {
		t.Errorf("missing file: code %d, %q must name the file", code, errs)
	}
}

// TestTokenizeCommand: llama.cpp's cases through `pot tokenize`.
func TestTokenizeCommand(t *testing.T) {
	vocab := testdata.Path(t, "ggml-vocab-qwen2.gguf")
	out, err := tokenize(`["Hello world", "<|im_start|>user"]`, vocab, "--parse-special")
	if err != nil {
		t.Fatal(err)
	}
	var ids [][]int32
	if err := json.Unmarshal([]byte(out), &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || len(ids[0]) != 2 || ids[0][0] != 9707 || ids[0][1] != 1879 || ids[1][0] != 151644 {
		t.Errorf("ids %v, want [[9707 1879] [151644 …]]", ids)
	}
	if _, err := tokenize(`{"not": "an array"}`, vocab); exitStatus(err) != exitBadInput {
		t.Errorf("bad stdin: %v, want exit %d", err, exitBadInput)
	}
}

// TestSynthInspect writes a model with `pot synth` and reads it back with
// `pot inspect --json`.
func TestSynthInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.gguf")
	if code, _, errs := runPot(t, "synth", "--shape", "tiny", "--type", "Q4_K_M", "--seed", "3", "-o", path); code != 0 {
		t.Fatalf("synth: %s", errs)
	}
	code, out, errs := runPot(t, "inspect", path, "--json", "--tensors")
	if code != 0 {
		t.Fatalf("inspect: %s", errs)
	}
	var in struct {
		Format string
		Config struct {
			Embed  int `json:"embedding_length"`
			Layers int
		}
		Identity struct {
			Architecture string
			Quant        map[string]struct{ Tensors int }
			Tensors      []struct{ SHA256 string }
			FileSHA256   string `json:"file_sha256"`
		}
	}
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatal(err)
	}
	if in.Format != inspectFormat || in.Config.Embed != 256 || in.Identity.Architecture != "qwen2" || in.Identity.Quant["Q6_K"].Tensors == 0 ||
		len(in.Identity.Tensors) == 0 || in.Identity.Tensors[0].SHA256 == "" || len(in.Identity.FileSHA256) != 64 {
		t.Errorf("inspect output: %+v", in)
	}
	if code, _, _ := runPot(t, "synth", "--shape", "nope", "-o", path); code != 2 {
		t.Errorf("unknown shape: code %d, want 2", code)
	}
}

// TestVerifyCommand: `pot verify --json` has the documented fields and
// writes a certificate that `pot cert verify` accepts.
func TestVerifyCommand(t *testing.T) {
	ref := testdata.Path(t, "stories260K.gguf")
	dir := t.TempDir()
	cand := filepath.Join(dir, "cand.gguf")
	if err := variant.Write(ref, cand, variant.Scale("output_norm.weight", 1.02)); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runPot(t, "verify", cand, "--ref", ref, "--mode", "quick", "--behaviour", "--json",
		"--key-dir", filepath.Join(dir, "key"), "--out", filepath.Join(dir, "certs"))
	if code != exitDifferent {
		t.Fatalf("verify: exit %d, want %d: %s", code, exitDifferent, errs)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"verdict", "reason", "n", "levels", "params", "challenges", "checks", "certificate", "transcript"} {
		if _, ok := v[k]; !ok {
			t.Errorf("--json output lacks %q", k)
		}
	}
	if v["verdict"] != "DIFFERENT" {
		t.Errorf("verdict %v, want DIFFERENT", v["verdict"])
	}
	certPath, _ := v["certificate"].(string)
	if code, out, errs := runPot(t, "cert", "verify", certPath, "--key-dir", filepath.Join(dir, "key"), "--model", cand); code != exitOK {
		t.Errorf("cert verify: code %d\n%s%s", code, out, errs)
	}
	if code, _, _ := runPot(t, "cert", "verify", certPath, "--key-dir", filepath.Join(dir, "key"), "--model", ref); code != exitDifferent {
		t.Error("cert verify accepted another model file")
	}
}

// TestLayering: the portable core never imports the app or the macOS
// bridge (style guide, item 8).
func TestLayering(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(goBin, "list", "-deps", "./verifier/...")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/proof-of-training/pot/app") || strings.HasPrefix(p, "github.com/proof-of-training/pot/metalbridge") {
			t.Errorf("verifier depends on %s", p)
		}
	}
}
