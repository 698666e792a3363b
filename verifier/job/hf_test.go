package job

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/variant"
)

// hfCopy makes a Hugging Face directory in a temporary directory: every
// file of src linked, except those in files, which are written instead.
func hfCopy(t *testing.T, src string, files map[string][]byte) string {
	t.Helper()
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
	for name, b := range files {
		if b == nil {
			continue // left out
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// editJSON returns the JSON file name of dir with edit applied.
func editJSON(t *testing.T, dir, name string, edit func(map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	return b
}

// byteLevelBPE is a 512-token byte-level BPE tokenizer.json (Qwen2's split
// regex): the 256 byte symbols of GPT-2's byte-to-unicode map, then 256
// merged pairs of lower-case letters.
func byteLevelBPE(t *testing.T) []byte {
	vocab := map[string]int{}
	for b := range 256 {
		r := rune(b)
		switch {
		case b >= '!' && b <= '~', b >= 0xA1 && b <= 0xAC, b >= 0xAE:
		default:
			r = rune(256 + len(vocab) - countPrintable(b))
		}
		vocab[string(r)] = b
	}
	var merges []string
	for i := 0; len(merges) < 256; i++ {
		a, b := string(rune('a'+i/26)), string(rune('a'+i%26))
		merges = append(merges, a+" "+b)
		vocab[a+b] = 256 + len(merges) - 1
	}
	tj := map[string]any{
		"version": "1.0", "added_tokens": []any{},
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`}, "behavior": "Isolated"},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}}},
		"decoder": map[string]any{"type": "ByteLevel"},
		"model":   map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	b, err := json.Marshal(tj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countPrintable counts the bytes below b that map to themselves in GPT-2's
// byte-to-unicode table.
func countPrintable(b int) int {
	n := 0
	for x := range b {
		if x >= '!' && x <= '~' || x >= 0xA1 && x <= 0xAC || x >= 0xAE {
			n++
		}
	}
	return n
}

// TestHuggingFaceReference runs pot verify's job with Hugging Face
// directories as references: llama.cpp-style conversions are IDENTICAL or
// SAME, and a changed rope theta, a removed merge or an edited chat
// template in the reference is DIFFERENT, naming what changed.
func TestHuggingFaceReference(t *testing.T) {
	p, _ := LookupPreset("quick")
	run := func(t *testing.T, cand, ref string) *Result {
		t.Helper()
		res, err := Run(Config{Candidate: cand, Reference: ref, Preset: p, Threads: 2, Seed: bytes.Repeat([]byte{3}, 32)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	qwen := testdata.Path(t, "hf/qwen2-tiny")

	t.Run("shared files", func(t *testing.T) {
		for _, c := range []struct {
			cand, ref string
			want      cert.Verdict
			reason    string
		}{
			{"qwen2-tiny-Q4_K.gguf", "hf/qwen2-tiny", cert.Same, "requantization"},
			{"stories260K.gguf", "hf/stories260K", cert.Identical, "tensor data is byte-identical"},
			{"qwen2-tiny-BF16.gguf", "hf/qwen2-tiny", cert.Same, "requantization"},
			{"hf/expected/qwen2-tiny-bf16.gguf", "hf/qwen2-tiny-bf16", cert.Identical, "tensor data is byte-identical"},
		} {
			res := run(t, testdata.Path(t, c.cand), testdata.Path(t, c.ref))
			if res.Verdict != c.want || !strings.Contains(res.Reason, c.reason) {
				t.Errorf("%s --ref %s: %s (%s), want %s (%s)", c.cand, c.ref, res.Verdict, res.Reason, c.want, c.reason)
			}
			checkHFReference(t, res, testdata.Path(t, c.ref))
		}
	})

	// A directory given as "." is named by its own name.
	t.Run("dot", func(t *testing.T) {
		t.Chdir(testdata.Path(t, "hf/stories260K"))
		res := run(t, testdata.Path(t, "stories260K.gguf"), ".")
		if res.Reference.Name != "stories260K" {
			t.Errorf("reference named %q", res.Reference.Name)
		}
		checkHFReference(t, res, ".")
	})

	// The behavioural test against a directory: the reference runs from
	// the safetensors maps and is requantized from them for calibration.
	t.Run("behaviour", func(t *testing.T) {
		res, err := Run(Config{Candidate: testdata.Path(t, "qwen2-tiny-Q4_K.gguf"), Reference: qwen, Preset: p,
			Behaviour: true, Threads: 2, Seed: bytes.Repeat([]byte{4}, 32), TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verdict != cert.Same || res.N == 0 {
			t.Errorf("behaviour against the directory: %s after %d challenges (%s)", res.Verdict, res.N, res.Reason)
		}
	})

	// A byte-level BPE directory with a chat template, and its conversion.
	tmpl := "{% for m in messages %}{{ m.content }}{% endfor %}"
	bpe := hfCopy(t, qwen, map[string][]byte{
		hfmodel.TokenizerModelName:  nil,
		hfmodel.TokenizerJSONName:   byteLevelBPE(t),
		hfmodel.TokenizerConfigName: editJSON(t, qwen, hfmodel.TokenizerConfigName, func(m map[string]any) { m["chat_template"] = tmpl }),
	})
	ref, err := hfmodel.Open(bpe)
	if err != nil {
		t.Fatal(err)
	}
	cand := filepath.Join(t.TempDir(), "converted.gguf")
	if err := variant.WriteFrom(ref, cand); err != nil {
		t.Fatal(err)
	}
	ref.Close()
	if res := run(t, cand, bpe); res.Verdict != cert.Identical {
		t.Fatalf("conversion of the BPE directory: %s (%s)", res.Verdict, res.Reason)
	}
	tj, _ := os.ReadFile(filepath.Join(bpe, hfmodel.TokenizerJSONName))
	for _, c := range []struct {
		name   string
		files  map[string][]byte
		reason string
	}{
		{"rope theta", map[string][]byte{hfmodel.ConfigName: editJSON(t, bpe, hfmodel.ConfigName, func(m map[string]any) { m["rope_theta"] = 500000.0 })},
			"hyper-parameters that llama.cpp reads differ, so the model computes differently: qwen2.rope.freq_base"},
		{"removed merge", map[string][]byte{hfmodel.TokenizerJSONName: bytes.Replace(tj, []byte(`"a b",`), nil, 1)},
			"tokenizer differs from the reference's (tokenizer.ggml.merges)"},
		{"chat template", map[string][]byte{hfmodel.TokenizerConfigName: editJSON(t, bpe, hfmodel.TokenizerConfigName, func(m map[string]any) { m["chat_template"] = tmpl + "!" })},
			"chat template differs"},
	} {
		res := run(t, cand, hfCopy(t, bpe, c.files))
		if res.Verdict != cert.Different || !strings.Contains(res.Reason, c.reason) {
			t.Errorf("%s: %s (%s), want DIFFERENT (%s)", c.name, res.Verdict, res.Reason, c.reason)
		}
	}
}

// checkHFReference checks the certificate's description of a Hugging Face
// reference: every file with its SHA-256, and a statement that validates.
func checkHFReference(t *testing.T, res *Result, dir string) {
	t.Helper()
	h := res.Reference.HuggingFace
	if h == nil {
		t.Fatal("no Hugging Face reference in the result")
	}
	for _, f := range h.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
			t.Errorf("%s: sha256 %s, size %d", f.Name, f.SHA256, f.Size)
		}
	}
	if len(h.Files) < 4 || h.TokenizerSHA256 == "" {
		t.Errorf("reference %+v", h)
	}
	key, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cert.Seal(res.Statement(), res.Records, "t.json", key); err != nil {
		t.Errorf("seal: %v", err)
	}
}
