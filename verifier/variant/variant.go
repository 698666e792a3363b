// Package variant writes modified copies of a model file: the pairs that
// PoT's verdicts are tested and demonstrated on. Each edit stands for
// something that happens to model files in the wild: a renamed upload, an
// edited chat template or tokenizer, a requantization, a fine-tune (noise
// on one tensor, a rescaled norm), a different model of the same shape.
//
// Edits are deterministic (noise comes from a seeded generator) and write
// atomically through the GGUF writer; the source file is never modified.
package variant

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/requant"
	"github.com/proof-of-training/pot/verifier/synth"
)

// Edit changes a model's metadata and tensors before it is written.
type Edit func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error)

// Write writes src (a GGUF file, or a Hugging Face directory read as the
// GGUF llama.cpp's converter would write from it) with edits applied to dst.
func Write(src, dst string, edits ...Edit) error {
	f, err := hfmodel.OpenModel(src)
	if err != nil {
		return err
	}
	defer f.Close()
	return WriteFrom(f, dst, edits...)
}

// WriteFrom writes the open model f (a GGUF file, or a composed one such as
// a Hugging Face directory) with edits applied to dst.
func WriteFrom(f *gguf.File, dst string, edits ...Edit) error {
	src := f.Path
	var err error
	kv := slices.Clone(f.KV)
	ts := f.WriterTensors()
	for _, e := range edits {
		if kv, err = e(kv, ts, f); err != nil {
			return fmt.Errorf("variant of %s: %w", src, err)
		}
	}
	// Each source tensor's pages are dropped from f's mapping once the
	// tensor it names is written: a copy made while another mapping of the
	// same file is in use (calibration writes the faithful copy while the
	// reference session runs) would otherwise count the source twice in
	// the process's resident memory (0.5B F16 reference: a 2.1 GB peak
	// for 1.4 GB of models). A hint: a later read maps the pages again.
	for i := range ts {
		data, name := ts[i].Data, ts[i].Name
		ts[i].Data = func(w io.Writer) error {
			err := data(w)
			if t, ok := f.Tensor(name); ok {
				_ = f.DontNeed(t)
			}
			return err
		}
	}
	return gguf.WriteFile(dst, 0o644, kv, ts, f.Alignment)
}

// SetString sets (or adds) a string metadata key: Rename is
// SetString("general.name", …), a new chat template
// SetString("tokenizer.chat_template", …).
func SetString(key, value string) Edit {
	return func(kv []gguf.KV, _ []gguf.WriterTensor, _ *gguf.File) ([]gguf.KV, error) {
		v := gguf.Value{Type: gguf.TypeString, V: value}
		for i := range kv {
			if kv[i].Key == key {
				kv[i].Value = v
				return kv, nil
			}
		}
		return append(kv, gguf.KV{Key: key, Value: v}), nil
	}
}

// ScaleTokenScores multiplies the SentencePiece token scores (or, for a
// BPE vocabulary without scores, swaps two merges): a tokenizer edit.
func ScaleTokenScores(factor float32) Edit {
	return func(kv []gguf.KV, _ []gguf.WriterTensor, _ *gguf.File) ([]gguf.KV, error) {
		for i := range kv {
			a, ok := kv[i].Value.V.(gguf.Array)
			switch {
			case !ok:
			case kv[i].Key == "tokenizer.ggml.scores":
				s := slices.Clone(a.Elems.([]float32))
				for j := range s {
					s[j] *= factor
				}
				kv[i].Value.V = gguf.Array{Elem: a.Elem, Elems: s}
				return kv, nil
			case kv[i].Key == "tokenizer.ggml.merges":
				m := slices.Clone(a.Elems.([]string))
				if len(m) < 2 {
					return nil, fmt.Errorf("fewer than 2 merges")
				}
				m[0], m[1] = m[1], m[0]
				kv[i].Value.V = gguf.Array{Elem: a.Elem, Elems: m}
				return kv, nil
			}
		}
		return nil, fmt.Errorf("no token scores or merges")
	}
}

// Requantize converts every tensor to the types llama-quantize gives file
// type ft, and says so in general.file_type. Like Retype it quantizes from
// the source file's tensors, so an edit listed before it in the same Write
// is lost: write the edited model first, then requantize that file.
func Requantize(ft synth.FileType) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		kv, err := Retype(requant.ProfileTypes(f, ft))(kv, ts, f)
		if err != nil {
			return nil, err
		}
		return requant.SetFileType(kv, ft), nil
	}
}

// Retype converts the named tensors to the given types (dequantized and
// quantized again with PoT's quantizers, which reproduce llama.cpp's, in
// parallel over rows: requant.Retype); tensors not named keep theirs. It
// reads the source file's data, not an earlier edit's.
func Retype(types map[string]quant.Type) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		return kv, requant.Retype(f, ts, types, 0)
	}
}

// Noise adds Gaussian noise of standard deviation rel × the tensor's RMS to
// tensor name, keeping its type: a stand-in for a small fine-tune.
func Noise(name string, rel float64, seed uint64) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		i, t, err := find(f, name)
		if err != nil {
			return nil, err
		}
		rms, err := tensorRMS(f, t)
		if err != nil {
			return nil, err
		}
		r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
		ts[i].Data = func(w io.Writer) error {
			return mapRows(w, f, t, t.Type, func(row []float32) {
				for j := range row {
					row[j] += float32(rel * rms * r.NormFloat64())
				}
			})
		}
		return kv, nil
	}
}

// Scale multiplies tensor name by factor, keeping its type.
func Scale(name string, factor float32) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		i, t, err := find(f, name)
		if err != nil {
			return nil, err
		}
		ts[i].Data = func(w io.Writer) error {
			return mapRows(w, f, t, t.Type, func(row []float32) {
				for j := range row {
					row[j] *= factor
				}
			})
		}
		return kv, nil
	}
}

func find(f *gguf.File, name string) (int, *gguf.TensorInfo, error) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return i, &f.Tensors[i], nil
		}
	}
	return 0, nil, fmt.Errorf("no tensor %q", name)
}

// mapRows streams t, each row dequantized, edited by fn (in row order)
// and quantized to type to on every CPU.
func mapRows(w io.Writer, f *gguf.File, t *gguf.TensorInfo, to quant.Type, fn func([]float32)) error {
	return requant.Tensor(w, f, t, to, 0, fn)
}

func tensorRMS(f *gguf.File, t *gguf.TensorInfo) (float64, error) {
	cols := int64(t.Dims[0])
	in, err := quant.RowSize(t.Type, cols)
	if err != nil {
		return 0, err
	}
	data := f.TensorData(t)
	row := make([]float32, cols)
	var sum float64
	var n int64
	for off := int64(0); off+in <= int64(len(data)); off += in {
		if err := quant.Dequantize(t.Type, data[off:off+in], row); err != nil {
			return 0, err
		}
		for _, x := range row {
			sum += float64(x) * float64(x)
		}
		n += cols
	}
	if n == 0 {
		return 0, fmt.Errorf("tensor %s is empty", t.Name)
	}
	return math.Sqrt(sum / float64(n)), nil
}

// Reinit replaces every 2-D weight with Gaussian values of the same RMS,
// drawn from seed: a different model of the same shape, as if trained from
// another initialisation. Norms and biases are kept.
func Reinit(seed uint64) Edit {
	return func(kv []gguf.KV, ts []gguf.WriterTensor, f *gguf.File) ([]gguf.KV, error) {
		for i := range ts {
			t := &f.Tensors[i]
			if len(t.Dims) < 2 {
				continue
			}
			rms, err := tensorRMS(f, t)
			if err != nil {
				return nil, err
			}
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			ts[i].Data = func(w io.Writer) error {
				return mapRows(w, f, t, t.Type, func(row []float32) {
					for j := range row {
						row[j] = float32(rms * r.NormFloat64())
					}
				})
			}
		}
		return kv, nil
	}
}
