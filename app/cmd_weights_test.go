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
// the JSON report, the exit status for each verdict (0, 1, 3), and usage
// errors.
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
		{"faithful", []string{f32, q4k}, 0, []string{"verdict  FAITHFUL", "exact requantization  15", "blk.0.attn_q.weight"}},
		{"identical", []string{q4k, q4k, "--threads", "1"}, 0, []string{"verdict  IDENTICAL", "identical  26"}},
		{"reverse", []string{q4k, f32, "--top", "0"}, 3, []string{"verdict  INCONCLUSIVE", "within quantization error  15"}},
		{"different", []string{f32, stories, "--stop"}, 1, []string{"verdict  DIFFERENT", `"token_embd.weight" has another shape`}},
		{"one file", []string{f32}, 2, nil},
		{"bad threads", []string{f32, q4k, "--threads", "-1"}, 2, nil},
		{"missing file", []string{f32, f32 + ".missing"}, 4, nil},
		{"bad progress", []string{f32, q4k, "--progress", "loud"}, 2, nil},
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
	if rep.Verdict != weights.Faithful || len(rep.Tensors) != 26 || rep.Counts[weights.ExactRequant] != 15 {
		t.Errorf("--json: verdict %s, %d tensors, counts %v", rep.Verdict, len(rep.Tensors), rep.Counts)
	}
}
