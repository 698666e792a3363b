package matmul

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// fma32Exact is the reference for fma32: a·b + c computed exactly with
// big.Float, then rounded to nearest even float32 (subnormals, overflow to
// ±Inf, and IEEE zero signs included). Finite inputs only.
func fma32Exact(a, b, c float32) float32 {
	var p, s big.Float
	p.SetPrec(200).Mul(big.NewFloat(float64(a)), big.NewFloat(float64(b)))
	s.SetPrec(400).Add(&p, big.NewFloat(float64(c)))
	if s.Sign() == 0 {
		// an exact zero: −0 only if the product and c are both −0
		// (round to nearest); cancellation of nonzero values gives +0
		sp := math.Signbit(float64(a)) != math.Signbit(float64(b))
		if (a == 0 || b == 0) && c == 0 && sp && math.Signbit(float64(c)) {
			return float32(math.Copysign(0, -1))
		}
		return 0
	}
	f, _ := s.Float32()
	return f
}

// randF32 returns a float32 with random sign, exponent in [lo, hi] (binary,
// unbiased; below −126 gives subnormals) and random significand.
func randF32(rng *rand.Rand, lo, hi int) float32 {
	e := lo + rng.IntN(hi-lo+1)
	m := 1 + float64(rng.Uint32()>>9)*0x1p-23
	v := float32(math.Ldexp(m, e)) // rounds if subnormal
	if rng.IntN(2) == 0 {
		v = -v
	}
	return v
}

// fmaTriples yields random and adversarial finite triples: every exponent
// range (subnormal, huge, products that overflow float32 but cancel), sums
// constructed next to and exactly on float32 midpoints (where rounding the
// exact sum to float64 first would go wrong), exact cancellations and
// signed zeros.
func fmaTriples(rng *rand.Rand, n int, yield func(a, b, c float32)) {
	zeros := []float32{0, float32(math.Copysign(0, -1))}
	for i := range n {
		var a, b, c float32
		switch i % 8 {
		case 0: // ordinary
			a, b, c = randF32(rng, -20, 20), randF32(rng, -20, 20), randF32(rng, -40, 40)
		case 1: // anything finite
			a, b, c = randF32(rng, -149, 127), randF32(rng, -149, 127), randF32(rng, -149, 127)
		case 2: // subnormal products and addends
			a, b, c = randF32(rng, -100, -40), randF32(rng, -100, -40), randF32(rng, -149, -120)
		case 3: // huge: overflow unless c cancels
			a, b = randF32(rng, 60, 127), randF32(rng, 60, 127)
			c = -float32(math.Max(-math.MaxFloat32, math.Min(math.MaxFloat32, float64(a)*float64(b))))
			if rng.IntN(2) == 0 {
				c = randF32(rng, 100, 127)
			}
		case 4, 5: // p + c next to or on a float32 midpoint
			a, b = randF32(rng, -60, 60), randF32(rng, -60, 60)
			p := float64(a) * float64(b)
			r := float32(p)
			if k := rng.IntN(5) - 2; k != 0 { // a few ulps off
				r = math.Float32frombits(uint32(int32(math.Float32bits(r)) + int32(k)))
			}
			up := math.Nextafter32(r, float32(math.Inf(1)))
			mid := (float64(r) + float64(up)) / 2
			if i%8 == 5 {
				// c plus its half ulp times (1 − 2^−2u) = (1 + 2^−u)(1 − 2^−u):
				// within 2^−46 ulp of a midpoint, which float64 rounds onto
				c = randF32(rng, -126+40, 100)
				u := 12 + rng.IntN(12)
				a = float32(math.Ldexp(1+math.Ldexp(1, -u), int(math.Ilogb(float64(c)))-24))
				b = float32(1 - math.Ldexp(1, -u))
				if rng.IntN(2) == 0 {
					a, b = -a, -b
				}
				if rng.IntN(2) == 0 {
					a = -a
				}
				break
			}
			c = float32(mid - p)
		case 6: // exact cancellation and residues
			a, b = randF32(rng, -30, 30), randF32(rng, -30, 30)
			c = -float32(float64(a) * float64(b))
		case 7: // zeros
			a, b, c = randF32(rng, -10, 10), zeros[rng.IntN(2)], zeros[rng.IntN(2)]
			if rng.IntN(2) == 0 {
				a, b = b, a
			}
			if rng.IntN(3) == 0 {
				c = randF32(rng, -10, 10)
			}
			if rng.IntN(3) == 0 {
				a = zeros[rng.IntN(2)]
				b = randF32(rng, -149, -140)
				c = zeros[rng.IntN(2)]
				if rng.IntN(2) == 0 { // underflows to a signed zero unless fused
					a, c = randF32(rng, -100, -76), zeros[rng.IntN(2)]
				}
			}
		}
		yield(a, b, c)
	}
}

// TestFMA32 compares fma32 with the exact big.Float result on millions of
// random and adversarial triples, bit for bit (zero signs included), and
// checks that the cases are hard: float32(math.FMA(…)) (double rounding)
// fails on some.
func TestFMA32(t *testing.T) {
	n := 3_000_000
	if testing.Short() {
		n = 200_000
	}
	rng := rand.New(rand.NewPCG(81, 82))
	bad, naive := 0, 0
	fmaTriples(rng, n, func(a, b, c float32) {
		want := fma32Exact(a, b, c)
		if got := fma32(a, b, c); math.Float32bits(got) != math.Float32bits(want) {
			if bad++; bad <= 10 {
				t.Errorf("fma32(%x, %x, %x) = %x, want %x", a, b, c, got, want)
			}
		}
		if math.Float32bits(float32(math.FMA(float64(a), float64(b), float64(c)))) != math.Float32bits(want) {
			naive++
		}
	})
	if bad > 0 {
		t.Fatalf("%d of %d wrong", bad, n)
	}
	if naive == 0 {
		t.Error("double rounding never fails on these cases: they are not adversarial")
	}
	t.Logf("%d triples; float32(math.FMA) wrong on %d", n, naive)
}

// TestFMA32Special: Inf, overflow and NaN inputs, with the exact bits the
// host's fused multiply-add gives (nanFMA: x86's choice, or arm64's).
func TestFMA32Special(t *testing.T) {
	inf, max := float32(math.Inf(1)), float32(math.MaxFloat32)
	qa, qb, qc := nanBits(0x7fc00001), nanBits(0xffc00002), nanBits(0x7fc00003)
	sn, snc := nanBits(0x7f800004), nanBits(0xff800005)
	x86NaN, armNaN := nanBits(0xffc00000), nanBits(0x7fc00000)
	for _, c := range []struct {
		a, b, c, x86, arm float32
	}{
		{inf, 2, 1, inf, inf},
		{inf, -2, 1, -inf, -inf},
		{inf, 0, 1, x86NaN, armNaN},
		{inf, 1, -inf, x86NaN, armNaN},
		{1, 1, -inf, -inf, -inf},
		{max, 2, 0, inf, inf},
		{max, 2, -max, max, max},                         // the product overflows float32, the fused sum does not
		{max, -2, max, -max, -max},                       // likewise
		{0x1p100, 0x1p28, -max, 0x1p104, 0x1p104},        // 2^128 − max = 2^104
		{max, 1.5, -max, 0x1.fffffep126, 0x1.fffffep126}, // exact: max/2
		{0x1p-100, 0x1p-100, 0, 0, 0},                    // underflow
		{-0x1p-100, 0x1p-100, 0, negZero, negZero},
		{0x1p-75, 0x1p-75, 0, 0, 0},                      // 2^−150, the midpoint of 0 and 2^−149: ties to even
		{0x1.000002p-75, 0x1p-75, 0, 0x1p-149, 0x1p-149}, // just above it
		{qa, qb, qc, qb, qc},
		{qa, 1, qc, qa, qc},
		{1, 1, qc, qc, qc},
		{sn, 1, 0, nanBits(0x7fc00004), nanBits(0x7fc00004)},
		{qa, 1, snc, qa, nanBits(0xffc00005)}, // arm64: a signalling NaN first
		{1, sn, qc, nanBits(0x7fc00004), nanBits(0x7fc00004)},
		{inf, 0, qc, qc, armNaN}, // arm64: Inf·0 wins over a quiet addend
		{0, inf, snc, nanBits(0xffc00005), nanBits(0xffc00005)},
	} {
		want := c.x86
		if runtime.GOARCH == "arm64" {
			want = c.arm
		}
		got := fma32(c.a, c.b, c.c)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("fma32(%x, %x, %x) = %x (%#08x), want %#08x", c.a, c.b, c.c, got, math.Float32bits(got), math.Float32bits(want))
		}
	}
}

var negZero = float32(math.Copysign(0, -1))
