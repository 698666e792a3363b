package matmul

import "fmt"

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
