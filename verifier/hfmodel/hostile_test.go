package hfmodel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// dirWith links every file of the shared directory src into a temporary
// directory, replacing (or, with nil, removing) the given files.
func dirWith(t *testing.T, src string, files map[string]string) string {
	t.Helper()
	src = testdata.Path(t, src)
	dir := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if _, ok := files[e.Name()]; !ok {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, s := range files {
		if s == "-" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const qwenConfig = `{"architectures": ["Qwen2ForCausalLM"], "hidden_size": 256, "intermediate_size": 512,
 "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2, "rms_norm_eps": 1e-6,
 "rope_theta": 1000000.0, "max_position_embeddings": 4096, "vocab_size": 512, "tie_word_embeddings": true}`

// TestHostileDirectories: broken or unsupported directories get an error
// of the right class naming the file and the problem.
func TestHostileDirectories(t *testing.T) {
	cfg := func(old, new string) string { return strings.Replace(qwenConfig, old, new, 1) }
	cases := []struct {
		name  string
		files map[string]string
		is    error
		msg   string
	}{
		{"no config", map[string]string{ConfigName: "-"}, nil, "config.json: no such file or directory"},
		{"config not JSON", map[string]string{ConfigName: "{"}, ErrFormat, "config.json: unexpected EOF"},
		{"other architecture", map[string]string{ConfigName: cfg("Qwen2ForCausalLM", "GPT2LMHeadModel")}, ErrUnsupported,
			`config.json: architecture "GPT2LMHeadModel" (PoT reads [LlamaForCausalLM MistralForCausalLM Qwen2ForCausalLM])`},
		{"missing hidden_size", map[string]string{ConfigName: cfg(`"hidden_size": 256,`, "")}, ErrFormat, `config.json: missing "hidden_size"`},
		{"negative heads", map[string]string{ConfigName: cfg(`"num_attention_heads": 4`, `"num_attention_heads": -4`)}, ErrFormat,
			`config.json: "num_attention_heads" = -4, want an integer in [1, 16777216]`},
		{"kv heads", map[string]string{ConfigName: cfg(`"num_key_value_heads": 2`, `"num_key_value_heads": 3`)}, ErrFormat,
			"config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3"},
		{"yarn", map[string]string{ConfigName: cfg(`"vocab_size": 512`, `"vocab_size": 512, "rope_scaling": {"type": "yarn", "factor": 4}`)}, ErrUnsupported,
			`config.json: rope_scaling type "yarn" for qwen2`},
		{"no tokenizer", map[string]string{TokenizerModelName: "-"}, ErrFormat, "neither tokenizer.model nor tokenizer.json"},
		{"truncated tokenizer.model", map[string]string{TokenizerModelName: "\x0a\x80"}, ErrFormat, "tokenizer.model: truncated or overlong varint at byte 0x1"},
		{"small vocab_size", map[string]string{ConfigName: cfg(`"vocab_size": 512`, `"vocab_size": 100`)}, ErrFormat,
			"tokenizer.model: 512 pieces but config.json's vocab_size is 100"},
		{"huge vocab_size", map[string]string{ConfigName: cfg(`"vocab_size": 512`, `"vocab_size": 4000000`)}, ErrFormat,
			"tokenizer.model: config.json's vocab_size 4000000 is far beyond the tokenizer's 512 tokens"},
		{"unknown pre-tokenizer", map[string]string{TokenizerModelName: "-", TokenizerJSONName: `{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
 "decoder": {"type": "ByteLevel"}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\w+"}}}`}, ErrUnsupported,
			`tokenizer.json: pre-tokenizer {"type": "Split", "pattern": {"Regex": "\\w+"}} is not one PoT knows`},
		{"not byte-level", map[string]string{TokenizerModelName: "-", TokenizerJSONName: `{"model": {"type": "Unigram"}, "decoder": {"type": "Metaspace"}}`}, ErrUnsupported,
			`tokenizer.json: model "Unigram" with decoder "Metaspace"`},
		{"no weights", map[string]string{"model.safetensors": "-"}, nil, "model.safetensors: no such file or directory"},
		{"truncated weights", map[string]string{"model.safetensors": "\x10\x00\x00\x00\x00\x00\x00\x00{}"}, nil, "header length exceeds the file '16' at byte 0x0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := dirWith(t, "hf/qwen2-tiny", c.files)
			f, err := Open(dir)
			if err == nil {
				f.Close()
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %v is not %v", err, c.is)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, c.msg)
			}
		})
	}
}
