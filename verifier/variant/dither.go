package variant

import (
	"io"
	"math/rand/v2"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// Dither re-creates, from a quantized model, what another quantization of
// the same original weights could look like: every quantized tensor is
// dequantized, each value moved by uniform noise of up to half its block's
// quantization step (the spread of the rounding error that the model's own
// quantization made, whose exact values are lost), and quantized to
// types[name] (its own type if not named). Float tensors are only retyped.
//
// The verifier uses it for the noise floor of a candidate measured against
// a quantized reference: the candidate and the reference are then two
// quantizations of unknown weights, each with its own rounding error, and
// the reference requantized without dither would carry only one of them.
func Dither(types map[string]quant.Type, seed uint64) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		for i := range ts {
			t := &f.Tensors[i]
			to, ok := types[t.Name]
			if !ok {
				to = t.Type
			}
			levels, block := quantLevels(t.Type)
			if levels == 0 {
				if to != t.Type {
					ts[i].Type = to
					ts[i].Data = func(w io.Writer) error { return mapRows(w, f, t, to, func([]float32) {}) }
				}
				continue
			}
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			ts[i].Type = to
			ts[i].Data = func(w io.Writer) error {
				return mapRows(w, f, t, to, func(row []float32) { ditherRow(row, block, levels, r) })
			}
		}
		return kv, nil
	}
}

// quantLevels returns the number of code levels of a quantized type and the
// size of the sub-block that shares one step; 0 for float types.
func quantLevels(t quant.Type) (levels, block int) {
	switch t {
	case quant.Q2_K:
		return 4, 16
	case quant.Q3_K:
		return 8, 16
	case quant.Q4_0, quant.Q4_1, quant.Q4_K:
		return 16, 32
	case quant.Q5_0, quant.Q5_1, quant.Q5_K:
		return 32, 32
	case quant.Q6_K:
		return 64, 16
	case quant.Q8_0:
		return 256, 32
	}
	return 0, 0
}

// ditherRow adds U(−step/2, step/2) to each value, the step of a sub-block
// being its range over levels−1 (the spacing of its decoded codes).
func ditherRow(row []float32, block, levels int, r *rand.Rand) {
	for b := 0; b < len(row); b += block {
		sub := row[b:min(b+block, len(row))]
		lo, hi := sub[0], sub[0]
		for _, x := range sub {
			lo, hi = min(lo, x), max(hi, x)
		}
		step := float64(hi-lo) / float64(levels-1)
		for j := range sub {
			sub[j] += float32(step * (r.Float64() - 0.5))
		}
	}
}
