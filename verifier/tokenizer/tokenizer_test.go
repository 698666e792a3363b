package tokenizer

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
)

// The shared vocabularies with llama.cpp's test vectors.
const (
	vocabSPM   = "ggml-vocab-llama-spm.gguf"
	vocabLlama = "ggml-vocab-llama-bpe.gguf"
	vocabQwen  = "ggml-vocab-qwen2.gguf"
	vocabTiny  = "stories260K.gguf"
)

var (
	loadMu sync.Mutex
	loaded = map[string]*Tokenizer{}
)

// load opens a shared GGUF file and builds its tokenizer, once per test
// binary (the BPE vocabularies take a moment to index).
func load(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	p := testdata.Path(tb, name)
	loadMu.Lock()
	defer loadMu.Unlock()
	if t, ok := loaded[name]; ok {
		return t
	}
	f, err := gguf.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	t, err := FromGGUF(f)
	if err != nil {
		tb.Fatal(err)
	}
	loaded[name] = t
	return t
}

type vector struct {
	text string
	ids  []int32
}

// readVectors reads the shared <vocab>.inp/.out test vectors.
func readVectors(tb testing.TB, vocab string) []vector {
	tb.Helper()
	var vs []vector
	for _, v := range testdata.Vectors(tb, vocab) {
		vs = append(vs, vector{text: v.Text, ids: v.IDs})
	}
	return vs
}

// TestLlamaCppVectors checks llama.cpp's tokenizer test vectors
// (add_special=false, parse_special=false): 46 texts per vocabulary.
func TestLlamaCppVectors(t *testing.T) {
	for _, vocab := range []string{vocabSPM, vocabLlama, vocabQwen} {
		t.Run(vocab, func(t *testing.T) {
			tok := load(t, vocab)
			vs := readVectors(t, vocab)
			pass := 0
			for i, v := range vs {
				got := tok.Encode(v.text, false, false)
				if slices.Equal(got, v.ids) {
					pass++
					continue
				}
				t.Errorf("case %d %q:\n got  %v\n want %v", i, v.text, got, v.ids)
			}
			t.Logf("%s: %d/%d cases pass", vocab, pass, len(vs))
			if len(tok.slowRanks) != 0 {
				t.Errorf("%d merges indexed by text, want all by id", len(tok.slowRanks))
			}
			if len(vs) != 46 {
				t.Errorf("%d cases, want 46", len(vs))
			}
		})
	}
}

// TestRoundTrip checks Decode(Encode(s)) == s on the vector texts, with and
// without special tokens added.
func TestRoundTrip(t *testing.T) {
	for _, vocab := range []string{vocabSPM, vocabLlama, vocabQwen} {
		t.Run(vocab, func(t *testing.T) {
			tok := load(t, vocab)
			for _, v := range readVectors(t, vocab) {
				for _, add := range []bool{false, true} {
					got, err := tok.Decode(tok.Encode(v.text, add, false))
					if err != nil {
						t.Fatal(err)
					}
					if got != v.text {
						t.Errorf("addSpecial=%v: %q decodes to %q", add, v.text, got)
					}
				}
			}
		})
	}
}

// TestSpecialTokens checks BOS/EOS handling and parse-special splitting.
func TestSpecialTokens(t *testing.T) {
	spm, llama, qwen := load(t, vocabSPM), load(t, vocabLlama), load(t, vocabQwen)
	imStart, imEnd := int32(151644), int32(151645)
	user := qwen.Encode("user", false, false)
	tests := []struct {
		name         string
		tok          *Tokenizer
		text         string
		add, special bool
		want         []int32
	}{
		{"qwen2 im_start parsed", qwen, "<|im_start|>user", false, true, append([]int32{imStart}, user...)},
		{"qwen2 im_start and im_end", qwen, "<|im_start|>user<|im_end|>", true, true, append(append([]int32{imStart}, user...), imEnd)},
		{"qwen2 no BOS", qwen, "", true, false, []int32{}},
		{"llama3 BOS", llama, "", true, false, []int32{128000}},
		{"llama3 BOS parsed", llama, "<|begin_of_text|>", false, true, []int32{128000}},
		{"llama3 end_of_text parsed", llama, "Hi<|end_of_text|>", false, true, append(llama.Encode("Hi", false, false), 128001)},
		{"spm BOS", spm, "", true, false, []int32{1}},
		{"spm BOS then text", spm, "Hello", true, false, append([]int32{1}, spm.Encode("Hello", false, false)...)},
		// After a special token the next fragment gets its own space prefix.
		{"spm parsed </s>", spm, "a</s>b", false, true, append(append(spm.Encode("a", false, false), 2), spm.Encode("b", false, false)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.tok.Encode(tc.text, tc.add, tc.special)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Encode(%q, %v, %v) = %v, want %v", tc.text, tc.add, tc.special, got, tc.want)
			}
		})
	}

	// Without parseSpecial the marker is plain text: many ordinary tokens.
	plain := qwen.Encode("<|im_start|>user", false, false)
	if slices.Contains(plain, imStart) || len(plain) < 3 {
		t.Errorf("parseSpecial=false produced %v", plain)
	}
	if !qwen.IsControl(imStart) || qwen.IsControl(user[0]) || qwen.IsControl(-1) {
		t.Error("IsControl wrong")
	}
	if qwen.BOS() != -1 || qwen.EOS() != 151643 || llama.BOS() != 128000 || spm.BOS() != 1 || spm.EOS() != 2 {
		t.Errorf("BOS/EOS: qwen %d/%d llama %d spm %d/%d", qwen.BOS(), qwen.EOS(), llama.BOS(), spm.BOS(), spm.EOS())
	}

	// Control tokens are hidden by Decode and shown by DecodeWith Special.
	ids := qwen.Encode("<|im_start|>user<|im_end|>", false, true)
	if s, _ := qwen.Decode(ids); s != "user" {
		t.Errorf("Decode = %q", s)
	}
	if s, _ := qwen.DecodeWith(ids, DecodeOptions{Special: true}); s != "<|im_start|>user<|im_end|>" {
		t.Errorf("DecodeWith Special = %q", s)
	}
	if s, _ := spm.DecodeWith(spm.Encode("Hi", true, false), DecodeOptions{Special: true}); s != "<s> Hi" {
		t.Errorf("SPM DecodeWith Special = %q", s)
	}
	if _, err := qwen.Decode([]int32{5, int32(qwen.VocabSize())}); !errors.Is(err, ErrTokenID) {
		t.Errorf("out-of-range id: err = %v", err)
	}
	if _, err := qwen.Decode([]int32{-1}); !errors.Is(err, ErrTokenID) {
		t.Errorf("negative id: err = %v", err)
	}
}

// TestStories260K checks the 512-token llama2.c vocabulary against
// llama.cpp's tokenization of the greedy story (refs/…json: BOS + ids).
func TestStories260K(t *testing.T) {
	tok := load(t, vocabTiny)
	if tok.VocabSize() != 512 || tok.Model() != "llama" {
		t.Fatalf("vocab %d %q", tok.VocabSize(), tok.Model())
	}
	for _, s := range []string{"Once upon a time", "Lily saw a big red ball.", "\"Don't worry,\" said Mom.\n", "Zebra 123 ünïcödé 🦙"} {
		ids := tok.Encode(s, true, false)
		if ids[0] != 1 {
			t.Errorf("%q: no BOS: %v", s, ids)
		}
		got, err := tok.Decode(ids)
		if err != nil || got != s {
			t.Errorf("%q round-trips to %q (%v)", s, got, err)
		}
	}
	b, err := os.ReadFile(testdata.Path(t, "refs/stories260K.greedy256.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Text   string  `json:"text"`
		Tokens []int32 `json:"tokens"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Tokens) != 257 || ref.Tokens[0] != 1 {
		t.Fatalf("reference: %d tokens starting %v", len(ref.Tokens), ref.Tokens[:1])
	}
	text, err := tok.Decode(ref.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Encode(text, true, false); !slices.Equal(got, ref.Tokens) {
		t.Errorf("re-encoding the decoded story:\n got  %v\n want %v", got, ref.Tokens)
	}
	// The reference keeps the first 256 tokens of the text, which ends with
	// one more: "\n" (<0x0A>).
	if want := ref.Text[:len(ref.Text)-1]; text != want {
		t.Errorf("decoded reference differs from its text:\n%q\n%q", text, want)
	}
	if got := tok.Encode(ref.Text, true, false); !slices.Equal(got, append(ref.Tokens, 13)) {
		t.Errorf("encoding the reference text:\n got  %v\n want %v + [13]", got, ref.Tokens)
	}
}

// TestInvalidUTF8 checks that hostile bytes neither panic nor vanish: SPM
// keeps them as byte tokens, BPE maps each bad byte to U+FFFD as llama.cpp.
func TestInvalidUTF8(t *testing.T) {
	inputs := []string{"\xff", "a\xc3", "\xc3(", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\x80", "x\x80\x80y", "\xf0\x9f\xa6"}
	spm := load(t, vocabSPM)
	for _, s := range inputs {
		got, err := spm.Decode(spm.Encode(s, false, false))
		if err != nil || got != s {
			t.Errorf("SPM %q round-trips to %q (%v)", s, got, err)
		}
	}
	for _, vocab := range []string{vocabLlama, vocabQwen} {
		tok := load(t, vocab)
		for _, s := range inputs {
			ids := tok.Encode(s, false, false)
			if len(ids) == 0 {
				t.Errorf("%s: %q gave no tokens", vocab, s)
			}
			got, _ := tok.Decode(ids)
			if !utf8.ValidString(s) && strings.Contains(s, "\xff") && !strings.Contains(got, "\uFFFD") {
				t.Errorf("%s: %q decoded to %q, want U+FFFD", vocab, s, got)
			}
		}
	}
}

// FuzzEncode: no input panics, and valid UTF-8 round-trips through the
// byte-level BPE vocabularies (and SPM).
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "Hello, y'all! 3333", "\n \n\n \t\t", "<|im_start|>user\n", "🦙.cpp ½ Führer", "\xff\xfe"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	for _, v := range readVectors(f, vocabQwen) {
		f.Add(v.text, false)
	}
	toks := []*Tokenizer{load(f, vocabLlama), load(f, vocabQwen), load(f, vocabSPM)}
	f.Fuzz(func(t *testing.T, s string, special bool) {
		for _, tok := range toks {
			// With parseSpecial, DecodeWith Special must give the markers
			// back; SPM then differs by the space prefixed after each one.
			ids := tok.Encode(s, !special, special)
			got, err := tok.DecodeWith(ids, DecodeOptions{Special: special})
			if err != nil {
				t.Fatal(err)
			}
			check := !special || tok.Model() == "gpt2"
			if check && utf8.ValidString(s) && got != s {
				t.Fatalf("%s/%s special=%v: %q round-trips to %q", tok.Model(), tok.Pre(), special, s, got)
			}
		}
	})
}

// BenchmarkEncode tokenizes a 100 KB mixed text.
func BenchmarkEncode(b *testing.B) {
	var sb strings.Builder
	for sb.Len() < 100_000 {
		sb.WriteString("Once upon a time, 1234567 ünïcödé words — and 🦙 emoji;\n\tthe  end?  ")
		sb.WriteString("Лили увидела большой красный мяч. 我想在apple工作1314151天～ ")
	}
	text := sb.String()
	for _, vocab := range []string{vocabSPM, vocabLlama, vocabQwen} {
		tok := load(b, vocab)
		b.Run(vocab, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				tok.Encode(text, true, false)
			}
		})
	}
}

// BenchmarkEncodePrompt tokenizes a typical 230-byte chat prompt.
func BenchmarkEncodePrompt(b *testing.B) {
	const prompt = "<|im_start|>user\nWrite a short story about a llama who learns to program in Go. " +
		"Keep it under 200 words, and end with a moral about simplicity.<|im_end|>\n<|im_start|>assistant\n"
	for _, vocab := range []string{vocabSPM, vocabLlama, vocabQwen} {
		tok := load(b, vocab)
		b.Run(vocab, func(b *testing.B) {
			b.SetBytes(int64(len(prompt)))
			for b.Loop() {
				tok.Encode(prompt, true, true)
			}
		})
	}
}

// TestConcurrentEncode: a Tokenizer is shared by goroutines (run with -race
// to check the claim that it is immutable after New).
func TestConcurrentEncode(t *testing.T) {
	tok := load(t, vocabQwen)
	vs := readVectors(t, vocabQwen)
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(vs))
	for range 4 {
		wg.Go(func() {
			for _, v := range vs {
				if got := tok.Encode(v.text, false, false); !slices.Equal(got, v.ids) {
					errs <- v.text
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent Encode(%q) differs", s)
	}
}
