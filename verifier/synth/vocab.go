package synth

import (
	"fmt"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// A generated vocabulary: bytes, then letter pieces of growing length with
// and without a leading word boundary, so English text tokenizes into
// pieces of one to three letters, then special tokens, then padding up to
// the shape's vocabulary size. Every multi-letter piece is its prefix plus
// one letter, and the prefix comes earlier, so the merge list (BPE) or the
// score order (SentencePiece) can build every piece.

const (
	lower = "abcdefghijklmnopqrstuvwxyz"
	upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

// letterPieces returns the pieces in priority order, with the word-boundary
// marker sp ("Ġ" for byte-level BPE, "▁" for SentencePiece).
func letterPieces(sp string) []string {
	var p []string
	for _, c := range lower {
		p = append(p, sp+string(c))
	}
	for _, c := range upper {
		p = append(p, sp+string(c))
	}
	for _, a := range lower {
		for _, b := range lower {
			p = append(p, string(a)+string(b))
		}
	}
	for _, a := range lower {
		for _, b := range lower {
			p = append(p, sp+string(a)+string(b))
		}
	}
	for _, a := range upper {
		for _, b := range lower {
			p = append(p, sp+string(a)+string(b))
		}
	}
	for _, a := range lower {
		for _, b := range lower {
			for _, c := range lower {
				p = append(p, string(a)+string(b)+string(c))
			}
		}
	}
	for _, a := range lower {
		for _, b := range lower {
			for _, c := range lower {
				p = append(p, sp+string(a)+string(b)+string(c))
			}
		}
	}
	return p
}

// vocabKV returns the tokenizer metadata of shape s.
func vocabKV(s Shape) ([]gguf.KV, error) {
	switch s.Tokenizer {
	case "gpt2":
		return bpeVocab(s)
	case "llama":
		return spmVocab(s)
	}
	return nil, fmt.Errorf("synth: shape %s: unknown tokenizer %q", s.Name, s.Tokenizer)
}

// Token types, as tokenizer.ggml.token_type stores them.
const (
	tokNormal  = 1
	tokUnknown = 2
	tokControl = 3
	tokUnused  = 5
	tokByte    = 6
)

func bpeVocab(s Shape) ([]gguf.KV, error) {
	var specials []string
	if s.Pre == "llama-bpe" {
		specials = []string{"<|begin_of_text|>", "<|end_of_text|>"}
	} else {
		specials = []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}
	}
	var tokens []string
	var types []int32
	var merges []string
	for b := 0; b < 256; b++ {
		tokens = append(tokens, tokenizer.ByteLevelChar(byte(b)))
		types = append(types, tokNormal)
	}
	sp := tokenizer.ByteLevelChar(' ')
	for _, p := range letterPieces(sp) {
		if len(tokens)+len(specials) >= s.Vocab {
			break
		}
		r := []rune(p)
		merges = append(merges, string(r[:len(r)-1])+" "+string(r[len(r)-1]))
		tokens = append(tokens, p)
		types = append(types, tokNormal)
	}
	first := int32(len(tokens))
	for _, sp := range specials {
		tokens = append(tokens, sp)
		types = append(types, tokControl)
	}
	for i := 0; len(tokens) < s.Vocab; i++ {
		tokens = append(tokens, fmt.Sprintf("[PAD%d]", i))
		types = append(types, tokUnused)
	}
	if len(tokens) != s.Vocab {
		return nil, fmt.Errorf("synth: shape %s: vocabulary of %d is too small", s.Name, s.Vocab)
	}
	kv := []gguf.KV{
		str("tokenizer.ggml.model", "gpt2"),
		str("tokenizer.ggml.pre", s.Pre),
		strs("tokenizer.ggml.tokens", tokens),
		i32s("tokenizer.ggml.token_type", types),
		strs("tokenizer.ggml.merges", merges),
	}
	if s.Pre == "llama-bpe" {
		kv = append(kv, u32("tokenizer.ggml.bos_token_id", uint32(first)),
			u32("tokenizer.ggml.eos_token_id", uint32(first+1)),
			boolean("tokenizer.ggml.add_bos_token", true))
	} else {
		kv = append(kv, u32("tokenizer.ggml.eos_token_id", uint32(first)),
			u32("tokenizer.ggml.padding_token_id", uint32(first)),
			u32("tokenizer.ggml.bos_token_id", uint32(first)),
			boolean("tokenizer.ggml.add_bos_token", false),
			str("tokenizer.chat_template", chatML))
	}
	return kv, nil
}

func spmVocab(s Shape) ([]gguf.KV, error) {
	tokens := []string{"<unk>", "<s>", "</s>"}
	types := []int32{tokUnknown, tokControl, tokControl}
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, tokByte)
	}
	tokens = append(tokens, "▁")
	types = append(types, tokNormal)
	for _, c := range lower + upper {
		tokens = append(tokens, string(c))
		types = append(types, tokNormal)
	}
	for _, p := range letterPieces("▁") {
		if len(tokens) >= s.Vocab {
			break
		}
		tokens = append(tokens, p)
		types = append(types, tokNormal)
	}
	if len(tokens) != s.Vocab {
		return nil, fmt.Errorf("synth: shape %s: vocabulary of %d does not fit the generated pieces", s.Name, s.Vocab)
	}
	// Earlier pieces win merges, as in real SentencePiece vocabularies
	// where the score is a negative log frequency rank.
	scores := make([]float32, len(tokens))
	for i := range scores {
		if types[i] == tokNormal {
			scores[i] = -float32(i)
		}
	}
	return []gguf.KV{
		str("tokenizer.ggml.model", "llama"),
		strs("tokenizer.ggml.tokens", tokens),
		f32s("tokenizer.ggml.scores", scores),
		i32s("tokenizer.ggml.token_type", types),
		u32("tokenizer.ggml.bos_token_id", 1),
		u32("tokenizer.ggml.eos_token_id", 2),
		u32("tokenizer.ggml.unknown_token_id", 0),
		boolean("tokenizer.ggml.add_bos_token", true),
		boolean("tokenizer.ggml.add_eos_token", false),
	}, nil
}

// chatML is a ChatML chat template, the style Qwen models use.
const chatML = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}" +
	"{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"

func str(k, v string) gguf.KV { return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeString, V: v}} }
func u32(k string, v uint32) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeUint32, V: v}}
}
func f32(k string, v float32) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeFloat32, V: v}}
}
func boolean(k string, v bool) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeBool, V: v}}
}
func strs(k string, v []string) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: gguf.TypeString, Elems: v}}}
}
func i32s(k string, v []int32) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: gguf.TypeInt32, Elems: v}}}
}
func f32s(k string, v []float32) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: gguf.TypeFloat32, Elems: v}}}
}
