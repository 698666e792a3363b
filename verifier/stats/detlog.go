package stats

import "math"

// detLog returns the natural logarithm of x for finite x > 0 using only
// operations that IEEE 754 rounds identically on every platform (+, −, ×, ÷
// and the exact math.Frexp), with every product rounded by an explicit
// float64() conversion so that no compiler may fuse it into an FMA. Its
// error is a few ulps; what matters is that amd64 and arm64 return the same
// bits, which math.Log does not promise: amd64 uses assembly, arm64 pure Go
// (which the compiler may fuse), and they do differ, e.g. for the subnormal
// 2e-323 amd64's math.Log returns -709.0896 and arm64's -743.0538 (Go 1.26).
//
// Method: x = f·2^e with f ∈ [√½, √2), s = (f−1)/(f+1), and
// ln f = 2·atanh(s) = 2s·(1 + s²/3 + s⁴/5 + …); |s| ≤ 0.1716, so 13 terms of
// the series reach below 2^-53 relative.
//
// It is only called with arguments the package controls (1/α and 1+t), so
// non-positive, NaN or infinite input is a programmer error: it returns NaN.
func detLog(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 1) {
		return math.NaN()
	}
	f, e := math.Frexp(x) // x = f·2^e, f ∈ [0.5, 1), exact
	if f < math.Sqrt2/2 {
		f *= 2 // exact
		e--
	}
	s := (f - 1) / (f + 1) // f−1 is exact (Sterbenz)
	z := float64(s * s)
	// Horner form of Σ_{k=0}^{12} z^k/(2k+1).
	p := 1.0 / 25
	for k := 11; k >= 0; k-- {
		p = float64(p*z) + 1/float64(2*k+1)
	}
	// ln2 split so that e·ln2Hi is exact for |e| < 2^11.
	const (
		ln2Hi = 6.93147180369123816490e-01 // 0x3fe62e42fee00000
		ln2Lo = 1.90821492927058770002e-10 // 0x3dea39ef35793c76
	)
	fe := float64(e)
	return float64(fe*ln2Hi) + (float64(fe*ln2Lo) + float64(2*s*p))
}
