package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/weights"
)

// TestWeightsCommand runs `pot weights` on real pairs: the human table and
// the JSON report, the exit status for each verdict, and usage errors.
func TestWeightsCommand(t *testing.T) {
	f32 := testdata.Path(t, "qwen2-tiny-F32.gguf")
	q4k := testdata.Path(t, "qwen2-tiny-Q4_K.gguf")
	stories := testdata.Path(t, "stories260K.gguf")
	cases := []struct {
		name string
		args []string
		code int
		want []string // substrings of stdout
	}{
		{"faithful", []string{f32, q4k}, 0, []string{"verdict    a faithful requantization", "15  PoT's own requantization of A"}},
		{"identical", []string{q4k, q4k, "--threads", "1"}, 0, []string{"verdict    identical weights", "26  identical"}},
		{"reverse", []string{q4k, f32, "--top", "1"}, exitUndecided, []string{"verdict    another quantization of the same weights", "15  another quantization", "blk.1.ffn_up.weight"}},
		{"different", []string{f32, stories, "--stop"}, exitDifferent, []string{"verdict    different tensors", `tensor "token_embd.weight": another shape`}},
		{"one file", []string{f32}, 2, nil},
		{"bad threads", []string{f32, q4k, "--threads", "-1"}, 2, nil},
		{"missing file", []string{f32, f32 + ".missing"}, exitBadInput, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"weights"}, c.args...), &out, &errb)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, c.code, errb.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}

	var out, errb bytes.Buffer
	if code := run([]string{"weights", "--json", f32, q4k}, &out, &errb); code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errb.String())
	}
	var rep weights.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), `"verdict": "faithful"`) || !strings.Contains(out.String(), `"exact_requant": 15`) {
		t.Errorf("--json: no snake_case names:\n%s", out.String()[:min(out.Len(), 400)])
	}
	if rep.Verdict != weights.Faithful || len(rep.Tensors) != 26 || rep.Counts[weights.ExactRequant] != 15 {
		t.Errorf("--json: verdict %s, %d tensors, counts %v", rep.Verdict, len(rep.Tensors), rep.Counts)
	}
}
