package weights

import (
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/synth"
)

func tensorBytes(f *gguf.File) uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Size
	}
	return n
}

// worstOf returns the largest WorstRatio of rep's tensors.
func worstOf(rep *Report) float64 {
	w := 0.0
	for _, r := range rep.Tensors {
		w = max(w, r.WorstRatio)
	}
	return w
}

// The qwen2-tiny files were made from the F32 one by llama-quantize --pure:
// each is PoT's own requantization of it, block for block. Against each
// other, and against F32 the other way round, they are other
// quantizations of the same weights: never a change. The worst element
// (as a fraction of the bound) is logged: it is the margin the bound
// leaves on llama.cpp's quantizers.
func TestTestdataPairs(t *testing.T) {
	types := []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"}
	files := map[string]*gguf.File{}
	for _, x := range types {
		files[x] = shared(t, "qwen2-tiny-"+x+".gguf")
	}
	worst := 0.0
	for _, x := range types {
		for _, y := range types[1:] {
			rep := mustCompare(t, files[x], files[y], Options{})
			switch {
			case x == y:
				wantVerdict(t, rep, Identical, "")
			case x == "F32":
				wantVerdict(t, rep, Faithful, "")
				for _, r := range rep.Tensors {
					if r.DiffBlocks != 0 || (r.Class != ExactRequant && r.TypeB != "F32") {
						t.Errorf("%s vs %s: %s: %s, %d blocks differ (%s)", x, y, r.Name, r.Class, r.DiffBlocks, r.Detail)
					}
				}
			default:
				wantVerdict(t, rep, OtherQuantization, "")
				worst = max(worst, worstOf(rep))
			}
		}
	}
	t.Logf("worst element of two quantizations of the same weights: %.3f of the bound", worst)
}

func TestIdentical(t *testing.T) {
	for _, name := range []string{"qwen2-tiny-F32.gguf", "qwen2-tiny-Q4_K.gguf", "stories260K.gguf"} {
		t.Run(name, func(t *testing.T) {
			a, b := shared(t, name), shared(t, name) // two mappings
			rep := mustCompare(t, a, b, Options{})
			wantVerdict(t, rep, Identical, "")
			if rep.Counts[Exact] != len(a.Tensors) || len(rep.Tensors) != len(a.Tensors) {
				t.Errorf("counts %v for %d tensors", rep.Counts, len(a.Tensors))
			}
			if rep.Bytes != 2*int64(tensorBytes(a)) {
				t.Errorf("read %d bytes, want %d", rep.Bytes, 2*tensorBytes(a))
			}
		})
	}
}

// model is a reference F32 model for the route and attack tests.
type model struct {
	name string
	f32  *gguf.File
	dir  string
	// types: the candidate file types tried on it (stories260K's rows of
	// 64 rule out the K-quants, which fall back to Q5_0/Q8_0).
	types []synth.FileType
}

func models(t *testing.T) []model {
	dir := t.TempDir()
	return []model{
		{"stories260K", shared(t, "stories260K.gguf"), dir, []synth.FileType{"Q8_0", "Q4_0"}},
		{"llama-tiny", synthFile(t, dir, "llama-tiny", "F32", 3), dir, []synth.FileType{"Q8_0", "Q4_0", "Q4_K_M"}},
	}
}

// variant writes m's F32 model as mix ft, quantized by q (nil: PoT) after
// fn edits the values, and opens it.
func (m *model) variant(t *testing.T, tag string, ft synth.FileType, q func(quant.Type, []float32, []byte) error, fn func(ti *gguf.TensorInfo) func([]float32)) *gguf.File {
	t.Helper()
	return rewrite(t, m.f32, filepath.Join(m.dir, m.name+"-"+string(ft)+"-"+tag+".gguf"), mixEdit(m.f32, ft, q, fn))
}

// Legitimate quantizations by other routes than PoT's are never Changed,
// neither against the F32 source nor against PoT's own quantization of
// the same type; PoT's own requantization is Faithful.
func TestOtherRoutes(t *testing.T) {
	for _, m := range models(t) {
		for _, ft := range m.types {
			own := m.variant(t, "own", ft, nil, nil)
			rep := mustCompare(t, m.f32, own, Options{})
			wantVerdict(t, rep, Faithful, "")
			routes := []struct {
				name string
				q    func(quant.Type, []float32, []byte) error
			}{
				{"via BF16", viaBF16Route},
				{"round to nearest", rtn},
				{"imatrix-style", imatrix(7)}, // Q4_K only
				{"via Q8_0", viaQ8},           // not for Q8_0
			}
			for _, r := range routes {
				if (r.name == "imatrix-style" && ft != "Q4_K_M") || (r.name == "via Q8_0" && ft == "Q8_0") {
					continue
				}
				b := m.variant(t, r.name, ft, r.q, nil)
				for _, ref := range []*gguf.File{m.f32, own} {
					rep := mustCompare(t, ref, b, Options{})
					if rep.Verdict == Different || rep.Verdict == Structural || rep.Verdict == Inconclusive {
						t.Errorf("%s %s %s vs %s: %s: %s", m.name, ft, r.name, filepath.Base(ref.Path), rep.Verdict, rep.Reason)
					}
					if (r.name == "via BF16" || r.name == "imatrix-style") && rep.Verdict != OtherQuantization {
						t.Errorf("%s %s %s vs %s: %s, want other_quantization: the route changes no block?", m.name, ft, r.name, filepath.Base(ref.Path), rep.Verdict)
					}
					t.Logf("%s %s %s vs %s: %s, worst %.3f of the bound", m.name, ft, r.name, filepath.Base(ref.Path), rep.Verdict, worstOf(rep))
				}
			}
		}
	}
}

func TestStructural(t *testing.T) {
	dir := t.TempDir()
	a := shared(t, "qwen2-tiny-Q8_0.gguf")
	drop := func(name string) []gguf.WriterTensor {
		var ws []gguf.WriterTensor
		for _, w := range a.WriterTensors() {
			if w.Name != name {
				ws = append(ws, w)
			}
		}
		return ws
	}
	reshaped := a.WriterTensors()
	for i := range reshaped {
		if reshaped[i].Name == "blk.1.ffn_up.weight" { // [256 512] → [512 256], same bytes
			reshaped[i].Dims = []uint64{reshaped[i].Dims[1], reshaped[i].Dims[0]}
		}
	}
	cases := []struct {
		name   string
		ws     []gguf.WriterTensor
		tensor string
		class  Class
	}{
		{"missing", drop("blk.1.attn_k.weight"), "blk.1.attn_k.weight", Missing},
		{"shape", reshaped, "blk.1.ffn_up.weight", ShapeMismatch},
	}
	for i, c := range cases {
		b := writeTensors(t, a.KV, c.ws, filepath.Join(dir, string(rune('a'+i))+".gguf"))
		for _, stop := range []bool{false, true} {
			rep := mustCompare(t, a, b, Options{StopAtFirstDifference: stop})
			wantVerdict(t, rep, Structural, c.tensor)
			if r := result(t, rep, c.tensor); r.Class != c.class {
				t.Errorf("%s: %s, want %s", c.tensor, r.Class, c.class)
			}
			if stop && (!rep.Stopped || rep.Counts[NotCompared] != len(a.Tensors)-1 || rep.Bytes != 0) {
				t.Errorf("%s stop: stopped %v, counts %v, %d bytes read", c.name, rep.Stopped, rep.Counts, rep.Bytes)
			}
			if !stop && rep.Counts[Exact] != len(a.Tensors)-1 {
				t.Errorf("%s: counts %v", c.name, rep.Counts)
			}
		}
	}
	// Swapping the roles turns the missing tensor into an extra one.
	b := writeTensors(t, a.KV, drop("output_norm.weight"), filepath.Join(dir, "x.gguf"))
	rep := mustCompare(t, b, a, Options{})
	wantVerdict(t, rep, Structural, "output_norm.weight")
	if r := result(t, rep, "output_norm.weight"); r.Class != Extra {
		t.Errorf("output_norm.weight: %s, want Extra", r.Class)
	}
}
