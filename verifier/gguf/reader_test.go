package gguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/quant"
)

// testdataFiles lists every shared .gguf file (skipping if there are none).
func testdataFiles(t testing.TB) []string {
	t.Helper()
	testdata.Path(t, "stories260K.gguf") // skip or fail when absent
	files, err := filepath.Glob(filepath.Join(testdata.Dir(), "*.gguf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .gguf files in %s: %v", testdata.Dir(), err)
	}
	return files
}

func openT(t *testing.T, name string) *File {
	t.Helper()
	f, err := Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// TestOpenAll opens every shared file and checks invariants the validator
// promises: tensors tile the data section in order without overlap and
// TensorData has each tensor's size.
func TestOpenAll(t *testing.T) {
	for _, p := range testdataFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, _ := os.Stat(p)
			if f.Size() != st.Size() || int64(len(f.Bytes())) != st.Size() {
				t.Errorf("Size %d, Bytes %d, file %d", f.Size(), len(f.Bytes()), st.Size())
			}
			if f.Version != 3 || f.Alignment != 32 || f.DataOffset%32 != 0 {
				t.Errorf("version %d alignment %d data offset %d", f.Version, f.Alignment, f.DataOffset)
			}
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				if got := f.TensorData(ti); uint64(len(got)) != ti.Size || uint64(cap(got)) != ti.Size {
					t.Errorf("%s: TensorData len %d cap %d, want %d", ti.Name, len(got), cap(got), ti.Size)
				}
				if byName, ok := f.Tensor(ti.Name); !ok || byName != ti {
					t.Errorf("Tensor(%q) = %v, %v", ti.Name, byName, ok)
				}
				rows := ti.Elements() / ti.Dims[0]
				rs, _ := quant.RowSize(ti.Type, int64(ti.Dims[0]))
				if ti.Size != uint64(rs)*rows {
					t.Errorf("%s: size %d, want %d rows of %d", ti.Name, ti.Size, rows, rs)
				}
			}
			for i, kv := range f.KV {
				if v, ok := f.Lookup(kv.Key); !ok || v.Type != f.KV[i].Value.Type {
					t.Errorf("Lookup(%q) = %v, %v", kv.Key, v, ok)
				}
			}
			if _, ok := f.Lookup("no.such.key"); ok {
				t.Error("Lookup of a missing key succeeded")
			}
		})
	}
}

// TestStories260K checks values against facts stated independently in the
// testdata README and against the llama2.c files made from the same model.
func TestStories260K(t *testing.T) {
	f := openT(t, "stories260K.gguf")
	if arch, err := f.String("general.architecture"); err != nil || arch != "llama" {
		t.Errorf("architecture %q, %v", arch, err)
	}
	for key, want := range map[string]uint64{
		"llama.context_length": 2048, "llama.embedding_length": 64, "llama.feed_forward_length": 172,
		"llama.block_count": 5, "llama.attention.head_count": 8, "llama.attention.head_count_kv": 4,
	} {
		if got, err := f.Uint(key); err != nil || got != want {
			t.Errorf("Uint(%q) = %d, %v; want %d", key, got, err, want)
		}
		if got, err := f.Int(key); err != nil || got != int64(want) {
			t.Errorf("Int(%q) = %d, %v; want %d", key, got, err, want)
		}
	}
	if eps, err := f.Float("llama.attention.layer_norm_rms_epsilon"); err != nil || eps != float64(float32(1e-5)) {
		t.Errorf("rms eps %v, %v", eps, err)
	}
	if len(f.Tensors) != 5*9+3 {
		t.Errorf("%d tensors, want 48 (9 per layer + 3)", len(f.Tensors))
	}
	emb, ok := f.Tensor("token_embd.weight")
	if !ok || len(emb.Dims) != 2 || emb.Dims[0] != 64 || emb.Dims[1] != 512 || emb.Type != quant.F32 {
		t.Fatalf("token_embd.weight = %+v", emb)
	}

	// stories260K.bin is a llama2.c v0 checkpoint made from these weights:
	// 7 int32 header fields, then the token embedding table (vocab × dim f32).
	bin, err := os.ReadFile(testdata.Path(t, "stories260K.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if want := bin[28 : 28+64*512*4]; !bytes.Equal(f.TensorData(emb), want) {
		t.Error("token_embd.weight differs from the embedding table in stories260K.bin")
	}

	// tok512.bin holds the same vocabulary: u32 max_len, then per token
	// f32 score, u32 len, bytes, with '▁' written as ' '.
	tokens, err := f.Strings("tokenizer.ggml.tokens")
	if err != nil {
		t.Fatal(err)
	}
	scores, err := f.Float32s("tokenizer.ggml.scores")
	if err != nil {
		t.Fatal(err)
	}
	types, err := f.Int32s("tokenizer.ggml.token_type")
	if err != nil || len(types) != 512 || types[1] != 3 {
		t.Errorf("token_type: len %d, err %v", len(types), err)
	}
	tok, err := os.ReadFile(testdata.Path(t, "tok512.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 512 || len(scores) != 512 {
		t.Fatalf("%d tokens, %d scores", len(tokens), len(scores))
	}
	p := 4
	for i := 0; i < 512; i++ {
		score := math.Float32frombits(binary.LittleEndian.Uint32(tok[p:]))
		n := int(binary.LittleEndian.Uint32(tok[p+4:]))
		s := string(tok[p+8 : p+8+n])
		p += 8 + n
		if score != scores[i] {
			t.Errorf("token %d: score %v, tok512.bin %v", i, scores[i], score)
		}
		if i > 2 && strings.ReplaceAll(tokens[i], "▁", " ") != s {
			t.Errorf("token %d: %q, tok512.bin %q", i, tokens[i], s)
		}
	}
}

func TestGetterErrors(t *testing.T) {
	f := openT(t, "ggml-vocab-qwen2.gguf")
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err != nil || b {
		t.Errorf("add_bos_token = %v, %v", b, err)
	}
	if n, err := f.Uint("tokenizer.ggml.eos_token_id"); err != nil || n != 151643 {
		t.Errorf("eos = %d, %v", n, err)
	}
	tests := []struct {
		name string
		call func() error
		is   error
		msg  string
	}{
		{"missing", func() error { _, err := f.String("no.such"); return err }, ErrNotFound, `key "no.such"`},
		{"string as uint", func() error { _, err := f.Uint("general.name"); return err }, ErrFormat, `key "general.name": want an integer, have 'string'`},
		{"uint as string", func() error { _, err := f.String("qwen2.block_count"); return err }, ErrFormat, `want string, have 'uint32'`},
		{"float as int", func() error { _, err := f.Int("qwen2.rope.freq_base"); return err }, ErrFormat, `want an integer`},
		{"int as float", func() error { _, err := f.Float("qwen2.block_count"); return err }, ErrFormat, `want a float`},
		{"int as bool", func() error { _, err := f.Bool("qwen2.block_count"); return err }, ErrFormat, `want bool`},
		{"strings as int32s", func() error { _, err := f.Int32s("tokenizer.ggml.tokens"); return err }, ErrFormat, `have 'array of string'`},
		{"int32s as strings", func() error { _, err := f.Strings("tokenizer.ggml.token_type"); return err }, ErrFormat, `have 'array of int32'`},
		{"scalar as float32s", func() error { _, err := f.Float32s("qwen2.block_count"); return err }, ErrFormat, `want array of float32, have 'uint32'`},
		{"missing array", func() error { _, err := f.Strings("tokenizer.ggml.scores"); return err }, ErrNotFound, `tokenizer.ggml.scores`},
	}
	for _, tc := range tests {
		err := tc.call()
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %v containing %q", tc.name, err, tc.is, tc.msg)
		}
	}
}

func TestPageHints(t *testing.T) {
	f := openT(t, "qwen2-tiny-F32.gguf")
	ti := &f.Tensors[len(f.Tensors)/2]
	want := bytes.Clone(f.TensorData(ti))
	if err := f.WillNeed(ti); err != nil {
		t.Fatal(err)
	}
	if err := f.DontNeed(ti); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.TensorData(ti), want) {
		t.Error("tensor data changed after DontNeed")
	}

	// The page arithmetic, on a fake mapping with 4 KiB-multiple pages.
	page := uint64(os.Getpagesize())
	g := &File{mapped: true, data: make([]byte, 10*page+100), DataOffset: int64(page)}
	cases := []struct {
		off, size    uint64
		outLo, outHi uint64
		inLo, inHi   uint64
		inOK         bool
	}{
		{0, page, page, 2 * page, page, 2 * page, true},                                  // exactly one page
		{10, page, page, 3 * page, 2 * page, 2 * page, false},                            // straddles: inward empty
		{10, 3 * page, page, 5 * page, 2 * page, 4 * page, true},                         // inward drops both ends
		{8*page + 4, page + 96, 9 * page, 10*page + 100, 10 * page, 10*page + 100, true}, // file tail is its own
	}
	for i, c := range cases {
		ti := &TensorInfo{Name: "x", Offset: c.off, Size: c.size}
		_, lo, hi, ok := g.pageRange(ti, true)
		if !ok || lo != c.outLo || hi != c.outHi {
			t.Errorf("case %d outward: [%d,%d) %v, want [%d,%d)", i, lo, hi, ok, c.outLo, c.outHi)
		}
		_, lo, hi, ok = g.pageRange(ti, false)
		if ok != c.inOK || (ok && (lo != c.inLo || hi != c.inHi)) {
			t.Errorf("case %d inward: [%d,%d) %v, want [%d,%d) %v", i, lo, hi, ok, c.inLo, c.inHi, c.inOK)
		}
	}
	// A Parse'd file has no mapping: hints are no-ops.
	p, err := Parse(f.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, ok := p.pageRange(&p.Tensors[0], true); ok {
		t.Error("Parse'd file claims a mapping")
	}
	if err := p.DontNeed(&p.Tensors[0]); err != nil {
		t.Error(err)
	}
}

// TestPageHintsRange: the byte-range hints check their range against the
// tensor, and round the part of the tensor they name as the whole-tensor
// hints round the tensor.
func TestPageHintsRange(t *testing.T) {
	f := openT(t, "qwen2-tiny-F32.gguf")
	ti := &f.Tensors[len(f.Tensors)/2]
	want := bytes.Clone(f.TensorData(ti))
	half := ti.Size / 2
	for _, r := range [][2]uint64{{0, half}, {half, ti.Size - half}, {ti.Size, 0}} {
		if err := f.WillNeedRange(ti, r[0], r[1]); err != nil {
			t.Fatal(err)
		}
		if err := f.DontNeedRange(ti, r[0], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(f.TensorData(ti), want) {
		t.Error("tensor data changed after DontNeedRange")
	}
	for _, r := range [][2]uint64{{ti.Size + 1, 0}, {0, ti.Size + 1}, {1, ti.Size}, {half, math.MaxUint64}} {
		if err := f.DontNeedRange(ti, r[0], r[1]); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("range [%d, +%d) of a %d-byte tensor: error %v", r[0], r[1], ti.Size, err)
		}
		if err := f.WillNeedRange(ti, r[0], r[1]); err == nil {
			t.Errorf("WillNeedRange [%d, +%d) of a %d-byte tensor: no error", r[0], r[1], ti.Size)
		}
	}

	// The page arithmetic: a 5-page tensor 10 bytes past a page boundary.
	page := uint64(os.Getpagesize())
	g := &File{mapped: true, data: make([]byte, 10*page+100), DataOffset: int64(page)}
	tensor := &TensorInfo{Name: "x", Offset: 10, Size: 5 * page}
	cases := []struct {
		off, n       uint64
		outLo, outHi uint64
		inLo, inHi   uint64
		inOK         bool
	}{
		{0, page, page, 3 * page, 2 * page, 2 * page, false},                // inside one page pair: inward empty
		{page - 10, 2 * page, 2 * page, 4 * page, 2 * page, 4 * page, true}, // page-aligned part
		{3 * page, 2 * page, 4 * page, 7 * page, 5 * page, 6 * page, true},  // tail: inward drops both ends
	}
	for i, c := range cases {
		_, lo, hi, _, inside := g.pages(tensor, c.off, c.n, true)
		if !inside || lo != c.outLo || hi != c.outHi {
			t.Errorf("case %d outward: [%d,%d) inside %v, want [%d,%d)", i, lo, hi, inside, c.outLo, c.outHi)
		}
		_, lo, hi, ok, _ := g.pages(tensor, c.off, c.n, false)
		if ok != c.inOK || (ok && (lo != c.inLo || hi != c.inHi)) {
			t.Errorf("case %d inward: [%d,%d) %v, want [%d,%d) %v", i, lo, hi, ok, c.inLo, c.inHi, c.inOK)
		}
	}
	if _, _, _, ok, inside := g.pages(tensor, 5*page, 0, true); ok || !inside {
		t.Error("an empty range at the tensor's end names pages")
	}
	if _, _, _, ok, inside := g.pages(tensor, 5*page, 1, false); ok || inside {
		t.Error("a range past the tensor's end is accepted")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.gguf")
	os.WriteFile(empty, nil, 0o644)
	if _, err := Open(empty); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.gguf")
	os.WriteFile(bad, []byte("GGUF\x01\x00\x00\x00"), 0o644)
	_, err := Open(bad)
	if !errors.Is(err, ErrUnsupported) || err.Error() != "gguf "+bad+": GGUF version 1 (u32 counts) is not supported '1' at byte 0x4" {
		t.Errorf("v1 file: %v", err)
	}
}

// BenchmarkParse measures parsing the largest vocabulary (128k tokens,
// 280k merges), which dominates Open's cost for real models.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(testdata.Path(b, "ggml-vocab-llama-bpe.gguf"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
