package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/requant"
)

// Spec says which model to write.
type Spec struct {
	Shape    Shape
	FileType FileType
	Seed     uint64
	Name     string // general.name; defaults to "synth-<shape>"
	Init     Init
	Threads  int // generation workers; 0 means GOMAXPROCS. Output never depends on it.
}

// Init sets the scales of the random initialisation. The defaults
// (DefaultInit) were chosen by measuring the models' next-token
// distributions with PoT's engine: see TestSynthDistributions.
type Init struct {
	EmbdStd   float64 // standard deviation of token_embd entries
	BranchStd float64 // per-element size of each residual branch's output
	LogitStd  float64 // target standard deviation of the output logits
	NormJit   float64 // relative spread of norm weights around 1
	BiasStd   float64 // q/k/v bias spread (qwen2)
}

// DefaultInit makes the residual branches dominate the (small) embedding,
// so that a tied output projection does not simply echo the input token,
// and sets the logit spread for an entropy of a few nats.
func DefaultInit(s Shape) Init {
	return Init{EmbdStd: 0.02, BranchStd: 1, LogitStd: logitStd(s.Vocab), NormJit: 0.05, BiasStd: 0.1}
}

// logitStd is the logit spread that gives Gaussian logits over a
// vocabulary of v tokens a mean entropy of about 2.5 nats. The bulk
// approximation H ≈ ln v − s²/2 undershoots once the largest logits
// dominate; the factor 1.3 corrects it, measured by sampling softmaxes of
// Gaussian logits for v from 4096 to 151936 (and checked on the models by
// TestSynthDistributions).
func logitStd(v int) float64 {
	return 1.3 * math.Sqrt(2*math.Max(math.Log(float64(v))-2.5, 1))
}

// plannedTensor is one tensor of the model and how to fill it.
type plannedTensor struct {
	name  string
	dims  []uint64 // ne: dims[0] is the row length
	typ   quant.Type
	layer int
	fill  func(r *rand.Rand, row []float32) // fills one row
}

func (p *plannedTensor) rows() int64 {
	n := int64(1)
	for _, d := range p.dims[1:] {
		n *= int64(d)
	}
	return n
}

// plan lists the tensors in llama.cpp's order for the architecture.
func plan(sp Spec) []plannedTensor {
	s, in := sp.Shape, sp.Init
	e, f := uint64(s.Embd), uint64(s.FF)
	kv := uint64(s.KVHeads * s.HeadDim())
	v := uint64(s.Vocab)
	gauss := func(std float64) func(*rand.Rand, []float32) {
		return func(r *rand.Rand, row []float32) {
			for i := range row {
				row[i] = float32(r.NormFloat64() * std)
			}
		}
	}
	around := func(c, jit float64) func(*rand.Rand, []float32) {
		return func(r *rand.Rand, row []float32) {
			for i := range row {
				row[i] = float32(c * (1 + jit*r.NormFloat64()))
			}
		}
	}
	var ts []plannedTensor
	add := func(name string, layer int, fill func(*rand.Rand, []float32), dims ...uint64) {
		ts = append(ts, plannedTensor{name: name, dims: dims, layer: layer, fill: fill})
	}
	add("token_embd.weight", -1, gauss(in.EmbdStd), e, v)
	// The branch outputs: W·h with h of unit RMS and W ~ N(0, c²/fan_in)
	// has per-element standard deviation c.
	inStd := 1 / math.Sqrt(float64(e))
	for l := 0; l < s.Layers; l++ {
		b := fmt.Sprintf("blk.%d.", l)
		add(b+"attn_norm.weight", l, around(1, in.NormJit), e)
		add(b+"attn_q.weight", l, gauss(inStd), e, e)
		add(b+"attn_k.weight", l, gauss(inStd), e, kv)
		add(b+"attn_v.weight", l, gauss(inStd), e, kv)
		if s.Arch == "qwen2" {
			add(b+"attn_q.bias", l, gauss(in.BiasStd), e)
			add(b+"attn_k.bias", l, gauss(in.BiasStd), kv)
			add(b+"attn_v.bias", l, gauss(in.BiasStd), kv)
		}
		add(b+"attn_output.weight", l, gauss(in.BranchStd*inStd), e, e)
		add(b+"ffn_norm.weight", l, around(1, in.NormJit), e)
		add(b+"ffn_gate.weight", l, gauss(inStd), e, f)
		add(b+"ffn_up.weight", l, gauss(inStd), e, f)
		// silu(g)·u of two N(0,1) has standard deviation about 0.6.
		add(b+"ffn_down.weight", l, gauss(in.BranchStd/0.6/math.Sqrt(float64(f))), f, e)
	}
	// The final norm's gain sets the logit spread: a tied projection has
	// rows of norm EmbdStd·√E, an untied one rows of norm 1.
	if s.Tied {
		add("output_norm.weight", -1, around(in.LogitStd/(in.EmbdStd*math.Sqrt(float64(e))), in.NormJit), e)
	} else {
		add("output_norm.weight", -1, around(in.LogitStd, in.NormJit), e)
		add("output.weight", -1, gauss(inStd), e, v)
	}
	for i := range ts {
		t := &ts[i]
		t.typ = TensorType(sp.FileType, t.name, len(t.dims), int64(t.dims[0]), t.layer, s.Layers, s.Tied)
	}
	return ts
}

// metadata returns the model's GGUF key-value pairs.
func metadata(sp Spec) ([]gguf.KV, error) {
	s := sp.Shape
	a := s.Arch
	name := sp.Name
	if name == "" {
		name = "synth-" + s.Name
	}
	kv := []gguf.KV{
		str("general.architecture", a),
		str("general.name", name),
		u32("general.file_type", requant.FileTypeID(sp.FileType)),
		u32("general.quantization_version", 2),
		u32(a+".context_length", uint32(s.Context)),
		u32(a+".embedding_length", uint32(s.Embd)),
		u32(a+".block_count", uint32(s.Layers)),
		u32(a+".feed_forward_length", uint32(s.FF)),
		u32(a+".attention.head_count", uint32(s.Heads)),
		u32(a+".attention.head_count_kv", uint32(s.KVHeads)),
		f32(a+".rope.freq_base", float32(s.RopeBase)),
		f32(a+".attention.layer_norm_rms_epsilon", float32(s.NormEps)),
		u32(a+".rope.dimension_count", uint32(s.HeadDim())),
		u32(a+".vocab_size", uint32(s.Vocab)),
	}
	voc, err := vocabKV(s)
	if err != nil {
		return nil, err
	}
	return append(kv, voc...), nil
}

// rowsPerChunk is how many rows share one random stream; chunks are the unit
// of parallel generation, so output is independent of the worker count.
const rowsPerChunk = 64

// chunkRand returns the generator of one chunk of one tensor: a PCG seeded
// from SHA-256(seed, tensor name, chunk index).
func chunkRand(seed uint64, name string, chunk int64) *rand.Rand {
	h := sha256.New()
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], seed)
	binary.LittleEndian.PutUint64(b[8:], uint64(chunk))
	h.Write(b[:])
	h.Write([]byte(name))
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])))
}

// writeTensor generates, quantizes and writes tensor t chunk by chunk
// (requant.Rows: chunks generated and quantized in parallel, written in
// order).
func writeTensor(w io.Writer, seed uint64, t *plannedTensor, threads int) error {
	cols := int64(t.dims[0])
	err := requant.Rows(w, t.typ, t.rows(), cols, rowsPerChunk, threads, false, func(c, _ int64, x []float32) error {
		r := chunkRand(seed, t.name, c)
		for i := int64(0); i < int64(len(x))/cols; i++ {
			t.fill(r, x[i*cols:(i+1)*cols])
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tensor %s: %w", t.name, err)
	}
	return nil
}

func workers(n int) int { return requant.Workers(n) }

// Validate checks the spec before any work is done.
func (sp *Spec) Validate() error {
	s := sp.Shape
	if s.Embd <= 0 || s.Heads <= 0 || s.KVHeads <= 0 || s.Embd%s.Heads != 0 || s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("synth: shape %s: inconsistent heads", s.Name)
	}
	if _, ok := requant.BaseType(sp.FileType); !ok {
		return fmt.Errorf("synth: unknown file type %q", sp.FileType)
	}
	if sp.Init == (Init{}) {
		sp.Init = DefaultInit(s)
	}
	return nil
}

// Tensors returns the model's tensors for gguf.Write, their data generated
// as it is written.
func Tensors(sp Spec) ([]gguf.WriterTensor, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	threads := workers(sp.Threads)
	ps := plan(sp)
	ws := make([]gguf.WriterTensor, len(ps))
	for i := range ps {
		p := &ps[i]
		ws[i] = gguf.WriterTensor{Name: p.name, Dims: p.dims, Type: p.typ, Data: func(w io.Writer) error {
			return writeTensor(w, sp.Seed, p, threads)
		}}
	}
	return ws, nil
}

// Metadata returns the model's key-value pairs.
func Metadata(sp Spec) ([]gguf.KV, error) {
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	return metadata(sp)
}

// WriteFile writes the model to path atomically.
func WriteFile(path string, sp Spec) error {
	kv, err := Metadata(sp)
	if err != nil {
		return err
	}
	ts, err := Tensors(sp)
	if err != nil {
		return err
	}
	return gguf.WriteFile(path, 0o644, kv, ts, 0)
}
