package requant

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

func open(t *testing.T, path string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFileMatchesLlamaQuantize requantizes qwen2-tiny-F32 to the per-tensor
// types of llama-quantize's qwen2-tiny-<T> files with 1 and 3 threads:
// every tensor's bytes equal llama-quantize's, so the output depends neither
// on the thread count nor on the chunking.
func TestFileMatchesLlamaQuantize(t *testing.T) {
	src := testdata.Path(t, "qwen2-tiny-F32.gguf")
	for _, name := range []string{"Q4_K", "Q6_K", "Q8_0", "Q4_0", "F16", "BF16"} {
		want := open(t, testdata.Path(t, "qwen2-tiny-"+name+".gguf"))
		types := make(map[string]quant.Type)
		for _, ti := range want.Tensors {
			types[ti.Name] = ti.Type
		}
		for _, threads := range []int{1, 3} {
			dst := filepath.Join(t.TempDir(), "out.gguf")
			if err := File(src, dst, types, Options{Threads: threads, FileType: "Q8_0"}); err != nil {
				t.Fatal(err)
			}
			got := open(t, dst)
			if ft, _ := got.Uint("general.file_type"); ft != uint64(FileTypeID("Q8_0")) {
				t.Errorf("%s: general.file_type = %d", name, ft)
			}
			byName := make(map[string]*gguf.TensorInfo)
			for i := range got.Tensors {
				byName[got.Tensors[i].Name] = &got.Tensors[i]
			}
			for i := range want.Tensors {
				w, g := &want.Tensors[i], byName[want.Tensors[i].Name]
				if g == nil || w.Type != g.Type {
					t.Fatalf("%s: tensor %s missing or of another type", name, w.Name)
				}
				if !bytes.Equal(want.TensorData(w), got.TensorData(g)) {
					t.Errorf("%s, %d threads: tensor %s differs from llama-quantize's", name, threads, w.Name)
				}
			}
		}
	}
}

// TestTensorEditInOrder: a stateful edit sees the rows in order whatever
// the thread count (Noise relies on it).
func TestTensorEditInOrder(t *testing.T) {
	f := open(t, testdata.Path(t, "qwen2-tiny-F32.gguf"))
	ti := &f.Tensors[0]
	for i := range f.Tensors {
		if len(f.Tensors[i].Dims) == 2 && f.Tensors[i].Dims[1] > 3*ChunkRows {
			ti = &f.Tensors[i]
		}
	}
	run := func(threads int) []byte {
		var buf bytes.Buffer
		k := float32(0)
		err := Tensor(&buf, f, ti, quant.Q8_0, threads, func(row []float32) {
			k++
			for j := range row {
				row[j] += k
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := run(1), run(4)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("%s: output depends on threads (%d, %d bytes)", ti.Name, len(a), len(b))
	}
}

// TestRowsError: a source error stops the write and is returned.
func TestRowsError(t *testing.T) {
	var buf bytes.Buffer
	errBoom := errorString("boom")
	for _, ordered := range []bool{false, true} {
		err := Rows(&buf, quant.Q8_0, 1000, 32, 16, 2, ordered, func(c, _ int64, x []float32) error {
			if c == 5 {
				return errBoom
			}
			return nil
		})
		if err != errBoom {
			t.Fatalf("ordered=%v: err = %v", ordered, err)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
