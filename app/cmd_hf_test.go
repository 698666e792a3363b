package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// TestHuggingFaceDirectory runs inspect and weights on a Hugging Face
// directory: inspect lists its files with their SHA-256, weights finds the
// llama2c conversion's tensors identical and a Q4_K file faithful.
func TestHuggingFaceDirectory(t *testing.T) {
	stories := testdata.Path(t, "hf/stories260K")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"inspect", stories}, []string{"Hugging Face, 1184685 bytes in 4 files",
			"model.safetensors      1176152 bytes, sha256 ce63a52d6dadcb6d04b014fbaa6449b3db655ab0890af029d27225cac1650bc4",
			"hyper-parameters         embedding 64, layers 5, heads 8 (4 key/value)"}},
		{[]string{"weights", stories, testdata.Path(t, "stories260K.gguf")}, []string{"identical weights", "48  identical"}},
		{[]string{"weights", testdata.Path(t, "hf/qwen2-tiny"), testdata.Path(t, "qwen2-tiny-Q4_K.gguf")}, []string{"a faithful requantization of the reference", "15  PoT's own requantization of A"}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if code := run(c.args, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errb.String())
		}
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args[0], w, out.String())
			}
		}
	}
}
