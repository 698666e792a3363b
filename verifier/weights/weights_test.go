package weights

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// The qwen2-tiny files were made from the F32 one by llama-quantize --pure:
// each must be proven a faithful quantization of it, byte for byte.
func TestTestdataPairs(t *testing.T) {
	a := shared(t, "qwen2-tiny-F32.gguf")
	for _, typ := range []string{"F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"} {
		t.Run(typ, func(t *testing.T) {
			b := shared(t, "qwen2-tiny-"+typ+".gguf")
			rep := mustCompare(t, a, b, Options{})
			wantVerdict(t, rep, Faithful, "")
			var blocks, diff int64
			var rel, exp float64
			for _, r := range rep.Tensors {
				wantClass := ExactRequant
				if r.TypeB == "F32" {
					wantClass = Exact
				}
				if r.Class != wantClass {
					t.Errorf("%s: %s (%s), want %s", r.Name, r.Class, r.Detail, wantClass)
				}
				if r.Class == ExactRequant {
					blocks += r.Blocks
					diff += r.DiffBlocks
					rel, exp = max(rel, r.RelErr), max(exp, r.ExpectedErr)
					if r.RelErr != r.ExpectedErr || r.RelErr == 0 {
						t.Errorf("%s: rel %g, expected %g: want equal and positive for an exact requantization", r.Name, r.RelErr, r.ExpectedErr)
					}
				}
			}
			if float64(diff) > MaxRoundingBlockFraction*float64(blocks) {
				t.Errorf("%d of %d blocks differ", diff, blocks)
			}
			t.Logf("%s: %d of %d blocks differ from PoT's requantization; max rel err %.3g; %s", typ, diff, blocks, rel, rep.Reason)
		})
	}
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

func tensorBytes(f *gguf.File) uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Size
	}
	return n
}

// Noise of 1% on one tensor of the same type is a change; the same noise
// under a 4-bit quantization is within what quantization costs and cannot
// be told from the weights, while 50% noise can.
func TestNoise(t *testing.T) {
	const name = "blk.0.attn_q.weight"
	dir := t.TempDir()
	f32 := shared(t, "qwen2-tiny-F32.gguf")
	q8 := shared(t, "qwen2-tiny-Q8_0.gguf")
	cases := []struct {
		name     string
		a, src   *gguf.File
		e        edit
		verdict  Verdict
		class    Class
		minRatio float64
	}{
		{"F32 1%", f32, f32, edit{fn: noise(0.01, 1)}, Different, Changed, 0},
		{"Q8_0 1%", q8, q8, edit{typ: quant.Q8_0, fn: noise(0.01, 2)}, Different, Changed, 0},
		{"F32 vs Q8_0 1%", f32, q8, edit{typ: quant.Q8_0, fn: noise(0.01, 3)}, Inconclusive, Unexplained, RatioConsistent},
		{"F32 vs Q8_0 5%", f32, q8, edit{typ: quant.Q8_0, fn: noise(0.05, 3)}, Different, Changed, RatioChanged},
		{"F32 vs Q4_K 1%", f32, shared(t, "qwen2-tiny-Q4_K.gguf"), edit{typ: quant.Q4_K, fn: noise(0.01, 4)}, Inconclusive, ConsistentWithQuantization, 1},
		{"F32 vs Q4_K 50%", f32, shared(t, "qwen2-tiny-Q4_K.gguf"), edit{typ: quant.Q4_K, fn: noise(0.5, 5)}, Different, Changed, RatioChanged},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := rewrite(t, c.src, filepath.Join(dir, string(rune('a'+i))+".gguf"), only(name, c.e))
			rep := mustCompare(t, c.a, b, Options{})
			wantVerdict(t, rep, c.verdict, name)
			r := result(t, rep, name)
			if r.Class != c.class || r.Ratio < c.minRatio {
				t.Errorf("%s: %s ratio %.3g, want %s ratio ≥ %g (%s)", name, r.Class, r.Ratio, c.class, c.minRatio, r.Detail)
			}
			for _, o := range rep.Tensors {
				if o.Name != name && o.Class != Exact && o.Class != ExactRequant {
					t.Errorf("%s: %s, want untouched", o.Name, o.Class)
				}
			}
			t.Logf("%s: rel %.4g expected %.4g ratio %.3g: %s", r.Name, r.RelErr, r.ExpectedErr, r.Ratio, rep.Reason)
		})
	}
}

// A synthetic F32 model against its Q4_K_M requantization (llama.cpp's mix:
// Q4_K, Q6_K on the tied embedding and some attn_v/ffn_down), against
// synth's own Q4_K_M of the same seed, against another seed, and with the
// output norm scaled by 1.02.
func TestSynth(t *testing.T) {
	dir := t.TempDir()
	sh := mustShape(t, "tiny")
	a := synthFile(t, dir, "tiny", "F32", 1)
	q4km := rewrite(t, a, filepath.Join(dir, "q4km.gguf"), requantMix("Q4_K_M", sh.Layers, sh.Tied))

	t.Run("requant Q4_K_M", func(t *testing.T) {
		rep := mustCompare(t, a, q4km, Options{})
		wantVerdict(t, rep, Faithful, "")
		if rep.Counts[ExactRequant] == 0 || rep.Counts[Exact] == 0 {
			t.Errorf("counts %v", rep.Counts)
		}
		types := map[string]int{}
		for _, r := range rep.Tensors {
			types[r.TypeB]++
		}
		if types["Q6_K"] == 0 || types["Q4_K"] == 0 {
			t.Errorf("not a Q4_K_M mix: %v", types)
		}
		t.Logf("%v: %s", types, rep.Reason)
	})
	t.Run("synth Q4_K_M", func(t *testing.T) {
		rep := mustCompare(t, a, synthFile(t, dir, "tiny", "Q4_K_M", 1), Options{})
		wantVerdict(t, rep, Faithful, "")
	})
	t.Run("other seed", func(t *testing.T) {
		rep := mustCompare(t, a, synthFile(t, dir, "tiny", "F16", 2), Options{})
		wantVerdict(t, rep, Different, "token_embd.weight")
		for _, r := range rep.Tensors {
			if r.Class != Changed {
				t.Errorf("%s: %s (%s)", r.Name, r.Class, r.Detail)
			}
			if r.TypeB == "F16" && r.Ratio < 1000 {
				t.Errorf("%s: ratio %.3g, want ≫ %g", r.Name, r.Ratio, RatioChanged)
			}
		}
	})
	t.Run("output_norm x1.02", func(t *testing.T) {
		b := rewrite(t, q4km, filepath.Join(dir, "norm.gguf"), only("output_norm.weight", edit{fn: scale(1.02)}))
		rep := mustCompare(t, a, b, Options{})
		wantVerdict(t, rep, Different, "output_norm.weight")
		if rep.Counts[Changed] != 1 {
			t.Errorf("counts %v, want exactly one Changed", rep.Counts)
		}
		if r := result(t, rep, "output_norm.weight"); math.Abs(r.RelErr-0.02) > 1e-6 {
			t.Errorf("rel err %g, want 0.02", r.RelErr)
		}
	})
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
			wantVerdict(t, rep, Different, c.tensor)
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
	wantVerdict(t, rep, Different, "output_norm.weight")
	if r := result(t, rep, "output_norm.weight"); r.Class != Extra {
		t.Errorf("output_norm.weight: %s, want Extra", r.Class)
	}
}
