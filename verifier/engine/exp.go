package engine

import "math"

// expf returns e^x rounded to float32, computed without math.Exp (which
// dominated attention profiles), in float64 with a fixed sequence of
// operations, so the result is the same on every platform:
//
//	x = (k/32)·ln2 + r, k = round(32x/ln2) (by the 1.5·2^52 shift trick),
//	|r| ≤ ln2/64, e^x = 2^(k>>5) · 2^((k&31)/32) · e^r,
//
// with e^r from its degree-4 Taylor polynomial (relative error < 2e-12, far
// below float32's 6e-8) and 2^(i/32) from a table. Below −104, e^x is under
// half the smallest float32 subnormal and rounds to 0; above 88.8 it
// overflows to +Inf; NaN stays NaN.
func expf(x float32) float32 {
	switch {
	case x < -104:
		return 0
	case x > 88.8:
		return float32(math.Inf(1))
	case x != x:
		return x
	}
	const (
		shift   = 0x1.8p52 // adding it rounds a float64 below 2^51 to an integer
		invLn2N = 32 * 1.4426950408889634
		ln2N    = 0.6931471805599453 / 32
	)
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

// exp2Table[i] = 2^(i/32).
var exp2Table = func() (t [32]float64) {
	for i := range t {
		t[i] = math.Exp2(float64(i) / 32)
	}
	return t
}()
