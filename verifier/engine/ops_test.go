package engine

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/model"
)

// TestTopIDs compares the heap selection with a full sort, on logits with
// many ties.
func TestTopIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, k int }{{1, 1}, {10, 3}, {10, 10}, {100, 1}, {1000, 40}, {513, 0}} {
		logits := make([]float32, tc.n)
		for i := range logits {
			logits[i] = float32(rng.IntN(20)) // ties everywhere
		}
		all := make([]int32, tc.n)
		for i := range all {
			all[i] = int32(i)
		}
		slices.SortStableFunc(all, func(a, b int32) int {
			switch {
			case logits[a] > logits[b]:
				return -1
			case logits[a] < logits[b]:
				return 1
			}
			return 0
		})
		got := topIDs(logits, tc.k)
		if !slices.Equal(got, all[:tc.k]) && !(tc.k == 0 && got == nil) {
			t.Errorf("n=%d k=%d: got %v, want %v", tc.n, tc.k, got, all[:tc.k])
		}
	}
}

// TestRope checks both styles against the textbook formula in float64:
// pair (a, b) rotated by θ = pos·base^(−2i/d) / factor_i · scale.
func TestRope(t *testing.T) {
	const hd, heads = 16, 3
	for _, style := range []model.RopeStyle{model.RopeNorm, model.RopeNeox} {
		for _, tc := range []struct {
			dim     int
			scale   float32
			factors []float32
		}{{16, 1, nil}, {8, 1, nil}, {16, 0.25, []float32{1, 2, 4, 8, 1, 1, 3, 1}}} {
			r := &Rope{Style: style, Dim: tc.dim, HeadDim: hd, Base: 10000, FreqScale: tc.scale, FreqFactors: tc.factors}
			pos := []int32{0, 1, 7, 300}
			rng := rand.New(rand.NewPCG(3, 4))
			q := make([]float32, len(pos)*heads*hd)
			for i := range q {
				q[i] = float32(rng.NormFloat64())
			}
			var k []float32 // one KV head per row, equal to q's head 0
			for i := range pos {
				k = append(k, q[i*heads*hd:][:hd]...)
			}
			orig := slices.Clone(q)
			NewCPU(2).Rope(q, k, pos, heads, 1, r)
			for i, p := range pos {
				for h := range heads {
					x, y := orig[(i*heads+h)*hd:][:hd], q[(i*heads+h)*hd:][:hd]
					for j := range tc.dim / 2 {
						a, b := 2*j, 2*j+1
						if style == model.RopeNeox {
							a, b = j, j+tc.dim/2
						}
						theta := float64(p) * math.Pow(10000, -2*float64(j)/float64(tc.dim)) * float64(tc.scale)
						if tc.factors != nil {
							theta /= float64(tc.factors[j])
						}
						c, s := math.Cos(theta), math.Sin(theta)
						wa := float64(x[a])*c - float64(x[b])*s
						wb := float64(x[a])*s + float64(x[b])*c
						if math.Abs(wa-float64(y[a])) > 1e-4 || math.Abs(wb-float64(y[b])) > 1e-4 {
							t.Fatalf("%v dim %d pos %d head %d pair %d: got (%g, %g), want (%g, %g)", style, tc.dim, p, h, j, y[a], y[b], wa, wb)
						}
					}
					for j := tc.dim; j < hd; j++ {
						if x[j] != y[j] {
							t.Fatalf("%v: element %d past the rotated dims changed", style, j)
						}
					}
				}
				if !slices.Equal(k[i*hd:(i+1)*hd], q[i*heads*hd:][:hd]) {
					t.Fatalf("%v: k head differs from the identical q head", style)
				}
			}
		}
	}
}

// TestAttention checks the CPU attention against a float64 loop, with GQA
// and two sequences in one batch, and its thread-count invariance.
func TestAttention(t *testing.T) {
	a := &AttnShape{Heads: 4, KVHeads: 2, HeadDim: 8, Scale: float32(1 / math.Sqrt(8))}
	spans := []Span{{0, 5}, {5, 9}}
	n := 14
	rng := rand.New(rand.NewPCG(5, 6))
	q, k, v := randomQKV(rng, n, a)
	qw, kw := a.Heads*a.HeadDim, a.KVHeads*a.HeadDim
	out1, out2 := make([]float32, n*qw), make([]float32, n*qw)
	NewCPU(1).Attention(out1, q, k, v, spans, a)
	NewCPU(3).Attention(out2, q, k, v, spans, a)
	if !slices.Equal(out1, out2) {
		t.Fatal("attention depends on the thread count")
	}
	for _, s := range spans {
		for i := range s.Len {
			for h := range a.Heads {
				kh := h / 2
				qi := q[(s.Start+i)*qw+h*a.HeadDim:][:a.HeadDim]
				sc := make([]float64, i+1)
				var z float64
				for j := range sc {
					kj := k[(s.Start+j)*kw+kh*a.HeadDim:][:a.HeadDim]
					for d := range qi {
						sc[j] += float64(qi[d]) * float64(kj[d])
					}
					sc[j] = math.Exp(sc[j] / math.Sqrt(8))
					z += sc[j]
				}
				for d := range a.HeadDim {
					var want float64
					for j := range sc {
						want += sc[j] / z * float64(v[(s.Start+j)*kw+kh*a.HeadDim+d])
					}
					if got := out1[(s.Start+i)*qw+h*a.HeadDim+d]; math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("row %d head %d dim %d: got %g, want %g", s.Start+i, h, d, got, want)
					}
				}
			}
		}
	}
}

// TestOutRows: the output chunk keeps the logits within 1/32 of the file,
// between 8 and outChunk rows.
func TestOutRows(t *testing.T) {
	for _, c := range []struct {
		file  int64
		vocab int
		want  int
	}{{1 << 16, 512, 8}, {1 << 20, 512, 16}, {349826048, 151936, 17}, {991827968, 151936, outChunk}, {16 << 20, 0, outChunk}} {
		if got := outRows(c.file, c.vocab); got != c.want {
			t.Errorf("outRows(%d, %d) = %d, want %d", c.file, c.vocab, got, c.want)
		}
		if got := outRows(c.file, c.vocab); c.vocab > 0 && got > 8 && int64(got)*4*int64(c.vocab) > c.file/32 {
			t.Errorf("outRows(%d, %d) = %d: logits over 1/32 of the file", c.file, c.vocab, got)
		}
	}
}

// TestAttentionPaths checks that the two CPU attention paths (one head per
// work item for short sequences, shared products for long ones) give
// bitwise the same output, and that a batch mixing both does not depend on
// the thread count.
func TestAttentionPaths(t *testing.T) {
	a := &AttnShape{Heads: 4, KVHeads: 2, HeadDim: 16, Scale: 0.25}
	L := attnLocalLen + 40 // more than one query block, and long
	spans := []Span{{0, 7}, {7, L}, {7 + L, 33}}
	n := 7 + L + 33
	rng := rand.New(rand.NewPCG(9, 10))
	q, k, v := randomQKV(rng, n, a)
	qw := a.Heads * a.HeadDim
	local, shared := make([]float32, n*qw), make([]float32, n*qw)
	c := NewCPU(2)
	defer c.Close()
	c.attentionLocal(local, q, k, v, spans, a)
	for _, sp := range spans {
		c.attentionShared(shared, q, k, v, sp, a)
	}
	if !slices.Equal(local, shared) {
		t.Fatal("per-head and shared attention differ")
	}
	for _, threads := range []int{1, 3} {
		out := make([]float32, n*qw)
		ct := NewCPU(threads)
		ct.Attention(out, q, k, v, spans, a)
		ct.Close()
		if !slices.Equal(out, local) {
			t.Fatalf("%d threads: attention differs", threads)
		}
	}
}

// TestLogSoftmaxNonFinite: a NaN or infinite logit is an error naming it,
// never a distribution.
func TestLogSoftmaxNonFinite(t *testing.T) {
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		logits := []float32{0.5, -1, 2, 0}
		logits[2] = bad
		if _, err := logSoftmax(logits, 2, nil, false, false); err == nil || !strings.Contains(err.Error(), "token 2") {
			t.Errorf("logit %v: err = %v", bad, err)
		}
	}
	d, err := logSoftmax([]float32{-0.0, 0, -3}, 1, nil, false, true)
	if err != nil || d.TopIDs[0] != 0 || d.Full[0] != d.Full[1] {
		t.Fatalf("zeros: %+v, %v", d, err)
	}
}

// randomQKV draws standard normal q, k, v for n rows of attention shape a.
func randomQKV(rng *rand.Rand, n int, a *AttnShape) (q, k, v []float32) {
	fill := func(m int) []float32 {
		x := make([]float32, m)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	qw, kw := a.Heads*a.HeadDim, a.KVHeads*a.HeadDim
	return fill(n * qw), fill(n * kw), fill(n * kw)
}
