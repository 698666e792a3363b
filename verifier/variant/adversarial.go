package variant

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// The edits below are an attacker's: each changes what the model computes
// while trying to stay out of sight of a verifier (where the challenges
// never look, under a tolerance, spread thin). The adversarial tests and
// the README's detection limits are made with them.

// Rows edits, in place and keeping each tensor's type, every row of the
// tensors that keep selects: fn gets the tensor's name, the row's index and
// its values (dequantized; they are quantized again after fn).
func Rows(keep func(name string) bool, fn func(name string, row int, values []float32)) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		for i := range ts {
			t := &f.Tensors[i]
			if !keep(t.Name) {
				continue
			}
			ts[i].Data = func(w io.Writer) error {
				row := 0
				return mapRows(w, f, t, t.Type, func(v []float32) {
					fn(t.Name, row, v)
					row++
				})
			}
		}
		return kv, nil
	}
}

// blockMatrix matches the 2-D weights of a transformer block.
var blockMatrix = regexp.MustCompile(`^blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight$`)

// LowRank adds to every block matrix W a random matrix U·Vᵀ of the given
// rank whose Frobenius norm is rel·‖W‖ (U, V Gaussian from seed): the shape
// of a LoRA fine-tune merged into the weights.
func LowRank(rank int, rel float64, seed uint64) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		for i := range ts {
			t := &f.Tensors[i]
			if !blockMatrix.MatchString(t.Name) || len(t.Dims) != 2 {
				continue
			}
			rms, err := tensorRMS(f, t)
			if err != nil {
				return nil, err
			}
			cols, rows := int(t.Dims[0]), int(t.Dims[1])
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			u, v := gaussian(r, rows*rank), gaussian(r, cols*rank)
			// (U·Vᵀ)_ij has variance rank, so this scale gives ‖U·Vᵀ‖ ≈ rel·‖W‖.
			s := float32(rel * rms / math.Sqrt(float64(rank)))
			ts[i].Data = func(w io.Writer) error {
				row := 0
				return mapRows(w, f, t, t.Type, func(x []float32) {
					ui := u[row*rank : (row+1)*rank]
					for j := range x {
						var d float32
						for k, uk := range ui {
							d += uk * v[j*rank+k]
						}
						x[j] += s * d
					}
					row++
				})
			}
		}
		return kv, nil
	}
}

func gaussian(r *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// SwapLayers exchanges the weights of blocks a and b (same shapes in a
// llama or qwen2 model): the same numbers, computed in another order.
func SwapLayers(a, b int) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		pa, pb := "blk."+strconv.Itoa(a)+".", "blk."+strconv.Itoa(b)+"."
		idx := map[string]int{}
		for i := range ts {
			idx[ts[i].Name] = i
		}
		swapped := 0
		for i := range ts {
			name := ts[i].Name
			if len(name) <= len(pa) || name[:len(pa)] != pa {
				continue
			}
			j, ok := idx[pb+name[len(pa):]]
			if !ok {
				return nil, fmt.Errorf("no tensor %s%s", pb, name[len(pa):])
			}
			ts[i].Data, ts[j].Data = ts[j].Data, ts[i].Data
			swapped++
		}
		if swapped == 0 {
			return nil, fmt.Errorf("no tensors in block %d", a)
		}
		return kv, nil
	}
}

// SwapRows exchanges rows of tensor name: each pair {a, b} makes row a
// hold row b's values and row b row a's (say "She" → "He" by swapping two
// token embeddings).
func SwapRows(name string, pairs [][2]int) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		i, t, err := find(f, name)
		if err != nil {
			return nil, err
		}
		cols := int64(t.Dims[0])
		size, err := quant.RowSize(t.Type, cols)
		if err != nil {
			return nil, err
		}
		data := f.TensorData(t)
		rows := int64(len(data)) / size
		other := map[int][]float32{}
		for _, p := range pairs {
			for _, r := range p {
				if r < 0 || int64(r) >= rows {
					return nil, fmt.Errorf("tensor %s has no row %d", name, r)
				}
			}
			for k, r := range p {
				v := make([]float32, cols)
				src := int64(p[1-k])
				if err := quant.Dequantize(t.Type, data[src*size:(src+1)*size], v); err != nil {
					return nil, err
				}
				other[r] = v
			}
		}
		ts[i].Data = func(w io.Writer) error {
			row := 0
			return mapRows(w, f, t, t.Type, func(v []float32) {
				if o, ok := other[row]; ok {
					copy(v, o)
				}
				row++
			})
		}
		return kv, nil
	}
}
