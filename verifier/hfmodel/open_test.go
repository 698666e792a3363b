package hfmodel

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/identity"
)

// pairs are the shared directories and llama.cpp's conversions of them.
var pairs = []struct{ dir, expected string }{
	{"hf/stories260K", "hf/expected/stories260K.gguf"},
	{"hf/qwen2-tiny", "hf/expected/qwen2-tiny.gguf"},
	{"hf/qwen2-tiny-bf16", "hf/expected/qwen2-tiny-bf16.gguf"},
}

func openPair(t *testing.T, dir, expected string, opt options) (*gguf.File, *gguf.File) {
	t.Helper()
	h, err := open(testdata.Path(t, dir), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	e, err := gguf.Open(testdata.Path(t, expected))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return h, e
}

// TestMatchesConverter checks each directory against llama.cpp's own
// conversion: the same tensors in the same order with the same names,
// shapes, types and bytes (the llama q/k permutation applied), and the same
// metadata for every key but the cosmetic ones, so that the tokenizer,
// chat-template and metadata digests are equal. Each directory is read
// twice: derived tensors in memory and in a spill file.
func TestMatchesConverter(t *testing.T) {
	for _, p := range pairs {
		for _, spillAbove := range []int64{defaultSpillAbove, 0} {
			t.Run(fmt.Sprintf("%s/spill%d", p.dir, spillAbove), func(t *testing.T) {
				h, e := openPair(t, p.dir, p.expected, options{tempDir: t.TempDir(), spillAbove: spillAbove})
				if len(h.Tensors) != len(e.Tensors) {
					t.Fatalf("%d tensors, llama.cpp wrote %d", len(h.Tensors), len(e.Tensors))
				}
				for i := range e.Tensors {
					a, b := &h.Tensors[i], &e.Tensors[i]
					if a.Name != b.Name || a.Type != b.Type || fmt.Sprint(a.Dims) != fmt.Sprint(b.Dims) {
						t.Fatalf("tensor %d: %s %s %v, llama.cpp wrote %s %s %v", i, a.Name, a.Type, a.Dims, b.Name, b.Type, b.Dims)
					}
					if !bytes.Equal(h.TensorData(a), e.TensorData(b)) {
						t.Errorf("tensor %s: bytes differ", a.Name)
					}
				}
				ih, err := identity.Compute(h, identity.Options{PerTensor: true})
				if err != nil {
					t.Fatal(err)
				}
				ie, err := identity.Compute(e, identity.Options{PerTensor: true})
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range identity.Diff(ie, ih) {
					switch d.Kind {
					case identity.KindFile, identity.KindCosmetic:
					default:
						t.Errorf("differs from llama.cpp's conversion: %s", d)
					}
				}
				if ih.TokenizerSHA256 != ie.TokenizerSHA256 || ih.MetadataSHA256 != ie.MetadataSHA256 || ih.ChatTemplateSHA256 != ie.ChatTemplateSHA256 {
					t.Errorf("digests differ: tokenizer %v metadata %v template %v", ih.TokenizerSHA256 == ie.TokenizerSHA256,
						ih.MetadataSHA256 == ie.MetadataSHA256, ih.ChatTemplateSHA256 == ie.ChatTemplateSHA256)
				}
			})
		}
	}
}
