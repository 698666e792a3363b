package quant_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// The qwen2-tiny-<TYPE>.gguf files were made from qwen2-tiny-F32.gguf by
// `llama-quantize --pure` (llama.cpp c392e50): every 2-D tensor has TYPE,
// the 1-D norms and biases stay F32. See ../shared/testdata/README.md.

func openGGUF(t *testing.T, name string) *gguf.File {
	t.Helper()
	f, err := gguf.Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func floats(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// refTensors returns the F32 reference tensors by name.
func refTensors(t *testing.T) map[string][]float32 {
	t.Helper()
	f := openGGUF(t, "qwen2-tiny-F32.gguf")
	m := make(map[string][]float32)
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		if ti.Type != quant.F32 {
			t.Fatalf("%s: reference tensor has type %s", ti.Name, ti.Type)
		}
		m[ti.Name] = floats(f.TensorData(ti))
	}
	return m
}

// TestRequantizeMatchesLlamaCpp requantizes the F32 model and compares with
// llama-quantize's output block by block. Every type must match exactly:
// the allowed fraction of differing blocks is 0 (K-quants included).
func TestRequantizeMatchesLlamaCpp(t *testing.T) {
	ref := refTensors(t)
	for _, typ := range []quant.Type{quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_K, quant.Q6_K} {
		t.Run(typ.String(), func(t *testing.T) {
			f := openGGUF(t, "qwen2-tiny-"+typ.String()+".gguf")
			if len(f.Tensors) != len(ref) {
				t.Fatalf("%d tensors, reference has %d", len(f.Tensors), len(ref))
			}
			var blocks, differ, quantized int
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				x, ok := ref[ti.Name]
				if !ok {
					t.Fatalf("%s: not in the reference", ti.Name)
				}
				want := f.TensorData(ti)
				if len(ti.Dims) == 1 {
					if ti.Type != quant.F32 || !bytes.Equal(want, f32Bytes(x)) {
						t.Errorf("%s: 1-D tensor is %s or differs from the F32 original", ti.Name, ti.Type)
					}
					continue
				}
				if ti.Type != typ {
					t.Fatalf("%s: type %s, want %s", ti.Name, ti.Type, typ)
				}
				quantized++
				got := make([]byte, len(want))
				if err := quant.Quantize(typ, x, got); err != nil {
					t.Fatal(err)
				}
				ts := typ.TypeSize()
				for o := 0; o < len(got); o += ts {
					blocks++
					if !bytes.Equal(got[o:o+ts], want[o:o+ts]) {
						differ++
						if differ <= 3 {
							t.Errorf("%s block %d:\n got %x\nwant %x", ti.Name, o/ts, got[o:o+ts], want[o:o+ts])
						}
					}
				}
			}
			if quantized == 0 {
				t.Fatal("no quantized tensors")
			}
			t.Logf("%s: %d tensors, %d/%d blocks differ", typ, quantized, differ, blocks)
			if differ != 0 {
				t.Errorf("%d of %d blocks differ from llama-quantize", differ, blocks)
			}
		})
	}
}

func f32Bytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// TestDequantizeTestdata dequantizes every 2-D tensor of each file and
// bounds the RMS relative error sqrt(Σ(y−x)²/Σx²) against the F32 original
// (weights ~ N(0,σ²)). The bounds are the measured values (in the comment)
// with a margin of about 10% (measured with this test, -v); they follow the formats' resolution: 11-bit
// (F16) and 8-bit (BF16) significands, 8/6/4-bit codes.
func TestDequantizeTestdata(t *testing.T) {
	ref := refTensors(t)
	for _, c := range []struct {
		typ quant.Type
		max float64
	}{
		{quant.F16, 2.3e-4},  // measured 2.08e-4 (≈ 2^-11/√3·0.7: uniform rounding of an 11-bit significand)
		{quant.BF16, 1.9e-3}, // measured 1.66e-3 (8-bit significand)
		{quant.Q8_0, 6.0e-3}, // measured 5.36e-3
		{quant.Q6_K, 2.0e-2}, // measured 1.77e-2
		{quant.Q4_K, 8.0e-2}, // measured 7.14e-2
		{quant.Q4_0, 9.5e-2}, // measured 8.58e-2
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			f := openGGUF(t, "qwen2-tiny-"+c.typ.String()+".gguf")
			var num, den float64
			for i := range f.Tensors {
				ti := &f.Tensors[i]
				if ti.Type != c.typ {
					continue
				}
				x := ref[ti.Name]
				y := make([]float32, len(x))
				if err := quant.Dequantize(ti.Type, f.TensorData(ti), y); err != nil {
					t.Fatal(err)
				}
				for j := range x {
					d := float64(y[j]) - float64(x[j])
					num += d * d
					den += float64(x[j]) * float64(x[j])
				}
			}
			rel := math.Sqrt(num / den)
			t.Logf("%s: RMS relative error %.3g", c.typ, rel)
			if !(rel <= c.max) || rel == 0 {
				t.Errorf("RMS relative error %.3g, want in (0, %.3g]", rel, c.max)
			}
		})
	}
}
