package identity

import (
	"math"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// Metadata is digested as llama.cpp reads it, not byte for byte: two files
// that differ only in whether they spell out a value llama.cpp would assume
// anyway compute the same thing and get the same digests. Converters
// differ exactly there (llama.cpp's llama2c converter writes no
// tokenizer.ggml.pre and 0xFFFFFFFF for "no separator token";
// convert_hf_to_gguf.py writes add_eos_token = false and no
// unknown_token_id for the same SentencePiece vocabulary), so without this a
// faithful conversion of a Hugging Face reference would fail the tokenizer
// check. The defaults are llama-vocab.cpp's and llama-model.cpp's (and
// package tokenizer's and package model's, which follow them):
//
//   - tokenizer ("llama" or "gpt2" vocabularies): tokenizer.ggml.pre
//     "default"; add_eos_token false; for "llama" BOS 1, EOS 2, UNK 0,
//     add_bos_token true, add_space_prefix true; for "gpt2" add_bos_token
//     true only for the Llama 3 pre-tokenizer, add_space_prefix false. A
//     special token id that is not a token (≥ the vocabulary size) is
//     ignored by llama.cpp, so it is left out.
//   - general.type "model" (gguf-py writes it; llama.cpp only reads it to
//     tell LoRA adapters, "adapter", from models).
//   - hyper-parameters of llama and qwen2: rope.freq_base 10000,
//     attention.head_count_kv = head_count, attention.key_length and
//     value_length = embedding_length / head_count, rope.dimension_count =
//     key_length, vocab_size = the number of tokens.
//
// Integer values of these keys are written as uint32 and float values as
// float32, the types llama.cpp's converters use, when they fit exactly.
func effective(kvs []gguf.KV) []gguf.KV {
	e := &effKVs{idx: map[string]int{}}
	for _, kv := range kvs {
		e.idx[kv.Key] = len(e.kvs)
		e.kvs = append(e.kvs, kv)
	}
	if _, ok := e.get("general.type"); !ok {
		e.set("general.type", gguf.Value{Type: gguf.TypeString, V: "model"})
	}
	e.tokenizer()
	e.hyper()
	var out []gguf.KV
	for _, kv := range e.kvs {
		if kv.Key != "" {
			out = append(out, kv)
		}
	}
	return out
}

type effKVs struct {
	kvs []gguf.KV // a dropped key has Key ""
	idx map[string]int
}

func (e *effKVs) get(key string) (gguf.Value, bool) {
	i, ok := e.idx[key]
	if !ok || e.kvs[i].Key == "" {
		return gguf.Value{}, false
	}
	return e.kvs[i].Value, true
}

func (e *effKVs) set(key string, v gguf.Value) {
	if i, ok := e.idx[key]; ok {
		e.kvs[i] = gguf.KV{Key: key, Value: v}
		return
	}
	e.idx[key] = len(e.kvs)
	e.kvs = append(e.kvs, gguf.KV{Key: key, Value: v})
}

func (e *effKVs) drop(key string) {
	if i, ok := e.idx[key]; ok {
		e.kvs[i].Key = ""
	}
}

// uint returns an integer-valued key.
func (e *effKVs) uint(key string) (uint64, bool) {
	v, ok := e.get(key)
	if !ok {
		return 0, false
	}
	switch x := v.V.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

// defaultUint writes key as uint32: its own value if integer and
// representable, else (absent) def when def ≥ 0. A present key of another
// type is left alone (a difference to report).
func (e *effKVs) defaultUint(key string, def int64) {
	if _, present := e.get(key); present {
		if x, ok := e.uint(key); ok && x <= math.MaxUint32 {
			e.set(key, gguf.Value{Type: gguf.TypeUint32, V: uint32(x)})
		}
		return
	}
	if def >= 0 && def <= math.MaxUint32 {
		e.set(key, gguf.Value{Type: gguf.TypeUint32, V: uint32(def)})
	}
}

func (e *effKVs) defaultBool(key string, def bool) {
	if _, ok := e.get(key); !ok {
		e.set(key, gguf.Value{Type: gguf.TypeBool, V: def})
	}
}

func (e *effKVs) defaultFloat(key string, def float32) {
	v, ok := e.get(key)
	if !ok {
		e.set(key, gguf.Value{Type: gguf.TypeFloat32, V: def})
		return
	}
	if x, isF64 := v.V.(float64); isF64 && float64(float32(x)) == x {
		e.set(key, gguf.Value{Type: gguf.TypeFloat32, V: float32(x)})
	}
}

func (e *effKVs) str(key string) (string, bool) {
	v, ok := e.get(key)
	s, isStr := v.V.(string)
	return s, ok && isStr
}

// nTokens is the length of tokenizer.ggml.tokens, -1 if absent.
func (e *effKVs) nTokens() int64 {
	v, ok := e.get("tokenizer.ggml.tokens")
	a, isArr := v.V.(gguf.Array)
	if !ok || !isArr {
		return -1
	}
	return int64(a.Len())
}

// specialIDs are the special token id keys, by gguf-py's names.
var specialIDs = []string{"bos_token_id", "eos_token_id", "unknown_token_id", "seperator_token_id",
	"padding_token_id", "cls_token_id", "mask_token_id"}

func (e *effKVs) tokenizer() {
	const p = TokenizerPrefix
	model, ok := e.str(p + "model")
	if !ok || (model != "llama" && model != "gpt2") {
		return
	}
	n := e.nTokens()
	if _, ok := e.get(p + "pre"); !ok {
		e.set(p+"pre", gguf.Value{Type: gguf.TypeString, V: "default"})
	}
	pre, _ := e.str(p + "pre")
	defs := map[string]int64{}
	if model == "llama" {
		defs = map[string]int64{"bos_token_id": 1, "eos_token_id": 2, "unknown_token_id": 0}
		e.defaultBool(p+"add_bos_token", true)
		e.defaultBool(p+"add_space_prefix", true)
	} else {
		e.defaultBool(p+"add_bos_token", pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3")
		e.defaultBool(p+"add_space_prefix", false)
	}
	e.defaultBool(p+"add_eos_token", false)
	for _, k := range specialIDs {
		def, hasDef := defs[k]
		if !hasDef {
			def = -1
		}
		e.defaultUint(p+k, def)
		if id, ok := e.uint(p + k); ok && n >= 0 && id >= uint64(n) {
			e.drop(p + k) // not a token: llama.cpp ignores it
		}
	}
}

func (e *effKVs) hyper() {
	arch, ok := e.str("general.architecture")
	if !ok || (arch != "llama" && arch != "qwen2") {
		return
	}
	a := arch + "."
	e.defaultFloat(a+"rope.freq_base", 10000)
	heads, okH := e.uint(a + "attention.head_count")
	embd, okE := e.uint(a + "embedding_length")
	if !okH || !okE || heads == 0 {
		return
	}
	e.defaultUint(a+"attention.head_count", -1)
	e.defaultUint(a+"embedding_length", -1)
	e.defaultUint(a+"attention.head_count_kv", int64(heads))
	e.defaultUint(a+"attention.key_length", int64(embd/heads))
	kl, _ := e.uint(a + "attention.key_length")
	e.defaultUint(a+"attention.value_length", int64(kl))
	e.defaultUint(a+"rope.dimension_count", int64(kl))
	e.defaultUint(a+"vocab_size", e.nTokens())
}
