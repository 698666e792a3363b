package hfmodel

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/safetensors"
)

// TestSharded splits stories260K's weights into two shards with an index
// and checks the directory reads exactly as the single-file one, with the
// index and both shards among its sources.
func TestSharded(t *testing.T) {
	src, err := safetensors.Open(filepath.Join(testdata.Path(t, "hf/stories260K"), safetensors.SingleName))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dir := dirWith(t, "hf/stories260K", map[string]string{safetensors.SingleName: "-"})
	var index strings.Builder
	index.WriteString(`{"metadata": {"total_size": 1}, "weight_map": {`)
	half := len(src.Tensors) / 2
	for s, ts := range [][]safetensors.Tensor{src.Tensors[:half], src.Tensors[half:]} {
		name := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[s]
		var ws []safetensors.WriterTensor
		for i := range ts {
			ws = append(ws, safetensors.WriterTensor{Name: ts[i].Name, DType: ts[i].DType, Shape: ts[i].Shape, Data: src.TensorData(&ts[i])})
			if s+i > 0 {
				index.WriteString(", ")
			}
			index.WriteString(`"` + ts[i].Name + `": "` + name + `"`)
		}
		var b bytes.Buffer
		if err := safetensors.Write(&b, nil, ws); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index.WriteString("}}")
	if err := os.WriteFile(filepath.Join(dir, safetensors.IndexName), []byte(index.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sharded, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sharded.Close()
	single, err := Open(testdata.Path(t, "hf/stories260K"))
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	for i := range single.Tensors {
		a, b := &single.Tensors[i], &sharded.Tensors[i]
		if a.Name != b.Name || !bytes.Equal(single.TensorData(a), sharded.TensorData(b)) {
			t.Fatalf("tensor %d: %s vs %s", i, a.Name, b.Name)
		}
	}
	if n := len(sharded.Sources); n != len(single.Sources)+2 {
		t.Errorf("sources %v", sharded.Sources)
	}
}

// TestLlama3Rope gives stories260K Llama 3's rope scaling and checks the
// rope_freqs tensor against the formula in float64 (the converter computes
// it in float32: the tolerance is float32 rounding), that it comes first as
// in the converter's output, and that the model runs with it.
func TestLlama3Rope(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testdata.Path(t, "hf/stories260K"), ConfigName))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `"rope_theta": 10000.0`, `"rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0,
 "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}`, 1)
	f, err := Open(dirWith(t, "hf/stories260K", map[string]string{ConfigName: cfg}))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rf := &f.Tensors[0]
	if rf.Name != "rope_freqs.weight" || rf.Dims[0] != 4 {
		t.Fatalf("first tensor %s %v", rf.Name, rf.Dims)
	}
	data := f.TensorData(rf)
	for i := range 4 {
		freq := math.Pow(500000, -float64(2*i)/8)
		wave := 2 * math.Pi / freq
		want := 1.0
		switch {
		case wave > 8192:
			want = 8
		case wave >= 2048:
			smooth := (8192/wave - 1) / 3
			want = 1 / ((1-smooth)/8 + smooth)
		}
		x := float64(math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:])))
		if math.Abs(x-want) > 1e-6*want {
			t.Errorf("factor %d: %g, want %g", i, x, want)
		}
	}
	s, err := engine.Load(f, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Logits([]int32{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
}
