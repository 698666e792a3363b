package hfmodel

import (
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/identity"
)

// BenchmarkOpenIdentity opens a model and computes its identity with
// per-tensor digests (what the verifier does with a reference): the
// Hugging Face directory against llama.cpp's conversion of it, the same
// tensors in one GGUF file.
func BenchmarkOpenIdentity(b *testing.B) {
	for _, c := range []struct {
		name string
		open func() (*gguf.File, error)
	}{
		{"hf", func() (*gguf.File, error) { return Open(testdata.Path(b, "hf/qwen2-tiny")) }},
		{"gguf", func() (*gguf.File, error) { return gguf.Open(testdata.Path(b, "hf/expected/qwen2-tiny.gguf")) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				f, err := c.open()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := identity.Compute(f, identity.Options{PerTensor: true}); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
