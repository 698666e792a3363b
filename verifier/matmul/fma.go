package matmul

import "math"

// fma32 returns a·b + c rounded once to float32 (round to nearest even):
// the IEEE 754 fusedMultiplyAdd of binary32, which x86's vfmadd231ps
// computes, written in portable Go so that the float tiles' Go twins give
// the SIMD tiles' bits on every GOARCH.
//
// float32(math.FMA(a, b, c)) is not enough: it rounds twice (to 53 bits,
// then to 24), and a sum just off a float32 midpoint can land on it in the
// first rounding and then go the wrong way (ties to even). Instead:
//
//   - p = a·b in float64 is exact (24 + 24 significant bits, exponent
//     within ±300);
//   - s = p + c rounds to nearest, and TwoSum (Knuth) gives its exact
//     error e = (p + c) − s;
//   - round to odd: if e ≠ 0 and s's last bit is even, s moves one ulp
//     toward e, so s is the exact sum or the odd neighbour it lies between;
//   - float32(s) rounds to nearest: round to odd with at least two extra
//     bits (53 ≥ 24 + 2) followed by round to nearest gives the correctly
//     rounded result (Boldo & Melquiond, "Emulation of FMA and correctly
//     rounded sums: proved algorithms using rounding to odd", IEEE Trans.
//     Computers 57(4), 2008), for subnormal and overflowing results too.
//
// The explicit float64 conversions keep the compiler from fusing any of it.
// NaN and Inf inputs take the exact IEEE path (no rounding is involved);
// see nanFMA for which NaN comes out.
func fma32(a, b, c float32) float32 {
	p := float64(float64(a) * float64(b)) // exact; the conversion forbids fusing it into s
	cc := float64(c)
	s := p + cc
	if s-s != 0 { // s is ±Inf or NaN: an Inf or NaN operand (finite ones stay below 2^257)
		return nanFMA(a, b, c, s)
	}
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	// Round to odd without branches (the condition is random in the data,
	// a branch on it costs more than the rest): add ±1 to s's bits when e
	// is nonzero and s's last bit even, +1 (away from zero) when s and e
	// have the same sign.
	sb, eb := math.Float64bits(s), math.Float64bits(e)
	nz := (eb<<1 | -(eb << 1)) >> 63 // e ≠ 0
	adj := nz & ^sb & 1
	same := ^(sb ^ eb) >> 63
	return float32(math.Float64frombits(sb + (adj&same)<<1 - adj))
}

// defaultNaN is x86's "QNaN floating-point indefinite", the NaN an invalid
// operation (Inf·0, Inf − Inf) produces from non-NaN operands.
const defaultNaN = 0xffc00000

// nanFMA is fma32 when a, b or c is ±Inf or NaN (s = a·b + c in float64).
// A NaN input is returned quieted, the first of b, a, c that is one: the
// choice of vfmadd231ps acc, x, w (acc = x·w + acc), which the tiles call
// with a = w, b = x, c = acc. An invalid operation gives defaultNaN, as on
// x86 (arm64's default NaN has the other sign); Inf results are exact.
func nanFMA(a, b, c float32, s float64) float32 {
	for _, v := range [3]float32{b, a, c} {
		if v != v {
			return math.Float32frombits(math.Float32bits(v) | 1<<22)
		}
	}
	if s != s {
		return math.Float32frombits(defaultNaN)
	}
	return float32(s)
}
