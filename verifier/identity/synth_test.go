package identity

import (
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// model writes a small GGUF with the given extra metadata and tensors
// filled with fill, and returns its identity.
func model(t *testing.T, extra []gguf.KV, names []string, fill byte) *Identity {
	t.Helper()
	kv := append([]gguf.KV{
		{Key: "general.architecture", Value: gguf.Value{Type: gguf.TypeString, V: "llama"}},
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.TypeString, V: "llama"}},
	}, extra...)
	var ts []gguf.WriterTensor
	for _, n := range names {
		ts = append(ts, gguf.WriterTensor{Name: n, Dims: []uint64{8}, Type: quant.F32, Data: func(w io.Writer) error {
			_, err := w.Write(bytes.Repeat([]byte{fill + byte(len(n))}, 32))
			return err
		}})
	}
	p := filepath.Join(t.TempDir(), "m.gguf")
	if err := gguf.WriteFile(p, 0o644, kv, ts, 0); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := Compute(f, Options{PerTensor: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func str(key, v string) gguf.KV {
	return gguf.KV{Key: key, Value: gguf.Value{Type: gguf.TypeString, V: v}}
}

func TestChatTemplate(t *testing.T) {
	absent := model(t, nil, []string{"a"}, 0)
	empty := model(t, []gguf.KV{str(ChatTemplateKey, "")}, []string{"a"}, 0)
	tmpl := model(t, []gguf.KV{str(ChatTemplateKey, "{{ messages }}")}, []string{"a"}, 0)
	if absent.ChatTemplateSHA256 != "" || empty.ChatTemplateSHA256 != hexSum(nil) || tmpl.ChatTemplateSHA256 != hexSum([]byte("{{ messages }}")) {
		t.Errorf("template digests %q %q %q", absent.ChatTemplateSHA256, empty.ChatTemplateSHA256, tmpl.ChatTemplateSHA256)
	}
	if absent.TokenizerSHA256 != tmpl.TokenizerSHA256 {
		t.Error("the chat template changed the tokenizer digest")
	}
	ds := Diff(absent, empty)
	if len(ds) != 2 || ds[1].Kind != KindChatTemplate || ds[1].A != Absent || ds[1].B == Absent {
		t.Errorf("Diff(absent, empty) = %v", ds)
	}
}

func TestCosmetic(t *testing.T) {
	a := model(t, []gguf.KV{str("general.name", "a"), str("general.source.url", "x")}, []string{"w"}, 0)
	b := model(t, []gguf.KV{str("general.name", "b")}, []string{"w"}, 0)
	if a.MetadataSHA256 != b.MetadataSHA256 || a.CosmeticSHA256 == b.CosmeticSHA256 {
		t.Error("cosmetic keys changed the metadata digest, or not the cosmetic one")
	}
	ds := Diff(a, b)
	if len(ds) != 3 || ds[1].Kind != KindCosmetic || ds[1].Name != "general.name" || ds[2].Name != "general.source.url" || ds[2].B != Absent {
		t.Errorf("Diff = %v", ds)
	}
	for key, want := range map[string]bool{
		"general.name": true, "general.license.link": true, "general.base_model.0.name": true,
		"general.architecture": false, "general.file_type": false, "general.alignment": false, "general.names": false,
	} {
		if Cosmetic(key) != want {
			t.Errorf("Cosmetic(%q) = %v", key, !want)
		}
	}
}

func TestTensorDiffs(t *testing.T) {
	base := model(t, nil, []string{"a", "bb"}, 0)
	data := model(t, nil, []string{"a", "bb"}, 1)
	set := model(t, nil, []string{"a", "c"}, 0)
	order := model(t, nil, []string{"bb", "a"}, 0)
	check := func(name string, ds []Difference, want ...Kind) {
		t.Helper()
		var got []Kind
		for _, d := range ds {
			got = append(got, d.Kind)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %v", name, ds)
			return
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %v", name, ds)
			}
		}
	}
	check("data", Diff(base, data), KindFile, KindTensorData, KindTensorData)
	check("set", Diff(base, set), KindFile, KindTensorSet, KindTensorSet)
	check("order", Diff(base, order), KindFile, KindOrder)
	// Without per-tensor digests, only the data section can differ.
	noPer := *data
	noPer.Tensors = append([]Tensor(nil), data.Tensors...)
	for i := range noPer.Tensors {
		noPer.Tensors[i].SHA256 = ""
	}
	check("data, no per-tensor", Diff(base, &noPer), KindFile, KindTensorData)
	other := *base
	other.Scheme = "pot-identity/0"
	check("scheme", Diff(base, &other), KindScheme)

	// Identities without per-key digests still report metadata changes.
	tmpl := model(t, []gguf.KV{str(ChatTemplateKey, "x"), str("general.name", "n")}, []string{"a", "bb"}, 0)
	noKeys, tmplNoKeys := *base, *tmpl
	noKeys.Keys, tmplNoKeys.Keys = nil, nil
	check("no keys", Diff(&noKeys, &tmplNoKeys), KindFile, KindChatTemplate, KindCosmetic)
}

// TestCanonicalEncoding recomputes the tokenizer digest from the documented
// encoding, written out by hand: the keys as llama.cpp reads them, with the
// SentencePiece defaults filled in (add_bos, add_eos, add_space_prefix,
// pre, UNK 0) and the default EOS 2 left out (not a token of 2).
func TestCanonicalEncoding(t *testing.T) {
	id := model(t, []gguf.KV{
		{Key: "tokenizer.ggml.bos_token_id", Value: gguf.Value{Type: gguf.TypeUint32, V: uint32(1)}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: gguf.TypeString, Elems: []string{"a", "bc"}}}},
	}, nil, 0)
	var b []byte
	u32 := func(x uint32) { b = binary.LittleEndian.AppendUint32(b, x) }
	u64 := func(x uint64) { b = binary.LittleEndian.AppendUint64(b, x) }
	s := func(x string) { u64(uint64(len(x))); b = append(b, x...) }
	boolean := func(key string, v byte) { s(key); u32(7); b = append(b, v) }
	b = append(b, "pot-identity/2 tokenizer\x00"...)
	u64(8)
	boolean("tokenizer.ggml.add_bos_token", 1)
	boolean("tokenizer.ggml.add_eos_token", 0)
	boolean("tokenizer.ggml.add_space_prefix", 1)
	s("tokenizer.ggml.bos_token_id")
	u32(4)
	u32(1)
	s("tokenizer.ggml.model")
	u32(8)
	s("llama")
	s("tokenizer.ggml.pre")
	u32(8)
	s("default")
	s("tokenizer.ggml.tokens")
	u32(9)
	u32(8)
	u64(2)
	s("a")
	s("bc")
	s("tokenizer.ggml.unknown_token_id")
	u32(4)
	u32(0)
	if want := hexSum(b); id.TokenizerSHA256 != want {
		t.Errorf("tokenizer digest %s, want %s", id.TokenizerSHA256, want)
	}
}
