package metalbridge

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/model"
	"github.com/proof-of-training/pot/verifier/quant"
)

// SelfTest is the outcome of running every kernel next to the CPU backend
// on small random inputs. The app records it in certificates with the
// backend's name; a failed self-test means the caller should use the CPU
// backend instead.
type SelfTest struct {
	Ran    bool
	OK     bool
	Checks []Check
}

// Check is one comparison: Err = max |gpu − cpu| / rms(cpu) over the
// outputs of operation Op (with weight type Type for matrix products),
// passing when Err ≤ Tol. (row_max_lse and row_topk are compared with the
// host's scoring instead; see scoring.)
type Check struct {
	Op   string  `json:"op"`
	Type string  `json:"type,omitempty"`
	Err  float64 `json:"err"`
	Tol  float64 `json:"tol"`
}

// String summarizes the self-test: "ok (N checks)" or the failures.
func (s SelfTest) String() string {
	if !s.Ran {
		return "not run"
	}
	var bad []string
	for _, c := range s.Checks {
		if !(c.Err <= c.Tol) {
			bad = append(bad, fmt.Sprintf("%s %s: error %.3g > %.3g", c.Op, c.Type, c.Err, c.Tol))
		}
	}
	if len(bad) == 0 {
		return fmt.Sprintf("ok (%d checks)", len(s.Checks))
	}
	return "FAILED: " + strings.Join(bad, "; ")
}

// Tolerances of the self-test, as max |gpu − cpu| / rms(cpu). They are set
// from the errors measured on the emulator (metalbridge README section of
// the top-level README) with a margin of 3× or more; a Mac's GPU rounds
// exp/cos/sin and FMAs somewhat differently, which the margins cover, and
// a broken kernel gives errors of order 1. The CPU backend converts the
// activations to the weight's vec_dot type (F16 for F16, BF16 for BF16,
// 8-bit Q8_0/Q8_1/Q8_K for quantized weights) and the GPU keeps them in
// float, so matrix products differ by that conversion; mul_mm rounds both
// operands to half.
const (
	tolExact   = 0    // add, add_row: one float addition each
	tolElt     = 1e-5 // swiglu, rms_norm, rope: libm-level differences
	tolAttn    = 1e-4 // online vs two-pass softmax, summation order
	tolLSE     = 1e-4 // row_max_lse: float vs float64 sums (absolute, in nats)
	tolMatF    = 1e-4 // F32 weights, float activations (mul_mv)
	tolMatHalf = 4e-3 // F16 weights (the CPU rounds x to half), or mul_mm
	tolMatBF16 = 2e-2 // BF16 weights: the CPU rounds x to bfloat16 (measured ≤ 6.1e-3)
	tolMatQ    = 1e-1 // quantized weights: the CPU's 8-bit activations (measured ≤ 3.5e-2)
)

// selfTestShape sizes the random inputs: big enough to cover edge tiles
// (rows not a multiple of 32, a batch past one mul_mm tile) and every
// block type (cols 256), small enough to run in milliseconds on a GPU.
const (
	stRows  = 40
	stCols  = 256
	stMV    = 3  // batch for mul_mv
	stMM    = 37 // batch for mul_mm: two token tiles, the second partial
	stDim   = 96
	stHeads = 4
	stKV    = 2
	stHD    = 40
)

// RunSelfTest compares gpu with cpu on every operation and every
// supported weight type, on inputs drawn from seed, and stores the result
// in gpu (see Backend.SelfTest). An error means the comparison could not
// run (a Sync failed); mismatches are reported in the result, not as
// errors.
func RunSelfTest(gpu *Backend, cpu engine.Backend, seed uint64) (SelfTest, error) {
	st := selfTester{gpu: gpu, cpu: cpu, rng: rand.New(rand.NewPCG(seed, 0x90d))}
	res := SelfTest{Ran: true}
	for _, f := range []func() ([]Check, error){st.matmuls, st.elementwise, st.rope, st.attention, st.scoring} {
		cs, err := f()
		if err != nil {
			return SelfTest{}, err
		}
		res.Checks = append(res.Checks, cs...)
	}
	res.OK = true
	for _, c := range res.Checks {
		res.OK = res.OK && c.Err <= c.Tol
	}
	gpu.selfTest = res
	return res, nil
}

type selfTester struct {
	gpu *Backend
	cpu engine.Backend
	rng *rand.Rand
}

// pair allocates the same random values on both backends.
func (s *selfTester) pair(n int, scale float64) (g, c []float32) {
	g, c = s.gpu.Alloc(n), s.cpu.Alloc(n)
	for i := range g {
		v := float32(s.rng.NormFloat64() * scale)
		g[i], c[i] = v, v
	}
	return g, c
}

// sync waits for both backends.
func (s *selfTester) sync() error {
	if err := s.gpu.Sync(); err != nil {
		return err
	}
	return s.cpu.Sync()
}

// relErr is max |g − c| / rms(c) (NaN anywhere gives +Inf).
func relErr(g, c []float32) float64 {
	var maxd, ss float64
	for i := range c {
		d := math.Abs(float64(g[i]) - float64(c[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		maxd = max(maxd, d)
		ss += float64(c[i]) * float64(c[i])
	}
	if maxd == 0 {
		return 0
	}
	return maxd / math.Sqrt(ss/float64(max(len(c), 1))+1e-30)
}

// RandomWeight returns a rows×cols weight of type t with random contents:
// Gaussian values quantized where package quant can, random blocks with
// small scales for the dequantize-only types (Q2_K, Q3_K).
func RandomWeight(t quant.Type, rows, cols int, rng *rand.Rand) (*model.Tensor, error) {
	rb, err := quant.RowSize(t, int64(cols))
	if err != nil {
		return nil, err
	}
	data := make([]byte, int(rb)*rows)
	if quant.Supported(t) {
		f := make([]float32, rows*cols)
		for i := range f {
			f[i] = float32(rng.NormFloat64() * 0.5)
		}
		if err := quant.Quantize(t, f, data); err != nil {
			return nil, err
		}
	} else {
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		bs := t.TypeSize()
		for o := 0; o < len(data); o += bs {
			for _, at := range halfFields(t) {
				binary.LittleEndian.PutUint16(data[o+at:], quant.F32ToF16(float32(rng.Float64()*0.02+0.001)))
			}
		}
	}
	return &model.Tensor{Info: &gguf.TensorInfo{Name: "selftest." + t.String()}, Type: t, Rows: rows, Cols: cols, Data: data}, nil
}

// halfFields are the offsets of the f16 scales in a block of the
// dequantize-only types.
func halfFields(t quant.Type) []int {
	switch t {
	case quant.Q2_K:
		return []int{80, 82}
	case quant.Q3_K:
		return []int{108}
	}
	return nil
}

// matmuls checks mul_mv and mul_mm for every supported type.
func (s *selfTester) matmuls() ([]Check, error) {
	var out []Check
	for _, t := range supportedTypes {
		wt, err := RandomWeight(t, stRows, stCols, s.rng)
		if err != nil {
			return nil, err
		}
		gw, err := s.gpu.NewWeight(wt)
		if err != nil {
			return nil, err
		}
		cw, err := s.cpu.NewWeight(wt)
		if err != nil {
			return nil, err
		}
		for _, c := range []struct {
			kernel string
			n      int
		}{{kMulMV, stMV}, {kMulMM, stMM}} {
			gx, cx := s.pair(c.n*stCols, 1)
			gy, cy := s.gpu.Alloc(c.n*stRows), s.cpu.Alloc(c.n*stRows)
			s.gpu.matMul(c.kernel, gx, c.n, []engine.Weight{gw}, [][]float32{gy})
			s.cpu.MatMul(cx, c.n, []engine.Weight{cw}, [][]float32{cy})
			if err := s.sync(); err != nil {
				return nil, err
			}
			out = append(out, Check{Op: c.kernel, Type: t.String(), Err: relErr(gy, cy), Tol: matTol(t, c.kernel)})
			if c.kernel != kMulMM {
				continue
			}
			// Batch invariance: rows 30…32 alone (another tile position,
			// another batch size) must give the same bits.
			const r0, m = 30, 3
			sy := s.gpu.Alloc(m * stRows)
			s.gpu.matMul(kMulMM, gx[r0*stCols:], m, []engine.Weight{gw}, [][]float32{sy})
			if err := s.gpu.Sync(); err != nil {
				return nil, err
			}
			var diff float64
			for i, v := range sy {
				diff = max(diff, math.Abs(float64(v)-float64(gy[r0*stRows+i])))
			}
			out = append(out, Check{Op: "mul_mm-batch-invariance", Type: t.String(), Err: diff, Tol: 0})
		}
	}
	return out, nil
}

// matTol is the tolerance of a product of type t by kernel.
func matTol(t quant.Type, kernel string) float64 {
	switch {
	case t == quant.BF16:
		return tolMatBF16
	case t != quant.F32 && t != quant.F16:
		return tolMatQ
	case t == quant.F16 || kernel == kMulMM:
		return tolMatHalf
	}
	return tolMatF
}

// elementwise checks rms_norm, add_row, add and swiglu.
func (s *selfTester) elementwise() ([]Check, error) {
	const n = 5
	gx, cx := s.pair(n*stDim, 2)
	gw, cw := s.pair(stDim, 1)
	gb, cb := s.pair(stDim, 1)
	gy, cy := s.pair(n*stDim, 1)
	gn, cn := s.gpu.Alloc(n*stDim), s.cpu.Alloc(n*stDim)
	var out []Check
	step := func(op string, tol float64, g, c []float32, run func(be engine.Backend, x, w, b, y, nrm []float32)) error {
		run(s.gpu, gx, gw, gb, gy, gn)
		run(s.cpu, cx, cw, cb, cy, cn)
		if err := s.sync(); err != nil {
			return err
		}
		out = append(out, Check{Op: op, Err: relErr(g, c), Tol: tol})
		return nil
	}
	steps := []struct {
		op   string
		tol  float64
		g, c []float32
		run  func(be engine.Backend, x, w, b, y, nrm []float32)
	}{
		{kRMSNorm, tolElt, gn, cn, func(be engine.Backend, x, w, _, _, nrm []float32) { be.RMSNorm(nrm, x, w, n, 1e-5) }},
		{kAddRow, tolExact, gx, cx, func(be engine.Backend, x, _, b, _, _ []float32) { be.AddRow(x, b, n) }},
		{kAdd, tolExact, gx, cx, func(be engine.Backend, x, _, _, y, _ []float32) { be.Add(x, y) }},
		{kSwiGLU, tolElt, gx, cx, func(be engine.Backend, x, _, _, y, _ []float32) { be.SwiGLU(x, y) }},
	}
	for _, st := range steps {
		if err := step(st.op, st.tol, st.g, st.c, st.run); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// rope checks both rotation styles, full and partial, with and without
// frequency factors.
func (s *selfTester) rope() ([]Check, error) {
	const n = 6
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = int32(s.rng.IntN(4000))
	}
	factors := make([]float32, stHD/2)
	for i := range factors {
		factors[i] = float32(1 + s.rng.Float64()*3)
	}
	var out []Check
	for _, c := range []struct {
		name  string
		style model.RopeStyle
		dim   int
		ff    []float32
	}{
		{"rope", model.RopeNorm, stHD, nil},
		{"rope-neox", model.RopeNeox, stHD, nil},
		{"rope-neox-partial", model.RopeNeox, stHD / 2, factors[:stHD/4]},
		{"rope-factors", model.RopeNorm, stHD, factors},
	} {
		r := &engine.Rope{Style: c.style, Dim: c.dim, HeadDim: stHD, Base: 10000, FreqScale: 1, FreqFactors: c.ff}
		gq, cq := s.pair(n*stHeads*stHD, 1)
		gk, ck := s.pair(n*stKV*stHD, 1)
		s.gpu.Rope(gq, gk, pos, stHeads, stKV, r)
		s.cpu.Rope(cq, ck, pos, stHeads, stKV, r)
		if err := s.sync(); err != nil {
			return nil, err
		}
		out = append(out, Check{Op: c.name, Err: max(relErr(gq, cq), relErr(gk, ck)), Tol: tolElt})
	}
	return out, nil
}

// attention checks causal attention over two sequences in one batch.
func (s *selfTester) attention() ([]Check, error) {
	spans := []engine.Span{{Start: 0, Len: 5}, {Start: 5, Len: 9}}
	const n = 14
	a := &engine.AttnShape{Heads: stHeads, KVHeads: stKV, HeadDim: stHD, Scale: float32(1 / math.Sqrt(stHD))}
	gq, cq := s.pair(n*stHeads*stHD, 1)
	gk, ck := s.pair(n*stKV*stHD, 1)
	gv, cv := s.pair(n*stKV*stHD, 1)
	gout, cout := s.gpu.Alloc(n*stHeads*stHD), s.cpu.Alloc(n*stHeads*stHD)
	s.gpu.Attention(gout, gq, gk, gv, spans, a)
	s.cpu.Attention(cout, cq, ck, cv, spans, a)
	if err := s.sync(); err != nil {
		return nil, err
	}
	return []Check{{Op: kAttention, Err: relErr(gout, cout), Tol: tolAttn}}, nil
}

// scoring checks the scored-position kernels, which have no CPU-backend
// twin (the engine scores on the host), against the host's float64 log-sum
// and its top-k order: row_max_lse's error is absolute (nats), row_topk's
// is the number of ids out of place.
func (s *selfTester) scoring() ([]Check, error) {
	const n, dim, k = 3, 1000, 16
	x, res, ids := s.gpu.Alloc(n*dim), s.gpu.Alloc(2*n), s.gpu.Alloc(n*k)
	for i := range x {
		x[i] = float32(s.rng.NormFloat64() * 4)
	}
	s.gpu.RowMaxLSE(res, x, n, dim)
	s.gpu.TopK(ids, x, n, dim, k)
	if err := s.gpu.Sync(); err != nil {
		return nil, err
	}
	var lseErr, wrong float64
	for i := range n {
		row := x[i*dim : (i+1)*dim]
		m := float64(slices.Max(row))
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - m)
		}
		lseErr = max(lseErr, math.Abs(float64(res[2*i])-m)+math.Abs(float64(res[2*i+1])-math.Log(z)))
		order := make([]int, dim)
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(row[b], row[a]) })
		for j := range k {
			if int(ids[i*k+j]) != order[j] {
				wrong++
			}
		}
	}
	return []Check{{Op: kRowMaxLSE, Err: lseErr, Tol: tolLSE}, {Op: kRowTopK, Err: wrong, Tol: 0}}, nil
}
