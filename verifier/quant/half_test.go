package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

func isNaN16(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

func TestF16ToF32Values(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0},
		{0x3c00, 1},
		{0xc000, -2},
		{0x3555, 0.333251953125},
		{0x7bff, 65504},
		{0xfbff, -65504},
		{0x0400, 1.0 / (1 << 14)},    // smallest normal
		{0x0001, 1.0 / (1 << 24)},    // smallest subnormal
		{0x03ff, 1023.0 / (1 << 24)}, // largest subnormal
		{0x8001, -1.0 / (1 << 24)},   // negative subnormal
		{0x7c00, float32(math.Inf(1))},
		{0xfc00, float32(math.Inf(-1))},
	} {
		if got := F16ToF32(c.h); got != c.want {
			t.Errorf("F16ToF32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if got := math.Float32bits(F16ToF32(0x8000)); got != 0x80000000 {
		t.Errorf("F16ToF32(0x8000) bits = %#x, want -0", got)
	}
	if v := F16ToF32(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("F16ToF32(0x7e00) = %g, want NaN", v)
	}
}

// TestF16RoundTripExhaustive: every non-NaN binary16 survives F32 and back.
func TestF16RoundTripExhaustive(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		f := F16ToF32(h)
		if f != f16ToF32Slow(h) && !isNaN16(h) {
			t.Fatalf("table and slow path differ at %#04x", h)
		}
		back := F32ToF16(f)
		if isNaN16(h) {
			if back != h&0x8000|0x7e00 {
				t.Fatalf("NaN %#04x -> %#04x, want quiet NaN with the same sign", h, back)
			}
			continue
		}
		if back != h {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", h, back)
		}
	}
}

// TestF32ToF16Midpoints checks round-to-nearest-even at every rounding
// boundary: between each pair of adjacent non-negative halves (a, a+1), the
// exact midpoint goes to the even one and its float32 neighbours go to the
// nearer one. The pair (0x7bff, Inf) uses 65536 as Inf's "value", as IEEE
// overflow rounding does. Negative values mirror positive ones.
func TestF32ToF16Midpoints(t *testing.T) {
	for a := uint16(0); a < 0x7c00; a++ {
		va := float64(F16ToF32(a))
		vb := 65536.0
		if a+1 < 0x7c00 {
			vb = float64(F16ToF32(a + 1))
		}
		m := float32((va + vb) / 2) // exact: 12 significant bits
		if float64(m) != (va+vb)/2 {
			t.Fatalf("midpoint of %#04x not exact", a)
		}
		even := a
		if a&1 == 1 {
			even = a + 1
		}
		below := math.Nextafter32(m, 0)
		above := math.Nextafter32(m, float32(math.Inf(1)))
		for _, c := range []struct {
			f    float32
			want uint16
		}{{m, even}, {below, a}, {above, a + 1}} {
			if got := F32ToF16(c.f); got != c.want {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
			}
			if got := F32ToF16(-c.f); got != c.want|0x8000 {
				t.Fatalf("F32ToF16(%g) = %#04x, want %#04x", -c.f, got, c.want|0x8000)
			}
		}
	}
}

func TestF32ToF16Special(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	for _, c := range []struct {
		f    float32
		want uint16
	}{
		{0, 0},
		{float32(math.Copysign(0, -1)), 0x8000},
		{inf, 0x7c00},
		{-inf, 0xfc00},
		{nan, 0x7e00},
		{-nan, 0xfe00},
		{math.MaxFloat32, 0x7c00},
		{65519.99, 0x7bff},
		{65520, 0x7c00},
		{1e-45, 0},                   // smallest float32 subnormal
		{1.0 / (1 << 25), 0},         // half of the smallest half-subnormal: tie to even 0
		{1.5 / (1 << 25), 1},         // 0.75 units
		{3.0 / (1 << 25), 2},         // 1.5 units: tie to even 2
		{1023.5 / (1 << 24), 0x0400}, // tie between 0x3ff and the smallest normal
		{1.0 / (1 << 14), 0x0400},
		{1.0/(1<<24) + 1e-12, 1},
		{-5.0 / (1 << 24), 0x8005},
	} {
		if got := F32ToF16(c.f); got != c.want {
			t.Errorf("F32ToF16(%g) = %#04x, want %#04x", c.f, got, c.want)
		}
	}
}

// TestF32ToF16Nearest checks on random float32 bit patterns that no other
// half is nearer than the result (the independent definition of RN).
func TestF32ToF16Nearest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		f := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f)) || math.Abs(float64(f)) >= 65520 {
			continue
		}
		h := F32ToF16(f)
		err := math.Abs(float64(F16ToF32(h)) - float64(f))
		for _, n := range []uint16{h - 1, h + 1, h ^ 0x8000} {
			if n&0x7fff >= 0x7c00 {
				continue
			}
			if e := math.Abs(float64(F16ToF32(n)) - float64(f)); e < err {
				t.Fatalf("F32ToF16(%g) = %#04x but %#04x is nearer", f, h, n)
			}
		}
	}
}

func TestBF16(t *testing.T) {
	for _, c := range []struct {
		bits uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even stays
		{0x3f818000, 0x3f82}, // tie, odd rounds up
		{0x3f808001, 0x3f81}, // above the tie
		{0x3f807fff, 0x3f80}, // below the tie
		{0xbf808001, 0xbf81}, // negative
		{0x7f7fffff, 0x7f80}, // FLT_MAX overflows to Inf
		{0x7f800000, 0x7f80}, // Inf
		{0xff800000, 0xff80},
		{0x7f800001, 0x7fc0}, // signalling NaN is quieted
		{0xffc00000, 0xffc0},
		{0x7fa12345, 0x7fe1}, // payload kept, quiet bit set
		{0x00010000, 0x0001}, // subnormals are kept, not flushed
		{0x00008000, 0x0000}, // subnormal tie to even
		{0x00018000, 0x0002},
		{0x80000000, 0x8000},
	} {
		if got := F32ToBF16(math.Float32frombits(c.bits)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.bits, got, c.want)
		}
	}
	for i := range 1 << 16 {
		h := uint16(i)
		f := BF16ToF32(h)
		if math.Float32bits(f) != uint32(h)<<16 {
			t.Fatalf("BF16ToF32(%#04x) = %#08x", h, math.Float32bits(f))
		}
		if !math.IsNaN(float64(f)) && F32ToBF16(f) != h {
			t.Fatalf("BF16 round trip %#04x -> %#04x", h, F32ToBF16(f))
		}
	}
}

func TestNearestInt(t *testing.T) {
	for _, c := range []struct {
		f    float32
		want int32
	}{
		{0, 0}, {0.49999997, 0}, {0.5, 0}, {1.5, 2}, {2.5, 2}, {-0.5, 0}, {-1.5, -2},
		{-2.5, -2}, {3.7, 4}, {-3.7, -4}, {127.5, 128}, {-4194303, -4194303}, {4194303, 4194303},
	} {
		if got := nearestInt(c.f); got != c.want {
			t.Errorf("nearestInt(%g) = %d, want %d", c.f, got, c.want)
		}
	}
}
