package matmul

import (
	"math"
	"runtime"
)

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

// nanFMA is fma32 when a, b or c is ±Inf or NaN (s = a·b + c in float64):
// no rounding is involved, only which NaN comes out, which differs between
// the instruction sets the tiles use, so the Go twins follow the host's
// (the tiles call the instruction with a = w, b = x, c = acc):
//
//   - x86 (vfmadd231ps acc, x, w, acc = x·w + acc): the first of b, a, c
//     that is a NaN, quieted; an invalid operation (Inf·0, Inf − Inf) gives
//     the "QNaN floating-point indefinite" 0xffc00000.
//   - arm64 (FMLA acc, w, x; FPCR.DN clear, the default): a signalling NaN
//     among c, a, b (in that order) before a quiet one, quieted; Inf·0 gives
//     the default NaN 0x7fc00000 even when c is a quiet NaN; other invalid
//     operations too.
//
// Other GOARCHes have no float tiles; they take x86's choice.
func nanFMA(a, b, c float32, s float64) float32 {
	if runtime.GOARCH == "arm64" {
		return nanFMAArm(a, b, c, s)
	}
	for _, v := range [3]float32{b, a, c} {
		if v != v {
			return quiet(v)
		}
	}
	if s != s {
		return math.Float32frombits(0xffc00000)
	}
	return float32(s)
}

// nanFMAArm is nanFMA's arm64 choice (Arm ARM, FPMulAdd and FPProcessNaNs3).
func nanFMAArm(a, b, c float32, s float64) float32 {
	const defaultNaN = 0x7fc00000
	infTimesZero := math.IsInf(float64(a), 0) && b == 0 || a == 0 && math.IsInf(float64(b), 0)
	if c != c && !signalling(c) && infTimesZero {
		return math.Float32frombits(defaultNaN)
	}
	ops := [3]float32{c, a, b}
	for _, v := range ops {
		if v != v && signalling(v) {
			return quiet(v)
		}
	}
	for _, v := range ops {
		if v != v {
			return v
		}
	}
	if s != s {
		return math.Float32frombits(defaultNaN)
	}
	return float32(s)
}

// quiet sets a NaN's quiet bit.
func quiet(v float32) float32 { return math.Float32frombits(math.Float32bits(v) | 1<<22) }

// signalling reports whether a NaN has its quiet bit clear.
func signalling(v float32) bool { return math.Float32bits(v)&(1<<22) == 0 }
