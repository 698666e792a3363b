package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

func compute(t *testing.T, name string, opt Options) *Identity {
	t.Helper()
	f, err := gguf.Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := Compute(f, opt)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestFileDigests compares with the sha256 column of the testdata README
// (computed there with sha256sum), with the concurrent hashing cut into
// many odd-sized chunks so tensors straddle chunk boundaries.
func TestFileDigests(t *testing.T) {
	readme := map[string]string{
		"stories260K.gguf":           "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d",
		"stories260K-converted.gguf": "047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b",
		"ggml-vocab-llama-spm.gguf":  "16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69",
		"qwen2-tiny-Q4_K.gguf":       "efa333d1f7f9186a2424504368c7a2128de90c4de4f00c4bfebbbe1529834164",
		"qwen2-tiny-Q6_K.gguf":       "0db98385644f5d3f16c58a36fc67ce238b28b57ca46aa6ecfaf315369ae69d9f",
	}
	for _, chunk := range []int64{16 << 20, 40961} {
		chunkSize = chunk
		for name, want := range readme {
			f, err := gguf.Open(testdata.Path(t, name))
			if err != nil {
				t.Fatal(err)
			}
			var calls, last int64
			id, err := Compute(f, Options{PerTensor: true, Progress: func(done, total int64) {
				if done <= last || total != f.Size() {
					t.Errorf("progress %d/%d after %d", done, total, last)
				}
				calls++
				last = done
			}})
			if err != nil {
				t.Fatal(err)
			}
			if id.FileSHA256 != want || last != f.Size() || calls != (f.Size()+chunk-1)/chunk {
				t.Errorf("%s chunk %d: sha256 %s (want %s), progress %d in %d calls", name, chunk, id.FileSHA256, want, last, calls)
			}
			if got := hexSum(f.Bytes()[min(f.DataOffset, f.Size()):]); id.DataSHA256 != got {
				t.Errorf("%s: data digest %s, want %s", name, id.DataSHA256, got)
			}
			for i := range f.Tensors {
				if got := hexSum(f.TensorData(&f.Tensors[i])); id.Tensors[i].SHA256 != got {
					t.Errorf("%s: tensor %s digest %s, want %s", name, f.Tensors[i].Name, id.Tensors[i].SHA256, got)
				}
			}
			f.Close()
		}
	}
	chunkSize = 16 << 20
}

// TestStoriesConverted: the two stories260K files differ only in
// llama.context_length (README), so everything but that key and the file
// digest must match.
func TestStoriesConverted(t *testing.T) {
	a := compute(t, "stories260K.gguf", Options{PerTensor: true})
	b := compute(t, "stories260K-converted.gguf", Options{PerTensor: true})
	if a.MetadataSHA256 == b.MetadataSHA256 || a.FileSHA256 == b.FileSHA256 {
		t.Error("metadata or file digests equal")
	}
	if a.TokenizerSHA256 != b.TokenizerSHA256 || a.DataSHA256 != b.DataSHA256 || a.CosmeticSHA256 != b.CosmeticSHA256 {
		t.Error("tokenizer, data or cosmetic digests differ")
	}
	if a.ChatTemplateSHA256 != "" || a.Architecture != "llama" || a.TensorCount != 48 {
		t.Errorf("template %q, arch %q, %d tensors", a.ChatTemplateSHA256, a.Architecture, a.TensorCount)
	}
	if !slices.EqualFunc(a.Tensors, b.Tensors, func(x, y Tensor) bool { return x.SHA256 == y.SHA256 && x.SHA256 != "" }) {
		t.Error("per-tensor digests differ")
	}
	ds := Diff(a, b)
	if len(ds) != 2 || ds[0].Kind != KindFile || ds[1].Kind != KindMetadata || ds[1].Name != "llama.context_length" {
		t.Errorf("Diff = %v", ds)
	}
	if Diff(a, a) != nil {
		t.Errorf("Diff(a, a) = %v", Diff(a, a))
	}
	// The quant histogram and counts: all F32, 64·512 embedding plus
	// per layer 2 norms (64) and 7 matrices; output.weight is stored.
	perLayer := uint64(2*64 + 64*64 + 2*64*32 + 64*64 + 3*64*172)
	params := 5*perLayer + 64 + 2*64*512
	if q := a.Quant["F32"]; len(a.Quant) != 1 || q.Tensors != 48 || q.Bytes != 4*params || a.Params != params || a.TensorBytes != 4*params {
		t.Errorf("quant %v, params %d (want %d), bytes %d", a.Quant, a.Params, params, a.TensorBytes)
	}
}

// TestQwenQuantized: the qwen2-tiny files differ in tensor types (every 2-D
// tensor quantized, norms and biases F32) and type-describing metadata.
func TestQwenQuantized(t *testing.T) {
	f32 := compute(t, "qwen2-tiny-F32.gguf", Options{})
	q4 := compute(t, "qwen2-tiny-Q4_K.gguf", Options{})
	const params = 1_313_024 // E 256, kvE 128, F 512, V 512, 2 layers, tied
	if f32.Params != params || q4.Params != params {
		t.Errorf("params %d, %d; want %d", f32.Params, q4.Params, params)
	}
	if got := q4.Quant; len(got) != 2 || got["Q4_K"].Tensors != 15 || got["F32"].Tensors != 11 {
		t.Errorf("Q4_K histogram %v", got)
	}
	// F32: per layer 2 norms (256) and 3 biases (256+128+128), plus
	// output_norm; everything else is Q4_K.
	const f32Elems = 2*(2*256+512) + 256
	wantQ4K, _ := quant.RowSize(quant.Q4_K, params-f32Elems)
	if q4.Quant["Q4_K"].Bytes != uint64(wantQ4K) || q4.Quant["F32"].Bytes != 4*f32Elems || q4.TensorBytes != uint64(wantQ4K)+4*f32Elems {
		t.Errorf("histogram bytes %v, total %d", q4.Quant, q4.TensorBytes)
	}
	if f32.TokenizerSHA256 != q4.TokenizerSHA256 || f32.Architecture != "qwen2" {
		t.Error("tokenizer digests differ")
	}
	kinds := map[Kind]int{}
	for _, d := range Diff(f32, q4) {
		kinds[d.Kind]++
	}
	// Without per-tensor digests the data section is compared whole.
	if kinds[KindType] != 15 || kinds[KindTensorData] != 1 || kinds[KindMetadata] == 0 || kinds[KindTokenizer] != 0 || kinds[KindShape] != 0 {
		t.Errorf("Diff kinds %v", kinds)
	}
	stories := compute(t, "stories260K.gguf", Options{})
	kinds = map[Kind]int{}
	for _, d := range Diff(stories, f32) {
		kinds[d.Kind]++
	}
	// qwen2-tiny's vocabulary is stories260K's; the files spell out
	// different defaults (see effective), which llama.cpp reads alike.
	if kinds[KindArchitecture] != 1 || kinds[KindTokenizer] != 0 || kinds[KindTensorSet] == 0 || kinds[KindCosmetic] != 1 {
		t.Errorf("stories vs qwen2 kinds %v", kinds)
	}
	if _, err := json.Marshal(q4); err != nil {
		t.Error(err)
	}
}
