package testdata

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Vector is one tokenizer test case: a text and its token ids.
type Vector struct {
	Text string
	IDs  []int32
}

// Vectors reads the shared <vocab>.inp/.out pair the way llama.cpp's
// tests/test-tokenizer-0.cpp does: the texts are separated by
// "\n__ggml_vocab_test__\n" (so the final separator leaves no empty text
// behind), and line i of .out holds the space-separated ids of text i.
func Vectors(tb testing.TB, vocab string) []Vector {
	tb.Helper()
	inp, err := os.ReadFile(Path(tb, vocab+".inp"))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(Path(tb, vocab+".out"))
	if err != nil {
		tb.Fatal(err)
	}
	const sep = "\n__ggml_vocab_test__\n"
	var texts []string
	for raw := string(inp); raw != ""; {
		i := strings.Index(raw, sep)
		if i < 0 {
			texts = append(texts, raw)
			break
		}
		texts = append(texts, raw[:i])
		raw = raw[i+len(sep):]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		tb.Fatalf("%s: %d texts but %d id lines", vocab, len(texts), len(lines))
	}
	vs := make([]Vector, len(texts))
	for i, line := range lines {
		vs[i].Text = texts[i]
		for _, f := range strings.Fields(line) {
			n, err := strconv.ParseInt(f, 10, 32)
			if err != nil {
				tb.Fatalf("%s.out line %d: %v", vocab, i+1, err)
			}
			vs[i].IDs = append(vs[i].IDs, int32(n))
		}
	}
	return vs
}
