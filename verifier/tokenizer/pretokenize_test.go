package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"
)

// TestPreTokenizersGolden compares the splitters with the Python regex
// module's evaluation of the original regexes on 416 strings per
// pre-tokenizer (testdata/pretokenize.json, made by gen_pretokenize.py).
func TestPreTokenizersGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/pretokenize.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases [][]json.RawMessage
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i, c := range cases {
		var pre, text string
		var want []string
		if len(c) != 3 || json.Unmarshal(c[0], &pre) != nil || json.Unmarshal(c[1], &text) != nil || json.Unmarshal(c[2], &want) != nil {
			t.Fatalf("case %d malformed", i)
		}
		split, _, err := preTokenizer(pre)
		if err != nil {
			t.Fatal(err)
		}
		if got := pieces(split, text); !slices.Equal(got, want) {
			t.Errorf("%s %q:\n got  %q\n want %q", pre, text, got, want)
		}
		count[pre]++
	}
	t.Logf("cases per pre-tokenizer: %v", count)
}

// pieces runs split over text and returns the pieces as strings.
func pieces(split splitter, text string) []string {
	c := decodeRunes(nil, text)
	out := []string{}
	split(c, 0, len(c), func(a, b int) { out = append(out, string(c[a:b])) })
	return out
}

// TestUnsupported checks that unknown models and pre-tokenizers are refused.
func TestUnsupported(t *testing.T) {
	base := Vocab{Model: "gpt2", Tokens: []string{"a", "b", "ab"}, Merges: []string{"a b"}, BOS: -1, EOS: -1, UNK: -1, PAD: -1}
	for _, tc := range []struct{ model, pre string }{{"bert", ""}, {"t5", ""}, {"", ""}, {"gpt2", "deepseek-coder"}, {"gpt2", "LLAMA-BPE"}} {
		v := base
		v.Model, v.Pre = tc.model, tc.pre
		if _, err := New(v); !errors.Is(err, ErrUnsupported) {
			t.Errorf("model %q pre %q: err = %v, want ErrUnsupported", tc.model, tc.pre, err)
		}
	}
}
