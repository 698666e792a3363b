package hfmodel

import (
	"bytes"
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/safetensors"
)

// TestF16Checkpoint writes qwen2-tiny as an F16 checkpoint (matrices in
// F16, rounded to nearest even; norms and biases in F16 too) and checks
// that its matrices are byte for byte those of llama-quantize's F16 file
// made from the same F32 weights, and that its 1-D tensors are widened to
// F32 exactly.
func TestF16Checkpoint(t *testing.T) {
	src, err := safetensors.Open(filepath.Join(testdata.Path(t, "hf/qwen2-tiny"), safetensors.SingleName))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var ws []safetensors.WriterTensor
	halves := map[string][]byte{} // by GGUF name
	for i := range src.Tensors {
		st := &src.Tensors[i]
		in := src.TensorData(st)
		out := make([]byte, len(in)/2)
		for j := range len(in) / 4 {
			h := quant.F32ToF16(math.Float32frombits(binary.LittleEndian.Uint32(in[4*j:])))
			binary.LittleEndian.PutUint16(out[2*j:], h)
		}
		ws = append(ws, safetensors.WriterTensor{Name: st.Name, DType: safetensors.F16, Shape: st.Shape, Data: out})
		name, _ := ggufName(st.Name)
		halves[name] = out
	}
	var b bytes.Buffer
	if err := safetensors.Write(&b, nil, ws); err != nil {
		t.Fatal(err)
	}
	dir := dirWith(t, "hf/qwen2-tiny", map[string]string{safetensors.SingleName: b.String()})
	h, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	q, err := gguf.Open(testdata.Path(t, "qwen2-tiny-F16.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if ft, _ := h.Uint("general.file_type"); ft != 1 {
		t.Errorf("general.file_type %d, want 1 (MOSTLY_F16)", ft)
	}
	for i := range h.Tensors {
		ht := &h.Tensors[i]
		qt, ok := q.Tensor(ht.Name)
		if !ok {
			t.Fatalf("tensor %s not in the F16 file", ht.Name)
		}
		got := h.TensorData(ht)
		if len(ht.Dims) == 2 {
			if ht.Type != quant.F16 || !bytes.Equal(got, q.TensorData(qt)) {
				t.Errorf("%s: %s, bytes equal %v", ht.Name, ht.Type, bytes.Equal(got, q.TensorData(qt)))
			}
			continue
		}
		for j := range len(got) / 4 {
			want := quant.F16ToF32(binary.LittleEndian.Uint16(halves[ht.Name][2*j:]))
			if x := math.Float32frombits(binary.LittleEndian.Uint32(got[4*j:])); x != want || ht.Type != quant.F32 {
				t.Fatalf("%s[%d]: %s %g, want F32 %g", ht.Name, j, ht.Type, x, want)
			}
		}
	}
}
