package engine

import "github.com/proof-of-training/pot/verifier/model"

// Backend executes the operations of a forward pass. The forward pass
// (forward.go) is written once against it; the pure-Go CPU backend (cpu.go)
// implements it here, and the Metal backend (package metalbridge, which this
// package never imports) implements it on macOS.
//
// Buffers are []float32 slices obtained from Alloc, so a unified-memory GPU
// backend can hand out shared memory; activations are row-major, one row per
// token. An implementation may run operations asynchronously, in issue order;
// the engine reads or writes a buffer on the host only after Sync.
//
// Contract on numerics: every output row must depend only on the inputs of
// that row (and, for Attention, on the rows of its own sequence), computed in
// a fixed order, so results are bitwise identical whatever the thread count
// and however requests are grouped into batches. A wrong slice length is a
// programmer error and may panic.
type Backend interface {
	// Name identifies the backend in certificates ("cpu", "metal").
	Name() string

	// Alloc returns a zeroed buffer of n floats usable by every operation.
	Alloc(n int) []float32

	// NewWeight prepares a weight matrix (t.Rows outputs × t.Cols inputs),
	// keeping its data in place (quantized, memory-mapped).
	NewWeight(t *model.Tensor) (Weight, error)

	// MatMul computes ys[j][i] = W_j · x[i] for every row i < n of x
	// ([n][cols]) and every weight j; the weights share cols, so the
	// backend may convert x (e.g. quantize it) once for all of them.
	MatMul(x []float32, n int, ws []Weight, ys [][]float32)

	// RMSNorm sets y[i] = x[i] / sqrt(mean(x[i]²) + eps) ⊙ w for the n rows
	// of width len(w). y and x may be the same buffer.
	RMSNorm(y, x, w []float32, n int, eps float32)

	// AddRow adds b to each of the n rows of x (a bias).
	AddRow(x, b []float32, n int)

	// Rope rotates the first r.Dim elements of every head of q ([n][qHeads·
	// HeadDim]) and k ([n][kHeads·HeadDim]) of row i by position pos[i].
	Rope(q, k []float32, pos []int32, qHeads, kHeads int, r *Rope)

	// Attention computes causal multi-head attention within each sequence
	// span: out ([n][Heads·HeadDim]) from q ([n][Heads·HeadDim]) and k, v
	// ([n][KVHeads·HeadDim]), query i of a span attending to keys 0..i of it.
	Attention(out, q, k, v []float32, spans []Span, a *AttnShape)

	// SwiGLU sets g = silu(g) ⊙ u elementwise, silu(z) = z/(1+e^−z).
	SwiGLU(g, u []float32)

	// Add sets x += y elementwise (the residual connection).
	Add(x, y []float32)

	// Sync waits until every issued operation has finished.
	Sync() error

	// Close releases the backend's resources.
	Close() error
}

// swiGLUProducer is a Backend that computes a feed-forward block's gate
// and up products and their SwiGLU as one operation: u = up·x, g =
// silu(gate·x) ⊙ u for the n rows of x, as MatMul then SwiGLU would (the
// CPU keeps each chunk of rows on the core that computed it). Backends
// without it run the two steps.
type swiGLUProducer interface {
	MatMulSwiGLU(x []float32, n int, gate, up Weight, g, u []float32)
}

// Weight is a weight matrix prepared by a Backend.
type Weight interface {
	Rows() int // output features
	Cols() int // input features
}

// Span is one sequence inside a batch: rows [Start, Start+Len), positions
// 0..Len-1.
type Span struct {
	Start, Len int
}

// AttnShape describes multi-head attention with grouped KV heads (GQA):
// query head h reads KV head h / (Heads/KVHeads).
type AttnShape struct {
	Heads, KVHeads, HeadDim int
	Scale                   float32 // 1/sqrt(HeadDim)
}

// Rope holds the rotary position embedding parameters, as llama.cpp's
// ggml_rope_ext takes them (ggml-cpu ops.cpp, rope_yarn without YaRN).
type Rope struct {
	Style       model.RopeStyle
	Dim         int       // rotated dims per head (n_rot), even, ≤ HeadDim
	HeadDim     int       // head width
	Base        float32   // freq_base
	FreqScale   float32   // linear position scaling (1: none)
	FreqFactors []float32 // per-pair divisors of θ (rope_freqs.weight), or nil
}
