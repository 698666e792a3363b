package matmul

import (
	"fmt"
	"math"
)

// Expf returns e^x rounded to float32, computed without math.Exp (which
// dominated attention profiles), in float64 with a fixed sequence of
// operations, so the result is the same on every platform and code path
// (SiLUMul's vector kernel repeats it operation by operation):
//
//	x = (k/32)·ln2 + r, k = round(32x/ln2) (by the 1.5·2^52 shift trick),
//	|r| ≤ ln2/64, e^x = 2^(k>>5) · 2^((k&31)/32) · e^r,
//
// with e^r from its degree-4 Taylor polynomial (relative error < 2e-12, far
// below float32's 6e-8) and 2^(i/32) from a table. Below −104, e^x is under
// half the smallest float32 subnormal and rounds to 0; above 88.8 it
// overflows to +Inf; NaN stays NaN.
func Expf(x float32) float32 {
	switch {
	case x < -104:
		return 0
	case x > 88.8:
		return float32(math.Inf(1))
	case x != x:
		return x
	}
	// Every product is wrapped in float64() so that no compiler fuses it
	// with the following addition into an FMA (arm64 would): the Go spec
	// makes an explicit conversion round.
	kf := float64(float64(x)*invLn2N) + shift - shift
	k := int64(kf)
	r := float64(x) - float64(kf*ln2N)
	p := float64(r * (1.0 / 24))
	p = float64(r * (1.0/6 + p))
	p = float64(r * (1.0/2 + p))
	p = float64(r * (1 + p))
	p = 1 + p
	return float32(p * exp2Table[k&31] * math.Float64frombits(uint64((k>>5)+1023)<<52))
}

// Expf's constants: a float64 below 2^51 plus shift rounds to an integer
// (kept in its low bits); 32/ln2 and ln2/32 scale to and from 1/32 steps.
const (
	shift   = 0x1.8p52
	invLn2N = 32 * 1.4426950408889634
	ln2N    = 0.6931471805599453 / 32
)

// expfConst are Expf's float64 constants as the vector kernel loads them:
// the same roundings of the same constant expressions.
var expfConst = [7]float64{invLn2N, shift, ln2N, 1.0 / 24, 1.0 / 6, 1.0 / 2, 1}

// exp2Table[i] = 2^(i/32).
var exp2Table = func() (t [32]float64) {
	for i := range t {
		t[i] = math.Exp2(float64(i) / 32)
	}
	return t
}()

// SiLUMul sets g[i] = silu(g[i])·u[i] with silu(z) = z/(1+Expf(−z)) in
// float32 (ggml_silu_f32's formula with our Expf), each operation rounded on
// its own: the feed-forward block's SwiGLU. The dispatched kernel does four
// (AVX2) or eight (AVX-512) at a time and gives the Go code's bits for every input but NaNs, whose
// payloads may differ (a NaN activation makes NaN logits, which the engine
// rejects). It panics if len(u) < len(g).
func SiLUMul(g, u []float32) {
	if len(u) < len(g) {
		panic(fmt.Sprintf("matmul: SiLUMul of lengths %d and %d", len(g), len(u)))
	}
	siluRows(g, u, 1, len(g), len(g))
}

// siluRows is SiLUMul of g[r·stride:][:width] and u's same elements for
// each r < rows, in one kernel call (MatMulSwiGLU's column chunks).
func siluRows(g, u []float32, rows, width, stride int) {
	if rows < 1 || width < 1 {
		return
	}
	end := (rows-1)*stride + width
	g, u = g[:end], u[:end]
	w := width &^ (siluStep - 1)
	if w > 0 {
		siluMulK(g, u, rows, w, stride)
	}
	for r := 0; w < width && r < rows; r++ {
		siluMulGeneric(g[r*stride+w:r*stride+width], u[r*stride+w:r*stride+width])
	}
}

// siluRowsGeneric is siluRows in Go, the vector kernels' twin (siluMulK),
// the caller having checked the lengths.
func siluRowsGeneric(g, u []float32, rows, width, stride int) {
	for r := range rows {
		siluMulGeneric(g[r*stride:r*stride+width], u[r*stride:r*stride+width])
	}
}

// siluMulGeneric is SiLUMul in Go.
func siluMulGeneric(g, u []float32) {
	u = u[:len(g)]
	for i, z := range g {
		s := z / (1 + Expf(-z))
		g[i] = s * u[i]
	}
}
