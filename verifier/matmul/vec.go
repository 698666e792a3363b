package matmul

import (
	"fmt"
	"math"
)

// Vector helpers for the attention part of the forward pass. They never
// fuse a multiply with an add (unlike the F32 matrix tiles), and their
// summation order is fixed and documented, so every code path gives bitwise
// the same result.

// Dot returns Σ a[i]·b[i] in this order: sixteen partial sums
// p[k] = Σ_{i ≡ k (mod 16)} a[i]·b[i], each accumulated in increasing i with
// the product rounded to float32 before the add; then p[k] += p[k+8] (k < 8),
// p[k] += p[k+4] (k < 4), p[k] += p[k+2] (k < 2), and p[0] + p[1]. It panics
// if len(a) != len(b).
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("matmul: Dot of lengths %d and %d", len(a), len(b)))
	}
	var p [16]float32
	n := len(a) &^ 15
	if n > 0 {
		dot16(a[:n], b[:n], &p)
	}
	for i := n; i < len(a); i++ {
		p[i-n] += float32(a[i] * b[i])
	}
	for k := range 8 {
		p[k] += p[k+8]
	}
	for k := range 4 {
		p[k] += p[k+4]
	}
	p[0] += p[2]
	p[1] += p[3]
	return p[0] + p[1]
}

// dot16Generic accumulates p[k] += a[i]·b[i] for i ≡ k (mod 16); len(a) is a
// multiple of 16 and equals len(b).
func dot16Generic(a, b []float32, p *[16]float32) {
	for i := 0; i < len(a); i += 16 {
		a, b := a[i:i+16], b[i:i+16]
		for k := range 16 {
			p[k] += float32(a[k] * b[k])
		}
	}
}

// Axpy computes y[i] += alpha·x[i] (product rounded, then the add), the
// weighted sum of value vectors in attention. It panics if len(x) != len(y).
func Axpy(alpha float32, x, y []float32) {
	if len(x) != len(y) {
		panic(fmt.Sprintf("matmul: Axpy of lengths %d and %d", len(x), len(y)))
	}
	n := len(x) &^ 7
	if n > 0 {
		axpy8(alpha, x[:n], y[:n])
	}
	for i := n; i < len(x); i++ {
		y[i] += float32(alpha * x[i])
	}
}

// axpy8Generic is Axpy for len(x) a multiple of 8.
func axpy8Generic(alpha float32, x, y []float32) {
	for i, v := range x {
		y[i] += float32(alpha * v)
	}
}

// ExpSum sets e[j] = exp(x[j] − m) for every j, computed in float32 by
// exp32, and returns Σ e[j] in float64 in this order: eight partial sums
// p[k] = Σ_{j ≡ k (mod 8)} e[j], each in increasing j, then p[k] += p[k+4]
// (k < 4), p[0] += p[2], p[1] += p[3], and p[0] + p[1]. It is the
// normalizer of a log-softmax over a vocabulary (m the largest logit, so
// every x[j] − m ≤ 0); x must be finite. It panics if len(e) != len(x).
func ExpSum(e, x []float32, m float32) float64 {
	if len(e) != len(x) {
		panic(fmt.Sprintf("matmul: ExpSum of lengths %d and %d", len(e), len(x)))
	}
	var p [8]float64
	n := len(x) &^ 7
	if n > 0 {
		expSum8(e[:n], x[:n], m, &p)
	}
	for j := n; j < len(x); j++ {
		e[j] = exp32(x[j] - m)
		p[j-n] += float64(e[j])
	}
	for k := range 4 {
		p[k] += p[k+4]
	}
	p[0] += p[2]
	p[1] += p[3]
	return p[0] + p[1]
}

// expSum8Generic is ExpSum's loop for len(x) a multiple of 8: e[j] and
// p[j mod 8] += e[j].
func expSum8Generic(e, x []float32, m float32, p *[8]float64) {
	for i := 0; i < len(x); i += 8 {
		x, e := x[i:i+8], e[i:i+8]
		for k := range 8 {
			e[k] = exp32(x[k] - m)
			p[k] += float64(e[k])
		}
	}
}

// exp32 constants: the range reduction t = n·ln2 + r with ln2 split in a
// part with few significant bits (n·expC1 is exact) and the rest, and the
// minimax polynomial for (exp(r) − 1 − r)/r² on |r| ≤ ln2/2 (the classic
// single-precision coefficients).
const (
	expLo    = -87.0          // below: 0 (exp(−87) ≈ 1.6e−38, the normal range's edge)
	expLog2e = 1.44269504     // 1/ln2
	expMagic = 12582912.0     // 1.5·2^23: adding it rounds to an integer
	expC1    = 0.693359375    // ln2 high part (9 bits)
	expC2    = -2.12194440e-4 // ln2 − expC1
	expP0    = 1.9875691500e-4
	expP1    = 1.3981999507e-3
	expP2    = 8.3334519073e-3
	expP3    = 4.1665795894e-2
	expP4    = 1.6666665459e-1
	expP5    = 5.0000001201e-1
)

// exp32 returns e^t for t ≤ 0 within one float32 ulp (+0 below expLo),
// with float32 operations only, each rounded on its own (the explicit
// conversions keep the compiler from fusing a multiply and an add), so that
// the SIMD kernels give the same bits: n = round(t·log2e), r = t − n·ln2 in
// two steps, y = 1 + r + r²·P(r), times 2^n built in the exponent bits.
func exp32(t float32) float32 {
	if t < expLo {
		return 0
	}
	f := float32(float32(t*expLog2e) + expMagic) // 2^23 ≤ f < 2^24: n in the low bits
	n := f - expMagic
	r := t - float32(n*expC1)
	r -= float32(n * expC2)
	z := float32(r * r)
	p := float32(float32(expP0*r) + expP1)
	p = float32(float32(p*r) + expP2)
	p = float32(float32(p*r) + expP3)
	p = float32(float32(p*r) + expP4)
	p = float32(float32(p*r) + expP5)
	y := float32(float32(float32(p*z)+r) + 1)
	scale := math.Float32frombits(uint32(int32(math.Float32bits(f)-math.Float32bits(expMagic))+127) << 23)
	return y * scale
}
