// Package model maps a GGUF file of a supported architecture (llama, qwen2)
// to the hyper-parameters and weight tensors a forward pass needs.
//
// Scope: the metadata keys and tensor names of llama.cpp for the
// architectures `llama` and `qwen2` (src/llama-arch.cpp LLM_TENSOR_NAMES,
// src/llama-model.cpp load_hparams/load_tensors), checked against each other:
// every tensor must exist with exactly the shape the hyper-parameters imply,
// and a type whose rows the matmul kernels can consume.
//
// Left out: other architectures, mixture-of-experts, YaRN/LongRoPE scaling
// (rejected with ErrUnsupported, never silently ignored), sliding-window
// attention. The package does no arithmetic; the engine does.
//
// Security stance: the GGUF reader has already bounded and validated the
// file; this package trusts no count from it either. Every dimension is
// checked to be positive, consistent and small enough that products of two
// of them cannot overflow an int, before anyone allocates by it. Tensor data
// is never copied: Tensor.Data aliases the read-only memory map.
package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// Error classes, tested with errors.Is.
var (
	// ErrUnsupported: a valid file of an architecture or feature PoT does
	// not implement (another architecture, YaRN scaling, a tensor type).
	ErrUnsupported = errors.New("model: unsupported")
	// ErrFormat: the file's metadata and tensors are inconsistent (a missing
	// tensor, a wrong shape, a missing or absurd hyper-parameter).
	ErrFormat = errors.New("model: invalid model")
)

// Arch is a model architecture, as general.architecture names it.
type Arch string

// The supported architectures.
const (
	Llama Arch = "llama"
	Qwen2 Arch = "qwen2"
)

// RopeStyle says which elements of a head RoPE rotates together.
type RopeStyle int

const (
	// RopeNorm rotates adjacent pairs (2i, 2i+1): llama (LLAMA_ROPE_TYPE_NORM).
	RopeNorm RopeStyle = iota
	// RopeNeox rotates (i, i+d/2): qwen2 (LLAMA_ROPE_TYPE_NEOX).
	RopeNeox
)

// String names the style as llama.cpp does.
func (s RopeStyle) String() string {
	if s == RopeNeox {
		return "neox"
	}
	return "norm"
}

// maxDim bounds every single dimension (embedding, FFN, vocabulary, context),
// so that a product of two dimensions fits in an int on 64-bit hosts and a
// hostile file cannot make the engine size a buffer by an absurd count. The
// largest real vocabularies are ~260k and FFN widths ~60k.
const maxDim = 1 << 24

// Config holds the hyper-parameters of a model, as read from GGUF metadata
// (`{arch}.*` keys) and cross-checked against the tensor shapes.
type Config struct {
	Arch          Arch
	ContextLength int       // {a}.context_length: longest sequence the engine accepts
	Embed         int       // E, {a}.embedding_length
	Layers        int       // {a}.block_count
	FFN           int       // F, {a}.feed_forward_length
	Heads         int       // {a}.attention.head_count
	KVHeads       int       // {a}.attention.head_count_kv (GQA; = Heads if absent)
	HeadDim       int       // {a}.attention.key_length, else E/Heads; value_length must equal it
	Vocab         int       // rows of token_embd.weight
	RMSEps        float32   // {a}.attention.layer_norm_rms_epsilon
	RopeBase      float32   // {a}.rope.freq_base, default 10000
	RopeDim       int       // {a}.rope.dimension_count, default HeadDim: leading dims of a head that rotate
	RopeFreqScale float32   // 1/{a}.rope.scaling.factor for linear scaling, else 1
	RopeStyle     RopeStyle // NORM for llama, NEOX for qwen2
	QKVBias       bool      // attn_{q,k,v}.bias present (qwen2)
	TiedOutput    bool      // no output.weight: logits use token_embd.weight
}

// QDim is the width of the concatenated query heads, Heads·HeadDim.
func (c *Config) QDim() int { return c.Heads * c.HeadDim }

// KVDim is the width of the concatenated key (or value) heads, KVHeads·HeadDim.
func (c *Config) KVDim() int { return c.KVHeads * c.HeadDim }

// Tensor is a view of one tensor of the file. Data aliases the read-only
// mapping: never write to it.
type Tensor struct {
	Info *gguf.TensorInfo
	Type quant.Type
	Rows int    // ne[1] (1 for a vector): output features of a weight
	Cols int    // ne[0]: the contiguous row length, input features of a weight
	Data []byte // Rows rows of quant.RowSize(Type, Cols) bytes
}

// Name returns the tensor's GGUF name.
func (t *Tensor) Name() string { return t.Info.Name }

// Float32s dequantizes the whole tensor into a new slice. Meant for the
// small ones (norm weights, biases, rope_freqs); a weight matrix is never
// converted as a whole.
func (t *Tensor) Float32s() ([]float32, error) {
	out := make([]float32, t.Rows*t.Cols)
	if err := quant.Dequantize(t.Type, t.Data, out); err != nil {
		return nil, fmt.Errorf("model: tensor %q: %w", t.Info.Name, err)
	}
	return out, nil
}

// Layer holds the tensors of one transformer block `blk.N.`. Shapes are
// given as [rows, cols] = [out, in].
type Layer struct {
	AttnNorm   *Tensor // [1, E]
	Wq         *Tensor // [QDim, E]
	Wk, Wv     *Tensor // [KVDim, E]
	Bq         *Tensor // [1, QDim], qwen2 only (nil otherwise)
	Bk, Bv     *Tensor // [1, KVDim], qwen2 only
	Wo         *Tensor // [E, QDim]
	FFNNorm    *Tensor // [1, E]
	Wgate, Wup *Tensor // [F, E]
	Wdown      *Tensor // [E, F]
}

// Tensors lists the layer's tensors (nil biases left out), in the order the
// forward pass reads them.
func (l *Layer) Tensors() []*Tensor {
	all := []*Tensor{l.AttnNorm, l.Wq, l.Wk, l.Wv, l.Bq, l.Bk, l.Bv, l.Wo, l.FFNNorm, l.Wgate, l.Wup, l.Wdown}
	out := all[:0]
	for _, t := range all {
		if t != nil {
			out = append(out, t)
		}
	}
	return out
}

// Model is a loaded model: its Config and views of its tensors. It does not
// own the gguf.File, which must stay open while the Model is used.
type Model struct {
	Config
	File       *gguf.File
	TokenEmbd  *Tensor // [Vocab, E]
	OutputNorm *Tensor // [1, E]
	Output     *Tensor // [Vocab, E]; == TokenEmbd when TiedOutput
	RopeFreqs  *Tensor // [1, RopeDim/2] frequency factors (Llama 3.1+), or nil
	Layers     []Layer
}

// New reads the architecture, hyper-parameters and tensor views from f.
func New(f *gguf.File) (*Model, error) {
	m := &Model{File: f}
	if err := m.readConfig(f); err != nil {
		return nil, fmt.Errorf("model %s: %w", f.Path, err)
	}
	if err := m.mapTensors(f); err != nil {
		return nil, fmt.Errorf("model %s: %w", f.Path, err)
	}
	return m, nil
}

// readConfig fills m.Config from the metadata (shapes are checked later).
func (m *Model) readConfig(f *gguf.File) error {
	arch, err := f.String("general.architecture")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	c := &m.Config
	c.Arch = Arch(arch)
	switch c.Arch {
	case Llama:
		c.RopeStyle = RopeNorm
	case Qwen2:
		c.RopeStyle = RopeNeox
	default:
		return fmt.Errorf("%w: architecture %q (want llama or qwen2)", ErrUnsupported, arch)
	}
	a := arch + "."
	r := metaReader{f: f}
	c.ContextLength = r.dim(a+"context_length", 0)
	c.Embed = r.dim(a+"embedding_length", 0)
	c.Layers = r.dim(a+"block_count", 0)
	c.FFN = r.dim(a+"feed_forward_length", 0)
	c.Heads = r.dim(a+"attention.head_count", 0)
	c.KVHeads = r.dim(a+"attention.head_count_kv", c.Heads)
	if r.err != nil {
		return r.err
	}
	if c.Embed%c.Heads != 0 {
		return fmt.Errorf("%w: embedding_length %d is not a multiple of head_count %d", ErrFormat, c.Embed, c.Heads)
	}
	c.HeadDim = r.dim(a+"attention.key_length", c.Embed/c.Heads)
	if v := r.dim(a+"attention.value_length", c.HeadDim); v != c.HeadDim && r.err == nil {
		return fmt.Errorf("%w: attention.value_length %d differs from key_length %d", ErrUnsupported, v, c.HeadDim)
	}
	c.RopeDim = r.dim(a+"rope.dimension_count", c.HeadDim)
	c.RMSEps = r.float(a+"attention.layer_norm_rms_epsilon", -1)
	c.RopeBase = r.float(a+"rope.freq_base", 10000)
	c.RopeFreqScale = 1
	if r.err != nil {
		return r.err
	}
	switch {
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("%w: head_count %d is not a multiple of head_count_kv %d", ErrFormat, c.Heads, c.KVHeads)
	case c.RopeDim > c.HeadDim || c.RopeDim%2 != 0:
		return fmt.Errorf("%w: rope.dimension_count %d for head dim %d", ErrFormat, c.RopeDim, c.HeadDim)
	case !(c.RMSEps > 0 && c.RMSEps < 1):
		return fmt.Errorf("%w: attention.layer_norm_rms_epsilon %g", ErrFormat, c.RMSEps)
	case !(c.RopeBase > 1) || math.IsInf(float64(c.RopeBase), 0):
		return fmt.Errorf("%w: rope.freq_base %g", ErrFormat, c.RopeBase)
	case c.Heads*c.HeadDim > maxDim || c.Layers > 4096:
		return fmt.Errorf("%w: %d heads of %d, %d layers: too large", ErrFormat, c.Heads, c.HeadDim, c.Layers)
	}
	return m.readRopeScaling(f, a)
}

// readRopeScaling accepts no scaling or linear scaling; anything else would
// change the numbers silently, so it is rejected.
func (m *Model) readRopeScaling(f *gguf.File, a string) error {
	typ, err := f.String(a + "rope.scaling.type")
	if errors.Is(err, gguf.ErrNotFound) {
		typ = "none"
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	factor, err := f.Float(a + "rope.scaling.factor")
	if errors.Is(err, gguf.ErrNotFound) {
		factor = 0
	} else if err != nil {
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	switch {
	case typ == "none" || (typ == "linear" && (factor == 0 || factor == 1)):
		// llama.cpp: freq_scale = 1/factor, with factor 0 meaning 1.
	case typ == "linear" && factor > 0 && !math.IsInf(factor, 0):
		m.RopeFreqScale = float32(1 / factor)
	default:
		return fmt.Errorf("%w: rope.scaling.type %q factor %g", ErrUnsupported, typ, factor)
	}
	return nil
}

// metaReader reads hyper-parameters, keeping the first error.
type metaReader struct {
	f   *gguf.File
	err error
}

// dim reads a positive integer ≤ maxDim; def (if > 0) replaces a missing key.
func (r *metaReader) dim(key string, def int) int {
	if r.err != nil {
		return 0
	}
	v, err := r.f.Uint(key)
	switch {
	case errors.Is(err, gguf.ErrNotFound) && def > 0:
		return def
	case err != nil:
		r.err = fmt.Errorf("%w: %v", ErrFormat, err)
		return 0
	case v == 0 || v > maxDim:
		r.err = fmt.Errorf("%w: %s = %d out of range [1, %d]", ErrFormat, key, v, maxDim)
		return 0
	}
	return int(v)
}

// float reads a float key; def (if ≥ 0) replaces a missing key.
func (r *metaReader) float(key string, def float64) float32 {
	if r.err != nil {
		return 0
	}
	v, err := r.f.Float(key)
	switch {
	case errors.Is(err, gguf.ErrNotFound) && def >= 0:
		return float32(def)
	case err != nil:
		r.err = fmt.Errorf("%w: %v", ErrFormat, err)
		return 0
	case math.IsNaN(v) || math.IsInf(v, 0):
		r.err = fmt.Errorf("%w: %s = %g", ErrFormat, key, v)
		return 0
	}
	return float32(v)
}
