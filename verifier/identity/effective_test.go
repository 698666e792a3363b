package identity

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// TestEffective: keys llama.cpp defaults are filled in, special ids that
// are not tokens are left out, integer types are normalised, and files that
// differ only in spelling out defaults get equal digests.
func TestEffective(t *testing.T) {
	u32 := func(k string, v uint32) gguf.KV {
		return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeUint32, V: v}}
	}
	toks := gguf.KV{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: gguf.TypeString, Elems: []string{"<unk>", "<s>", "</s>", "a"}}}}
	// model adds general.architecture and tokenizer.ggml.model = llama.
	hyper := []gguf.KV{u32("llama.embedding_length", 64), u32("llama.attention.head_count", 8)}
	bare := append([]gguf.KV{toks,
		u32("tokenizer.ggml.seperator_token_id", 0xFFFFFFFF),
		{Key: "tokenizer.ggml.padding_token_id", Value: gguf.Value{Type: gguf.TypeInt32, V: int32(3)}}}, hyper...)
	spelled := append([]gguf.KV{toks, str("tokenizer.ggml.pre", "default"),
		u32("tokenizer.ggml.bos_token_id", 1), u32("tokenizer.ggml.eos_token_id", 2), u32("tokenizer.ggml.unknown_token_id", 0),
		u32("tokenizer.ggml.padding_token_id", 3),
		{Key: "tokenizer.ggml.add_bos_token", Value: gguf.Value{Type: gguf.TypeBool, V: true}},
		{Key: "tokenizer.ggml.add_eos_token", Value: gguf.Value{Type: gguf.TypeBool, V: false}},
		{Key: "llama.rope.freq_base", Value: gguf.Value{Type: gguf.TypeFloat32, V: float32(10000)}},
		u32("llama.vocab_size", 4), u32("llama.rope.dimension_count", 8), u32("llama.attention.head_count_kv", 8)}, hyper...)
	a, b := model(t, bare, nil, 0), model(t, spelled, nil, 0)
	if a.TokenizerSHA256 != b.TokenizerSHA256 || a.MetadataSHA256 != b.MetadataSHA256 {
		t.Errorf("defaults spelled out change the digests: %v", Diff(a, b))
	}
	keys := map[string]string{}
	for _, k := range a.Keys {
		keys[k.Key] = k.Type
	}
	for k, want := range map[string]string{"tokenizer.ggml.seperator_token_id": "", "tokenizer.ggml.padding_token_id": "uint32",
		"tokenizer.ggml.add_space_prefix": "bool", "llama.attention.key_length": "uint32"} {
		if keys[k] != want {
			t.Errorf("%s: type %q, want %q", k, keys[k], want)
		}
	}
	kv := slices.Clone(spelled)
	for i := range kv {
		if kv[i].Key == "llama.rope.dimension_count" {
			kv[i] = u32(kv[i].Key, 4)
		}
	}
	ds := Diff(b, model(t, kv, nil, 0))
	if !strings.Contains(fmt.Sprint(ds), "metadata llama.rope.dimension_count") {
		t.Errorf("a changed hyper-parameter: %v", ds)
	}
}
