package tokenizer

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// Small hand-made vocabularies pin down the merge rules; the expected ids
// follow from the rules by hand.

func spmVocab(tokens []string, scores []float32) Vocab {
	return Vocab{Model: "llama", Tokens: tokens, Scores: scores, BOS: -1, EOS: -1, UNK: -1, PAD: -1}
}

func TestSPMRules(t *testing.T) {
	// 0 a, 1 aa, 2 b, 3 c, 4 ab, 5 bc, 6 ▁, 7 ▁a, 8 <0xC3>, 9 <0xA9>, 10 <unk>
	tokens := []string{"a", "aa", "b", "c", "ab", "bc", "▁", "▁a", "<0xC3>", "<0xA9>", "<unk>"}
	scores := []float32{0, -1, 0, 0, -5, -1, 0, -2, 0, 0, 0}
	types := []int32{1, 1, 1, 1, 1, 1, 1, 1, 6, 6, 2}
	v := spmVocab(tokens, scores)
	v.Types = types
	v.UNK = 10
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	withPrefix := v
	withPrefix.AddSpacePrefix = true
	tokP, err := New(withPrefix)
	if err != nil {
		t.Fatal(err)
	}
	noBytes := v
	noBytes.Tokens = slices.Clone(tokens)
	noBytes.Tokens[8], noBytes.Tokens[9] = "x", "y"
	tokU, err := New(noBytes)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tok  *Tokenizer
		text string
		want []int32
	}{
		{"equal scores merge leftmost first", tok, "aaa", []int32{1, 0}},
		{"higher score first", tok, "abc", []int32{0, 5}},
		{"byte fallback", tok, "é", []int32{8, 9}},
		{"unk when no byte token", tokU, "é", []int32{10, 10}},
		{"space prefix", tokP, "a", []int32{7}},
		{"space escaped", tok, " a", []int32{7}},
	}
	for _, tc := range tests {
		if got := tc.tok.Encode(tc.text, false, false); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Encode(%q) = %v, want %v", tc.name, tc.text, got, tc.want)
		}
	}
}

// TestSPMKey: the queue key orders by score (highest first), then left.
func TestSPMKey(t *testing.T) {
	ordered := []uint64{spmKey(3, 9), spmKey(0, 1), spmKey(float32(math.Copysign(0, -1)), 2), spmKey(-0.5, 0),
		spmKey(-1, 4), spmKey(-1, 5), spmKey(-2, 0), spmKey(float32(math.Inf(-1)), 0)}
	if !slices.IsSorted(ordered) {
		t.Errorf("keys out of order: %x", ordered)
	}
}

func TestBPERules(t *testing.T) {
	tokens := []string{"a", "b", "c", "ab", "bc", "abc", "Ġ", "Ġa"}
	v := Vocab{Model: "gpt2", Pre: "qwen2", Tokens: tokens, BOS: -1, EOS: -1, UNK: -1, PAD: -1,
		Merges: []string{"b c", "a b", "a bc", "Ġ a"}}
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	// Without "a bc" the word stops at a + bc; llama-bpe's ignore_merges
	// still emits the whole word when it is a token, qwen2 does not.
	v.Merges = []string{"b c", "a b"}
	noMerge, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	v.Pre = "llama-bpe"
	ignore, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tok  *Tokenizer
		text string
		want []int32
	}{
		{"lowest rank first", tok, "abc", []int32{5}},
		{"rank order stops", noMerge, "abc", []int32{0, 4}},
		{"ignore_merges", ignore, "abc", []int32{5}},
		{"space is Ġ", tok, " a", []int32{7}},
		{"pieces", tok, "ab ab", []int32{3, 6, 3}},
	}
	for _, tc := range tests {
		if got := tc.tok.Encode(tc.text, false, false); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Encode(%q) = %v, want %v", tc.name, tc.text, got, tc.want)
		}
	}
	// Merges through a non-token ("ab") take the by-text path; a symbol
	// left as a non-token falls back to one-byte tokens.
	slow, err := New(Vocab{Model: "gpt2", Pre: "qwen2", Tokens: []string{"a", "b", "c", "abc"},
		Merges: []string{"a b", "ab c"}, BOS: -1, EOS: -1, UNK: -1, PAD: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(slow.slowRanks) != 2 || len(slow.merges) != 0 {
		t.Errorf("merge maps: %d by id, %d by text", len(slow.merges), len(slow.slowRanks))
	}
	if got := slow.Encode("abc", false, false); !slices.Equal(got, []int32{3}) {
		t.Errorf("slow path: %v", got)
	}
	if got := slow.Encode("ab", false, false); !slices.Equal(got, []int32{0, 1}) {
		t.Errorf("non-token fallback: %v", got)
	}
	if s, err := tok.Decode([]int32{5, 7, 6}); err != nil || s != "abc a " {
		t.Errorf("Decode = %q, %v", s, err)
	}
}

// TestNewErrors: each inconsistency is reported as ErrVocab.
func TestNewErrors(t *testing.T) {
	good := spmVocab([]string{"<unk>", "a", "b"}, []float32{0, -1, -2})
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*Vocab)
	}{
		{"no tokens", func(v *Vocab) { v.Tokens = nil }},
		{"duplicate token", func(v *Vocab) { v.Tokens = []string{"a", "b", "a"} }},
		{"short scores", func(v *Vocab) { v.Scores = v.Scores[:2] }},
		{"short types", func(v *Vocab) { v.Types = []int32{1} }},
		{"bos out of range", func(v *Vocab) { v.BOS = 3 }},
		{"eos negative", func(v *Vocab) { v.EOS = -2 }},
		{"add_bos without bos", func(v *Vocab) { v.AddBOS = true }},
		{"add_eos without eos", func(v *Vocab) { v.AddEOS = true }},
		{"gpt2 without merges", func(v *Vocab) { v.Model = "gpt2" }},
	}
	for _, tc := range tests {
		v := good
		tc.edit(&v)
		if _, err := New(v); !errors.Is(err, ErrVocab) {
			t.Errorf("%s: err = %v, want ErrVocab", tc.name, err)
		}
	}
	// Empty texts get llama.cpp's placeholder, so two are not duplicates.
	v := good
	v.Tokens = []string{"", "a", ""}
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenText(2) != "[EMPTY_2]" || v.Tokens[2] != "" {
		t.Errorf("empty token: %q (caller's slice %q)", tok.TokenText(2), v.Tokens[2])
	}
}

// ggufVocab writes a vocabulary-only GGUF file in memory and parses it.
func ggufVocab(t *testing.T, kv ...gguf.KV) *gguf.File {
	t.Helper()
	var buf bytes.Buffer
	if err := gguf.Write(&buf, kv, nil, 0); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func kvString(k, s string) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeString, V: s}}
}
func kvU32(k string, x uint32) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeUint32, V: x}}
}
func kvBool(k string, b bool) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeBool, V: b}}
}
func kvArray(k string, elem gguf.ValueType, elems any) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: elem, Elems: elems}}}
}

// TestFromGGUFDefaults checks llama.cpp's defaults for absent keys.
func TestFromGGUFDefaults(t *testing.T) {
	spmTokens := kvArray(keyTokens, gguf.TypeString, []string{"<unk>", "<s>", "</s>", "▁a", "a"})
	t.Run("spm defaults", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "llama"), spmTokens,
			kvArray(keyScores, gguf.TypeInt32, []int32{0, 0, 0, -1, -2}), // integer scores are accepted
			kvU32(keyPAD, 0xFFFFFFFF))                                    // out of range: ignored
		tok, err := FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		if tok.BOS() != 1 || tok.EOS() != 2 || !tok.AddsBOS() || tok.pad != -1 || tok.unk != 0 {
			t.Errorf("bos %d eos %d addBOS %v pad %d unk %d", tok.BOS(), tok.EOS(), tok.AddsBOS(), tok.pad, tok.unk)
		}
		if got := tok.Encode("a", true, false); !slices.Equal(got, []int32{1, 3}) { // BOS, ▁a (space prefix)
			t.Errorf("Encode = %v", got)
		}
	})
	t.Run("spm keys override", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "llama"), spmTokens, kvBool(keyAddBOS, false),
			kvBool(keyAddSpacePrefix, false), kvBool(keyAddEOS, true), kvU32(keyEOS, 4))
		tok, err := FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode("a", true, false); !slices.Equal(got, []int32{4, 4}) { // a, EOS=4
			t.Errorf("Encode = %v", got)
		}
	})
	bpeTokens := kvArray(keyTokens, gguf.TypeString, []string{"a", "b", "ab", "<|begin_of_text|>"})
	merges := kvArray(keyMerges, gguf.TypeString, []string{"a b"})
	t.Run("llama-bpe adds BOS", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "gpt2"), kvString(keyPre, "llama-bpe"), bpeTokens, merges, kvU32(keyBOS, 3))
		tok, err := FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode("ab", true, false); !slices.Equal(got, []int32{3, 2}) {
			t.Errorf("Encode = %v", got)
		}
	})
	t.Run("llama-bpe without BOS id", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "gpt2"), kvString(keyPre, "llama-bpe"), bpeTokens, merges)
		if _, err := FromGGUF(f); !errors.Is(err, ErrVocab) {
			t.Errorf("err = %v, want ErrVocab", err)
		}
	})
	t.Run("qwen2 no BOS", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "gpt2"), kvString(keyPre, "qwen2"), bpeTokens, merges)
		tok, err := FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		if tok.BOS() != -1 || tok.AddsBOS() {
			t.Errorf("bos %d addBOS %v", tok.BOS(), tok.AddsBOS())
		}
	})
	t.Run("unknown pre", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "gpt2"), kvString(keyPre, "falcon"), bpeTokens, merges)
		if _, err := FromGGUF(f); !errors.Is(err, ErrUnsupported) {
			t.Errorf("err = %v, want ErrUnsupported", err)
		}
	})
	t.Run("missing merges", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "gpt2"), bpeTokens)
		if _, err := FromGGUF(f); !errors.Is(err, gguf.ErrNotFound) {
			t.Errorf("err = %v, want gguf.ErrNotFound", err)
		}
	})
	t.Run("tokens of wrong type", func(t *testing.T) {
		f := ggufVocab(t, kvString(keyModel, "llama"), kvArray(keyTokens, gguf.TypeInt32, []int32{1, 2}))
		if _, err := FromGGUF(f); !errors.Is(err, gguf.ErrFormat) {
			t.Errorf("err = %v, want gguf.ErrFormat", err)
		}
	})
}
