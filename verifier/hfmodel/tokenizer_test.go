package hfmodel

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

// vocabPairs are the tokenizer.json directories and the vocab-only GGUF
// files (and tokenizer test vectors) made from the same vocabularies.
//
// control lists the ids the converter marks CONTROL (tokenizer.json says
// special, or the text looks special: <|…|>) where the vocab-only GGUF,
// written by hand with gguf-py from Qwen's own tokenizer.json, in which
// they are not special, has USER_DEFINED; every other type must match.
// bos is set in a copy of tokenizer_config.json ("bos_token": null in the
// shared one), as Llama 3's own has it, so that the tokenizer builds.
var vocabPairs = []struct {
	dir, gguf string
	control   []int
	bos       string
}{
	{"hf/qwen2-vocab", "ggml-vocab-qwen2.gguf", []int{151657, 151658, 151659, 151660, 151661, 151662, 151663, 151664}, ""},
	{"hf/llama3-vocab", "ggml-vocab-llama-bpe.gguf", nil, "<|begin_of_text|>"},
}

// withBOS returns a copy of the vocabulary directory dir (tokenizer.json
// linked) whose tokenizer_config.json names bos as the BOS token.
func withBOS(t *testing.T, dir, bos string) string {
	tmp := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, TokenizerJSONName), filepath.Join(tmp, TokenizerJSONName)); err != nil {
		t.Fatal(err)
	}
	var tc map[string]any
	b, err := os.ReadFile(filepath.Join(dir, TokenizerConfigName))
	if err != nil || json.Unmarshal(b, &tc) != nil {
		t.Fatal(err)
	}
	tc["bos_token"] = bos
	b, _ = json.Marshal(tc)
	if err := os.WriteFile(filepath.Join(tmp, TokenizerConfigName), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return tmp
}

// TestBPEVocab checks that tokenizer.json yields the vocab-only GGUF's
// tokens, types, merges and pre-tokenizer, and that the tokenizer built
// from it passes llama.cpp's test vectors for that vocabulary.
func TestBPEVocab(t *testing.T) {
	for _, p := range vocabPairs {
		t.Run(p.dir, func(t *testing.T) {
			dir := testdata.Path(t, p.dir)
			if p.bos != "" {
				dir = withBOS(t, dir, p.bos)
			}
			h, err := OpenTokenizer(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			g, err := gguf.Open(testdata.Path(t, p.gguf))
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			for _, key := range []string{"tokenizer.ggml.tokens", "tokenizer.ggml.merges"} {
				a, err1 := h.Strings(key)
				b, err2 := g.Strings(key)
				if err1 != nil || err2 != nil || !slices.Equal(a, b) {
					t.Errorf("%s: %d entries (%v), the GGUF has %d (%v)", key, len(a), err1, len(b), err2)
				}
			}
			a, _ := h.Int32s("tokenizer.ggml.token_type")
			b, _ := g.Int32s("tokenizer.ggml.token_type")
			if len(a) != len(b) {
				t.Fatalf("%d token types, the GGUF has %d", len(a), len(b))
			}
			var differ []int
			for i := range a {
				if a[i] != b[i] {
					differ = append(differ, i)
					if a[i] != typeControl || b[i] != typeUserDefined {
						t.Errorf("token %d: type %d, the GGUF has %d", i, a[i], b[i])
					}
				}
			}
			if !slices.Equal(differ, p.control) {
				t.Errorf("types differ at %v, want only at %v", differ, p.control)
			}
			for _, key := range []string{"tokenizer.ggml.model", "tokenizer.ggml.pre"} {
				x, _ := h.String(key)
				y, _ := g.String(key)
				if x != y {
					t.Errorf("%s %q, the GGUF has %q", key, x, y)
				}
			}
			tok, err := tokenizer.FromGGUF(h)
			if err != nil {
				t.Fatal(err)
			}
			vs := testdata.Vectors(t, p.gguf)
			for _, v := range vs {
				if got := tok.Encode(v.Text, false, false); !slices.Equal(got, v.IDs) {
					t.Errorf("%q: %v, want %v", v.Text, got, v.IDs)
				}
			}
		})
	}
}

// TestMergePairs rewrites the merges as [a, b] pairs (transformers ≥ 4.45)
// and checks they read back as the same strings.
func TestMergePairs(t *testing.T) {
	var ss []string
	if err := json.Unmarshal([]byte(`["a b","Ġ t","x yz"]`), &ss); err != nil {
		t.Fatal(err)
	}
	got, err := merges("m", json.RawMessage(`[["a","b"],["Ġ","t"],["x","yz"]]`))
	if err != nil || !slices.Equal(got, ss) {
		t.Errorf("pairs: %q, %v", got, err)
	}
	got, err = merges("m", json.RawMessage(`[["a b","c"]]`))
	if err != nil || got[0] != "a\u0120b c" {
		t.Errorf("space in a part: %q, %v", got, err)
	}
	if _, err := merges("m", json.RawMessage(`[["a","b","c"]]`)); err == nil {
		t.Error("a three-part merge was accepted")
	}
}

// TestUnknownPreTokenizer refuses a split regex PoT does not know.
func TestUnknownPreTokenizer(t *testing.T) {
	_, err := preTokenizer("tokenizer.json", json.RawMessage(`{"type":"Split","pattern":{"Regex":"\\s+"}}`))
	if err == nil || !strings.Contains(err.Error(), "pre-tokenizer") || !strings.Contains(err.Error(), "is not one PoT knows") {
		t.Errorf("unknown regex: %v", err)
	}
	if pre, err := preTokenizer("t", json.RawMessage(`{"type":"ByteLevel","use_regex":true}`)); pre != "gpt-2" || err != nil {
		t.Errorf("gpt-2: %q %v", pre, err)
	}
}

// TestSPM checks the SentencePiece reader on the shared tokenizer.model
// against the GGUF it was written from, and that truncations are refused
// with an error naming the file.
func TestSPM(t *testing.T) {
	path := filepath.Join(testdata.Path(t, "hf/stories260K"), TokenizerModelName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseSPM(path, b)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gguf.Open(testdata.Path(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	toks, _ := g.Strings("tokenizer.ggml.tokens")
	scores, _ := g.Float32s("tokenizer.ggml.scores")
	if !slices.Equal(m.Pieces, toks) || !slices.Equal(m.Scores, scores) || !m.AddDummyPrefix {
		t.Errorf("pieces %d (GGUF %d), scores equal %v, add_dummy_prefix %v", len(m.Pieces), len(toks), slices.Equal(m.Scores, scores), m.AddDummyPrefix)
	}
	for _, n := range []int{1, 5, len(b) / 2, len(b) - 1} {
		if _, err := ParseSPM(path, b[:n]); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("truncated to %d bytes: %v", n, err)
		}
	}
}

// TestChatTemplateKVs: a string template, a named list (as gguf-py writes
// it: the default one as tokenizer.chat_template, the others by name), and
// chat_template.jinja as the fallback.
func TestChatTemplateKVs(t *testing.T) {
	jinja := "{{ jinja }}"
	for _, c := range []struct {
		name, raw string
		fallback  *string
		want      map[string]any
	}{
		{"string", `"{{ x }}"`, &jinja, map[string]any{"tokenizer.chat_template": "{{ x }}"}},
		{"list", `[{"name": "default", "template": "D"}, {"name": "tool use", "template": "T"}, {"name": "rag", "template": "R"}]`, nil,
			map[string]any{"tokenizer.chat_template": "D", "tokenizer.chat_template.tool_use": "T", "tokenizer.chat_template.rag": "R",
				"tokenizer.chat_templates": "[rag tool_use]"}},
		{"absent, jinja file", "", &jinja, map[string]any{"tokenizer.chat_template": jinja}},
		{"absent", "", nil, map[string]any{}},
	} {
		var raw json.RawMessage
		if c.raw != "" {
			raw = json.RawMessage(c.raw)
		}
		kv, err := chatTemplateKVs(raw, c.fallback)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]any{}
		for _, p := range kv {
			if a, ok := p.Value.V.(gguf.Array); ok {
				got[p.Key] = fmt.Sprint(a.Elems)
			} else {
				got[p.Key] = p.Value.V
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if _, err := chatTemplateKVs(json.RawMessage(`42`), nil); err == nil {
		t.Error("a numeric chat_template was accepted")
	}
}

// TestSPMAddedTokens: tokenizer_config.json's added_tokens_decoder
// overrides pieces as the converter does (CONTROL when special or
// special-looking, else USER_DEFINED with '▁' as a space; score -1000),
// ignores ids beyond the vocabulary, and fillers pad up to vocab_size.
func TestSPMAddedTokens(t *testing.T) {
	m := &SPMModel{Pieces: []string{"<unk>", "a", "b"}, Scores: []float32{0, -1, -2}, Types: []int32{spmUnknown, spmNormal, spmUserDefined}}
	tc, err := parseTokenizerConfig("tc", []byte(`{"added_tokens_decoder": {
		"1": {"content": "<|x|>", "special": false}, "2": {"content": "▁hi", "special": false},
		"3": {"content": "<s>", "special": true}, "9": {"content": "far", "special": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := spmVocab("m", m, 5, tc)
	if err != nil {
		t.Fatal(err)
	}
	wantTok := []string{"<unk>", "<|x|>", " hi", "<s>", "[PAD4]"}
	wantType := []int32{typeUnknown, typeControl, typeUserDefined, typeControl, typeUnused}
	wantScore := []float32{0, -1000, -1000, -1000, -10000}
	if !slices.Equal(v.tokens, wantTok) || !slices.Equal(v.types, wantType) || !slices.Equal(v.scores, wantScore) {
		t.Errorf("tokens %q types %v scores %v", v.tokens, v.types, v.scores)
	}
	if _, err := spmVocab("m", m, 2, tc); err == nil || !strings.Contains(err.Error(), "3 pieces but config.json's vocab_size is 2") {
		t.Errorf("short vocab_size: %v", err)
	}
}
