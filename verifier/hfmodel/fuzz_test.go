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
