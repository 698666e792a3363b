package model

import (
	"errors"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

func open(t *testing.T, name string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestConfig checks the hyper-parameters against the facts the testdata
// README states for each model.
func TestConfig(t *testing.T) {
	tests := []struct {
		file string
		want Config
	}{
		{"stories260K.gguf", Config{Arch: Llama, ContextLength: 2048, Embed: 64, Layers: 5, FFN: 172, Heads: 8, KVHeads: 4,
			HeadDim: 8, Vocab: 512, RMSEps: 1e-5, RopeBase: 10000, RopeDim: 8, RopeFreqScale: 1, RopeStyle: RopeNorm}}, // output.weight is a stored copy of token_embd,
		{"qwen2-tiny-Q4_K.gguf", Config{Arch: Qwen2, Embed: 256, Layers: 2, FFN: 512, Heads: 4, KVHeads: 2,
			HeadDim: 64, Vocab: 512, RMSEps: 1e-6, RopeBase: 1e6, RopeDim: 64, RopeFreqScale: 1, RopeStyle: RopeNeox, QKVBias: true, TiedOutput: true}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			m, err := New(open(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got := m.Config
			if tc.want.ContextLength == 0 {
				tc.want.ContextLength = got.ContextLength // not stated in the README
			}
			if got != tc.want {
				t.Errorf("config\n got %+v\nwant %+v", got, tc.want)
			}
			if (m.Output == m.TokenEmbd) != got.TiedOutput {
				t.Error("output should alias token_embd exactly when tied")
			}
			if len(m.Layers) != got.Layers {
				t.Fatalf("%d layers", len(m.Layers))
			}
			n := 0
			for i := range m.Layers {
				n += len(m.Layers[i].Tensors())
			}
			want := len(m.File.Tensors) - 2 // minus token_embd, output_norm
			if !got.TiedOutput {
				want-- // output.weight
			}
			if n != want {
				t.Errorf("layers hold %d tensors, file has %d layer tensors", n, want)
			}
		})
	}
}

// TestQuantTypes checks that the per-type qwen2-tiny files map their 2-D
// weights with the named type and keep the vectors F32.
func TestQuantTypes(t *testing.T) {
	for _, name := range []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"} {
		typ, err := quant.ParseType(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(open(t, "qwen2-tiny-"+name+".gguf"))
		if err != nil {
			t.Fatal(err)
		}
		l := m.Layers[1]
		for _, w := range []*Tensor{l.Wq, l.Wk, l.Wv, l.Wo, l.Wgate, l.Wup, l.Wdown} {
			if w.Type != typ {
				t.Errorf("%s: %s has type %s", name, w.Name(), w.Type)
			}
		}
		if l.Bq.Type != quant.F32 || l.AttnNorm.Type != quant.F32 {
			t.Errorf("%s: vectors not F32", name)
		}
		if _, err := l.Bq.Float32s(); err != nil {
			t.Error(err)
		}
	}
}

func TestVocabOnlyRejected(t *testing.T) {
	// A vocabulary-only file has hyper-parameters but no tensors.
	_, err := New(open(t, "ggml-vocab-qwen2.gguf"))
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("err = %v, want ErrFormat", err)
	}
}
