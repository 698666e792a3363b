package hfmodel

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// FuzzParseSPM checks that the SentencePiece reader never panics, that it
// fails with ErrFormat only, and that what it accepts is consistent.
// Seeds: the shared tokenizer.model and a few truncations of it.
func FuzzParseSPM(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(testdata.Path(f, "hf/stories260K"), TokenizerModelName))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:100])
	f.Add([]byte{0x0a, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseSPM("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v is not ErrFormat", err)
			}
			return
		}
		if len(m.Pieces) == 0 || len(m.Pieces) != len(m.Scores) || len(m.Pieces) != len(m.Types) {
			t.Fatalf("%d pieces, %d scores, %d types", len(m.Pieces), len(m.Scores), len(m.Types))
		}
	})
}

// FuzzParseConfig checks that config.json parsing never panics and fails
// with one of the package's error classes.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(qwenConfig))
	for _, d := range []string{"hf/stories260K", "hf/qwen2-tiny"} {
		b, err := os.ReadFile(filepath.Join(testdata.Path(f, d), ConfigName))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz", data)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v has no class", err)
			}
			return
		}
		if c.Heads == 0 || c.headDim() == 0 || c.kvHeads() == 0 {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzTokenizerJSON checks that reading a tokenizer.json (vocabulary,
// added tokens, merges in both forms, pre-tokenizer) never panics, fails
// with a class, and yields equal-length token and type lists.
func FuzzTokenizerJSON(f *testing.F) {
	qwenRegex := `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`
	f.Add([]byte(`{"added_tokens": [{"id": 3, "content": "<|x|>", "special": true}, {"id": 4, "content": "y", "special": false}],
 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "` + qwenRegex + `"}},
  {"type": "ByteLevel", "use_regex": false}]},
 "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}`))
	f.Add([]byte(`{"pre_tokenizer": {"type": "ByteLevel", "use_regex": true}, "decoder": {"type": "ByteLevel"},
 "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tj tokenizerJSON
		if err := parseJSON("fuzz", data, &tj); err != nil {
			return
		}
		for _, vs := range []uint64{0, 8} {
			v, err := bpeVocab("fuzz", &tj, vs)
			if err != nil {
				if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
					t.Fatalf("error %v has no class", err)
				}
				continue
			}
			if len(v.tokens) != len(v.types) {
				t.Fatalf("%d tokens, %d types", len(v.tokens), len(v.types))
			}
		}
	})
}
