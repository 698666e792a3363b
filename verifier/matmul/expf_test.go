package matmul

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestExpf compares Expf with math.Exp: at most one float32 ulp apart over
// the whole useful range, exact at 0, 0 far below, +Inf above.
func TestExpf(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	worst := 0.0
	for i := range 200000 {
		x := float32(rng.Float64()*200 - 110)
		if i < 1000 {
			x = float32(rng.Float64()*2 - 1)
		}
		want := float32(math.Exp(float64(x)))
		got := Expf(x)
		if want == got {
			continue
		}
		ulp := math.Abs(float64(math.Float32bits(got)) - float64(math.Float32bits(want)))
		if ulp > 1 {
			t.Fatalf("Expf(%g) = %g, want %g", x, got, want)
		}
		worst = max(worst, ulp)
	}
	if Expf(0) != 1 || Expf(-200) != 0 || !math.IsInf(float64(Expf(100)), 1) || !math.IsNaN(float64(Expf(float32(math.NaN())))) {
		t.Error("special values")
	}
}

// TestSiLUMulLikeGeneric: every SiLU kernel this CPU runs (siluKernels)
// gives the Go code's bits on random activations over the whole float32
// range (the Expf cut-offs at −104 and 88.8, ±Inf, subnormals and zeros
// among them), at lengths around their four- and eight-lane steps; a NaN
// in gives a NaN out.
func TestSiLUMulLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), 104, -104, 104.00001, -88.8, -88.80001, 88.8, 1e-40, -1e-40,
		float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e30, -1e30, 0.5, -0.5}
	for _, n := range []int{1, 3, 4, 7, 8, 12, 64, 4864 + 3, 4864 + 7} {
		g, u := make([]float32, n), make([]float32, n)
		for i := range g {
			switch rng.IntN(4) {
			case 0:
				g[i] = special[rng.IntN(len(special))]
			case 1:
				g[i] = float32(rng.NormFloat64() * 3)
			case 2:
				g[i] = float32(rng.Float64()*240 - 120)
			default:
				g[i] = math.Float32frombits(rng.Uint32()&^(0xff<<23) | uint32(rng.IntN(255))<<23) // any finite
			}
			u[i] = float32(rng.NormFloat64())
			if rng.IntN(50) == 0 {
				u[i] = special[rng.IntN(len(special))]
			}
		}
		want := slices.Clone(g)
		siluMulGeneric(want, u)
		for _, k := range siluKernels() {
			got := slices.Clone(g)
			func() {
				defer func(fn func(g, u []float32, rows, width, stride int), step int) { siluMulK, siluStep = fn, step }(siluMulK, siluStep)
				siluMulK, siluStep = k.fn, k.step
				SiLUMul(got, u)
			}()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, n %d: silu(%g)·%g = %g (%#x), want %g (%#x)", k.name, n, g[i], u[i], got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
	g := []float32{1, float32(math.NaN()), 2, 3, float32(math.NaN())}
	SiLUMul(g, []float32{1, 1, 1, 1, 1})
	if !math.IsNaN(float64(g[1])) || !math.IsNaN(float64(g[4])) || math.IsNaN(float64(g[0])) {
		t.Errorf("NaN in, %v out", g)
	}
}

// TestSiLURowsLikeGeneric: every SiLU kernel, called on strided rows (a
// column band, as MatMulSwiGLU calls them), gives the Go loop's bits there
// and leaves the elements between the rows alone.
func TestSiLURowsLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, k := range append(siluKernels(), siluKernel{"generic", siluRowsGeneric, 1}) {
		for _, c := range [][3]int{{1, 24, 24}, {5, 16, 40}, {64, 24, 100}, {3, 13, 13}, {7, 9, 31}} {
			rows, width, stride := c[0], c[1], c[2]
			g0, u := make([]float32, rows*stride), make([]float32, rows*stride)
			for i := range g0 {
				g0[i], u[i] = float32(rng.NormFloat64()*4), float32(rng.NormFloat64())
			}
			want := slices.Clone(g0)
			for r := range rows {
				siluMulGeneric(want[r*stride:r*stride+width], u[r*stride:])
			}
			got := slices.Clone(g0)
			func() {
				defer func(fn func(g, u []float32, rows, width, stride int), step int) { siluMulK, siluStep = fn, step }(siluMulK, siluStep)
				siluMulK, siluStep = k.fn, k.step
				siluRows(got, u, rows, width, stride)
			}()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s, %d rows of %d at stride %d: element %d = %g, want %g", k.name, rows, width, stride, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkSiLUMul: one FFN row chunk of SwiGLU (128 rows × 4864) on each
// kernel this CPU runs (siluKernels) and the Go loop.
func BenchmarkSiLUMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(21, 22))
	g0, u := make([]float32, 128*4864), make([]float32, 128*4864)
	for i := range g0 {
		g0[i], u[i] = float32(rng.NormFloat64()*3), float32(rng.NormFloat64())
	}
	g := make([]float32, len(g0))
	for _, k := range append(siluKernels(), siluKernel{"generic", siluRowsGeneric, 1}) {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(g)))
			defer func(fn func(g, u []float32, rows, width, stride int), step int) { siluMulK, siluStep = fn, step }(siluMulK, siluStep)
			siluMulK, siluStep = k.fn, k.step
			for b.Loop() {
				copy(g, g0)
				SiLUMul(g, u)
			}
		})
	}
}

// siluKernel is one SiLUMul kernel: fn takes lengths that are multiples of
// step.
type siluKernel struct {
	name string
	fn   func(g, u []float32, rows, width, stride int)
	step int
}
