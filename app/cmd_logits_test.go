package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// TestLogitsCommand runs `pot logits` on qwen2-tiny-F32 with the reference's
// tokens and compares the output file with llama.cpp's logits.
func TestLogitsCommand(t *testing.T) {
	model := testdata.Path(t, "qwen2-tiny-F32.gguf")
	var ref struct {
		Tokens []int32 `json:"tokens"`
		NVocab int     `json:"n_vocab"`
	}
	b, err := os.ReadFile(testdata.Path(t, "refs/qwen2-tiny-F32.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(testdata.Path(t, "refs/qwen2-tiny-F32.logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ref.Tokens))
	for i, tok := range ref.Tokens {
		ids[i] = strconv.Itoa(int(tok))
	}
	out := filepath.Join(t.TempDir(), "logits.f32")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"logits", model, "--tokens", strings.Join(ids, ","), "--threads", "2", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d bytes, want %d", len(got), len(want))
	}
	var maxDiff float64
	for i := 0; i < len(got); i += 4 {
		g := math.Float32frombits(binary.LittleEndian.Uint32(got[i:]))
		w := math.Float32frombits(binary.LittleEndian.Uint32(want[i:]))
		maxDiff = max(maxDiff, math.Abs(float64(g)-float64(w)))
	}
	if maxDiff > 1e-3 {
		t.Errorf("max |Δlogit| %g > 1e-3", maxDiff)
	}
}

func TestLogitsUsage(t *testing.T) {
	model := testdata.Path(t, "stories260K.gguf")
	for _, args := range [][]string{
		{"logits", model, "--out", "x"},                    // no tokens
		{"logits", model, "--tokens", "1,2"},               // no out
		{"logits", model, "--tokens", "1,x", "--out", "x"}, // bad id
		{"logits", "--tokens", "1", "--out", "x"},          // no file
		{"logits", model, "--tokens", "1", "--out", "x", "--streaming", "maybe"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	// A token outside the vocabulary is a usage error naming it.
	var stdout, stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "x")
	if code := run([]string{"logits", model, "--tokens", "1,9999", "--out", out}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "9999") {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestBenchCommand runs one in-process bench mode and checks the JSON report.
func TestBenchCommand(t *testing.T) {
	model := testdata.Path(t, "stories260K.gguf")
	for _, mode := range []string{"off", "on"} {
		var stdout, stderr bytes.Buffer
		args := []string{"bench", model, "--batch", "2", "--seq", "32", "--scored", "4", "--reps", "1", "--threads", "2", "--streaming", mode, "--json"}
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var rep benchReport
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Runs) != 1 || rep.Arch != "llama" || rep.GFLOP <= 0 {
			t.Fatalf("report %+v", rep)
		}
		r := rep.Runs[0]
		if r.Streaming != (mode == "on") || r.TokensPerS <= 0 || r.PeakRSS <= 0 {
			t.Errorf("run %+v", r)
		}
	}
}
