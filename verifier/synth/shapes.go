// Package synth writes random-weight models with the shapes of real ones,
// for tests, benchmarks and the demo: no download is ever needed to exercise
// PoT end to end.
//
// A synthetic model is a valid GGUF file of architecture llama or qwen2 with
// its own generated tokenizer (byte-level BPE for the real shapes,
// SentencePiece for the small llama), random weights drawn from a seeded
// generator, and llama.cpp's per-tensor type mix for the chosen file type
// (Q4_K_M puts Q6_K on some attn_v/ffn_down layers and falls back to Q5_0 or
// Q8_0 where a row is not a multiple of 256, exactly as llama-quantize does).
//
// Random transformers with tied embeddings predict their own input token
// with probability close to 1, which makes them useless for judging a
// verifier. Synth scales the embeddings and the residual branches so that
// the next-token distributions look like a trained model's (entropy of a
// few nats, top-1 probability well below 1); see Spec.Init.
//
// The same (shape, type, seed) always produces the same bytes, on any
// machine and with any number of threads.
package synth

import (
	"fmt"
	"sort"
	"strings"
)

// Shape holds the hyper-parameters of a model family member.
type Shape struct {
	Name      string
	Arch      string // "llama" or "qwen2"
	Embd      int    // n_embd
	FF        int    // feed_forward_length
	Layers    int
	Heads     int
	KVHeads   int
	Vocab     int
	Context   int
	RopeBase  float64
	NormEps   float64
	Tied      bool   // no output.weight: the output projection is token_embd
	Tokenizer string // "llama" (SentencePiece) or "gpt2" (byte-level BPE)
	Pre       string // BPE pre-tokenizer: "qwen2" or "llama-bpe"
}

// HeadDim is the width of one attention head.
func (s Shape) HeadDim() int { return s.Embd / s.Heads }

// Params counts the weights (all tensors).
func (s Shape) Params() int64 {
	e, f, kv := int64(s.Embd), int64(s.FF), int64(s.KVHeads*s.HeadDim())
	per := 2*e + e*e + 2*e*kv + e*e + 3*e*f // norms, q, k, v, o, gate/up/down
	if s.Arch == "qwen2" {
		per += e + 2*kv // q/k/v biases
	}
	n := int64(s.Layers)*per + e + int64(s.Vocab)*e
	if !s.Tied {
		n += int64(s.Vocab) * e
	}
	return n
}

// shapes are the real models' published hyper-parameters (their
// config.json), except "tiny" and "llama-tiny", which are small enough for
// unit tests and the demo but keep every row a multiple of 256 so that all
// K-quants apply.
var shapes = map[string]Shape{
	"tiny": {Name: "tiny", Arch: "qwen2", Embd: 256, FF: 768, Layers: 4, Heads: 4, KVHeads: 2,
		Vocab: 4096, Context: 2048, RopeBase: 1e6, NormEps: 1e-6, Tied: true, Tokenizer: "gpt2", Pre: "qwen2"},
	"llama-tiny": {Name: "llama-tiny", Arch: "llama", Embd: 256, FF: 768, Layers: 4, Heads: 4, KVHeads: 2,
		Vocab: 4096, Context: 2048, RopeBase: 10000, NormEps: 1e-5, Tied: false, Tokenizer: "llama"},
	"qwen2.5-0.5b": {Name: "qwen2.5-0.5b", Arch: "qwen2", Embd: 896, FF: 4864, Layers: 24, Heads: 14, KVHeads: 2,
		Vocab: 151936, Context: 32768, RopeBase: 1e6, NormEps: 1e-6, Tied: true, Tokenizer: "gpt2", Pre: "qwen2"},
	"qwen2.5-1.5b": {Name: "qwen2.5-1.5b", Arch: "qwen2", Embd: 1536, FF: 8960, Layers: 28, Heads: 12, KVHeads: 2,
		Vocab: 151936, Context: 32768, RopeBase: 1e6, NormEps: 1e-6, Tied: true, Tokenizer: "gpt2", Pre: "qwen2"},
	"qwen2.5-7b": {Name: "qwen2.5-7b", Arch: "qwen2", Embd: 3584, FF: 18944, Layers: 28, Heads: 28, KVHeads: 4,
		Vocab: 152064, Context: 32768, RopeBase: 1e6, NormEps: 1e-6, Tied: false, Tokenizer: "gpt2", Pre: "qwen2"},
	"llama-3-8b": {Name: "llama-3-8b", Arch: "llama", Embd: 4096, FF: 14336, Layers: 32, Heads: 32, KVHeads: 8,
		Vocab: 128256, Context: 8192, RopeBase: 500000, NormEps: 1e-5, Tied: false, Tokenizer: "gpt2", Pre: "llama-bpe"},
	"llama-2-7b": {Name: "llama-2-7b", Arch: "llama", Embd: 4096, FF: 11008, Layers: 32, Heads: 32, KVHeads: 32,
		Vocab: 32000, Context: 4096, RopeBase: 10000, NormEps: 1e-5, Tied: false, Tokenizer: "llama"},
}

// LookupShape returns the named shape.
func LookupShape(name string) (Shape, error) {
	s, ok := shapes[name]
	if !ok {
		return Shape{}, fmt.Errorf("synth: unknown shape %q (known: %s)", name, strings.Join(ShapeNames(), ", "))
	}
	return s, nil
}

// ShapeNames lists the known shapes, sorted.
func ShapeNames() []string {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
