package quant_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// roundTripTypes are the types with both directions, with the RMS relative
// error bound of a quantize→dequantize round trip on N(0,1) data (measured
// with TestRoundTripRandom -v; bounds are about 10% above).
var roundTripTypes = []struct {
	typ quant.Type
	rms float64
}{
	{quant.F32, 0},
	{quant.F16, 2.3e-4},  // measured 2.08e-4
	{quant.BF16, 1.9e-3}, // measured 1.65e-3
	{quant.Q8_0, 6.0e-3}, // measured 5.32e-3
	{quant.Q8_1, 6.0e-3}, // measured 5.39e-3
	{quant.Q8_K, 8.0e-3}, // measured 7.28e-3 (blocks of 256: larger amax than Q8_0)
	{quant.Q6_K, 2.0e-2}, // measured 1.77e-2
	{quant.Q5_1, 4.2e-2}, // measured 3.79e-2
	{quant.Q5_0, 4.7e-2}, // measured 4.22e-2
	{quant.Q5_K, 4.0e-2}, // measured 3.64e-2
	{quant.Q4_1, 8.7e-2}, // measured 7.87e-2
	{quant.Q4_0, 9.5e-2}, // measured 8.55e-2
	{quant.Q4_K, 8.0e-2}, // measured 7.12e-2
}

func normal(seed uint64, n int, scale float64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func rowSize(t *testing.T, typ quant.Type, n int) int {
	t.Helper()
	s, err := quant.RowSize(typ, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	return int(s)
}

func roundTrip(t *testing.T, typ quant.Type, x []float32) ([]byte, []float32) {
	t.Helper()
	q := make([]byte, rowSize(t, typ, len(x)))
	if err := quant.Quantize(typ, x, q); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, len(x))
	if err := quant.Dequantize(typ, q, y); err != nil {
		t.Fatal(err)
	}
	return q, y
}

func rmsRel(x, y []float32) float64 {
	var num, den float64
	for i := range x {
		d := float64(y[i]) - float64(x[i])
		num += d * d
		den += float64(x[i]) * float64(x[i])
	}
	return math.Sqrt(num / den)
}

// TestRoundTripRandom bounds the round-trip error on Gaussian data at three
// scales (the formats are scale-free while the f16 block scales stay in
// range) and checks that quantization is deterministic and row-split
// invariant.
func TestRoundTripRandom(t *testing.T) {
	const n = 64 * 256
	for _, c := range roundTripTypes {
		t.Run(c.typ.String(), func(t *testing.T) {
			for _, scale := range []float64{1e-2, 1, 100} {
				x := normal(uint64(c.typ)+1, n, scale)
				q, y := roundTrip(t, c.typ, x)
				rel := rmsRel(x, y)
				if scale == 1 {
					t.Logf("%s: RMS relative round-trip error %.3g", c.typ, rel)
				}
				if !(rel <= c.rms) || (c.rms > 0) != (rel > 0) {
					t.Errorf("scale %g: RMS relative error %.3g, bound %.3g", scale, rel, c.rms)
				}
				q2, _ := roundTrip(t, c.typ, x)
				if !bytes.Equal(q, q2) {
					t.Errorf("scale %g: quantization is not deterministic", scale)
				}
				// Two halves quantized separately give the same bytes.
				half := n / 2
				qa, _ := roundTrip(t, c.typ, x[:half])
				qb, _ := roundTrip(t, c.typ, x[half:])
				if !bytes.Equal(append(qa, qb...), q) {
					t.Errorf("scale %g: row split changes the result", scale)
				}
			}
		})
	}
}

// blockMaxErr is the largest |y−x| of each block relative to that block's
// max |x|, maximized over blocks.
func blockMaxErr(x, y []float32, bs int) float64 {
	var worst float64
	for o := 0; o < len(x); o += bs {
		var amax, emax float64
		for i := o; i < o+bs; i++ {
			amax = math.Max(amax, math.Abs(float64(x[i])))
			emax = math.Max(emax, math.Abs(float64(y[i])-float64(x[i])))
		}
		if amax > 0 {
			worst = math.Max(worst, emax/amax)
		}
	}
	return worst
}

// TestBlockMaxError bounds the worst element error of the 32-element types
// by their step: Q8: d/2 = amax/254; Q4_0/Q5_0: the positive end of a
// block whose max is negative can sit one full step from the grid (amax/8,
// amax/16); Q4_1/Q5_1: half a step of (max−min)/15 (/31) ≤ amax/15 (/31).
// Rounding d (and m) to f16 adds at most 2^-11 relative to each of the
// largest code·d and |m|, so f16Slack = 3·2^-11 of amax covers it.
func TestBlockMaxError(t *testing.T) {
	const f16Slack = 3.0 / 2048
	x := normal(42, 32*2048, 1)
	for _, c := range []struct {
		typ   quant.Type
		bound float64
	}{
		{quant.Q8_0, 1.0/254 + f16Slack},
		{quant.Q8_1, 1.0/254 + f16Slack},
		{quant.Q4_0, 1.0/8 + f16Slack},
		{quant.Q5_0, 1.0/16 + f16Slack},
		{quant.Q4_1, 1.0/15 + f16Slack},
		{quant.Q5_1, 1.0/31 + f16Slack},
	} {
		_, y := roundTrip(t, c.typ, x)
		if e := blockMaxErr(x, y, 32); e > c.bound {
			t.Errorf("%s: worst block error %.4g of amax, bound %.4g", c.typ, e, c.bound)
		}
	}
}

func TestEdgeBlocks(t *testing.T) {
	const n = 512
	fill := func(v float32) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = v
		}
		return x
	}
	ramp := make([]float32, n) // mixed signs and magnitudes
	for i := range ramp {
		ramp[i] = float32(i%37-18) * 0.03
	}
	for _, c := range roundTripTypes {
		t.Run(c.typ.String(), func(t *testing.T) {
			// All zero: every element decodes to exactly 0.
			_, y := roundTrip(t, c.typ, fill(0))
			for i, v := range y {
				if v != 0 {
					t.Fatalf("zero block: y[%d] = %g", i, v)
				}
			}
			// Constant blocks of either sign decode close to the constant.
			for _, v := range []float32{0.37, -0.37, 1000, -3e-3} {
				_, y := roundTrip(t, c.typ, fill(v))
				for i := range y {
					if e := math.Abs(float64(y[i]-v)) / math.Abs(float64(v)); e > 0.035 {
						t.Fatalf("constant %g: y[%d] = %g", v, i, y[i])
					}
				}
			}
			// Extremes without NaN: tiny and large finite values decode to
			// finite values; F16 keeps ±65504 exactly.
			for _, v := range []float32{1e-7, 6e-8, 3e4, -65504} {
				x := append(fill(v)[:n/2], ramp[:n/2]...)
				for i := range x[:n/2] {
					if i%2 == 1 {
						x[i] = -v
					}
				}
				_, y := roundTrip(t, c.typ, x)
				for i := range y {
					if math.IsNaN(float64(y[i])) || math.IsInf(float64(y[i]), 0) {
						t.Fatalf("extreme %g: y[%d] = %g", v, i, y[i])
					}
				}
				if c.typ == quant.F16 && v == -65504 && (y[0] != -65504 || y[1] != 65504) {
					t.Errorf("F16 max: got %g %g", y[0], y[1])
				}
			}
			// A mixed ramp round-trips within the type's RMS bound.
			if _, y := roundTrip(t, c.typ, ramp); rmsRel(ramp, y) > 2*c.rms+1e-9 {
				t.Errorf("ramp: RMS relative error %.3g", rmsRel(ramp, y))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	canary := func(n int) []byte { return bytes.Repeat([]byte{0xa5}, n) }
	for _, c := range []struct {
		name    string
		run     func() error
		is      error
		mention string
	}{
		{"unknown type dequantize", func() error { return quant.Dequantize(quant.Type(99), nil, nil) }, quant.ErrUnsupported, "type(99)"},
		{"unknown type quantize", func() error { return quant.Quantize(quant.Type(20), nil, nil) }, quant.ErrUnsupported, "type(20)"},
		{"Q2_K has no quantizer", func() error { return quant.Quantize(quant.Q2_K, make([]float32, 256), make([]byte, 84)) }, quant.ErrUnsupported, "Q2_K"},
		{"partial block", func() error { return quant.Dequantize(quant.Q4_0, make([]byte, 18), make([]float32, 33)) }, quant.ErrLength, "Q4_0"},
		{"short src", func() error { return quant.Dequantize(quant.Q4_K, make([]byte, 143), make([]float32, 256)) }, quant.ErrLength, "143"},
		{"long src", func() error { return quant.Dequantize(quant.F16, make([]byte, 10), make([]float32, 4)) }, quant.ErrLength, "F16"},
		{"quantize partial block", func() error { return quant.Quantize(quant.Q6_K, make([]float32, 300), make([]byte, 210)) }, quant.ErrLength, "Q6_K"},
		{"quantize short dst", func() error { return quant.Quantize(quant.Q8_0, make([]float32, 64), make([]byte, 34)) }, quant.ErrLength, "want 68"},
	} {
		err := c.run()
		if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %v, want %v mentioning %q", c.name, err, c.is, c.mention)
		}
	}
	// Nothing is written on error.
	dst := canary(34)
	if err := quant.Quantize(quant.Q8_0, make([]float32, 33), dst); err == nil || !bytes.Equal(dst, canary(34)) {
		t.Errorf("quantize wrote on error (err %v)", err)
	}
	// Empty input is a valid zero-block row.
	if err := quant.Dequantize(quant.Q4_K, nil, nil); err != nil {
		t.Errorf("empty row: %v", err)
	}
}

func TestSupported(t *testing.T) {
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16, quant.Q4_0, quant.Q4_1, quant.Q5_0,
		quant.Q5_1, quant.Q8_0, quant.Q8_1, quant.Q4_K, quant.Q5_K, quant.Q6_K, quant.Q8_K} {
		if !quant.Supported(typ) || !quant.CanDequantize(typ) {
			t.Errorf("%s not supported", typ)
		}
	}
	for _, typ := range []quant.Type{quant.Q2_K, quant.Q3_K} {
		if quant.Supported(typ) || !quant.CanDequantize(typ) {
			t.Errorf("%s: want dequantize only", typ)
		}
	}
	if quant.Supported(quant.Type(20)) || quant.CanDequantize(quant.Type(20)) {
		t.Error("IQ4_NL claims support")
	}
}

// TestQ5_0Hand checks bit patterns worked out by hand from the reference
// algorithm (d = max/−16, code = min(31, trunc(x/d + 16.5))).
func TestQ5_0Hand(t *testing.T) {
	// x[j] = (j−16)/4: max = −4 (j=0), d = 0.25 (f16 0x3400), code j.
	// qs[j] = j | j<<4 (low nibble j, high nibble (j+16)&15 = j),
	// qh = bits 16…31 set (codes 16…31 have bit 4).
	x := make([]float32, 32)
	want := []byte{0x00, 0x34, 0x00, 0x00, 0xff, 0xff}
	for j := range 32 {
		x[j] = float32(j-16) / 4
	}
	for j := range 16 {
		want = append(want, byte(j|j<<4))
	}
	checkBlock(t, quant.Q5_0, x, want)

	// Mirror image: max = +4, d = −0.25 (0xb400), codes unchanged.
	for j := range 32 {
		x[j] = float32(16-j) / 4
	}
	want[1] = 0xb4
	checkBlock(t, quant.Q5_0, x, want)

	// Ties: with d = 0.25, x = +0.125 is code 16.5+0.5 → 17 and
	// x = −0.125 is 16.5−0.5 → 16 (half-way rounds up in code space).
	for j := range 32 {
		x[j] = 0
	}
	x[0], x[1], x[2] = -4, 0.125, -0.125
	q := make([]byte, 22)
	if err := quant.Quantize(quant.Q5_0, x, q); err != nil {
		t.Fatal(err)
	}
	if got := []byte{q[6] & 15, q[7] & 15, q[8] & 15, q[9] & 15}; !bytes.Equal(got, []byte{0, 1, 0, 0}) ||
		binary.LittleEndian.Uint32(q[2:]) != 0xfffffffe {
		t.Errorf("tie codes: qs %x qh %#x", q[6:10], binary.LittleEndian.Uint32(q[2:]))
	}
}

func checkBlock(t *testing.T, typ quant.Type, x []float32, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if err := quant.Quantize(typ, x, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", typ, got, want)
	}
	y := make([]float32, len(x))
	if err := quant.Dequantize(typ, want, y); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if y[i] != x[i] {
			t.Errorf("%s: y[%d] = %g, want %g", typ, i, y[i], x[i])
		}
	}
}

// TestLegacyHand: Q4_0, Q8_0 and Q4_1 blocks whose values lie on the grid.
func TestLegacyHand(t *testing.T) {
	x := make([]float32, 32)
	// Q4_0: x[j] = (j%16 − 8)/2 for j<16, 0.5·(7 − j%16) … use codes c:
	// max = −4 at j=0 → d = 0.5 (0x3800); code = x/0.5 + 8.
	codes := make([]int, 32)
	for j := range 32 {
		codes[j] = (j * 5) % 16
		if j == 0 {
			codes[j] = 0
		}
		x[j] = float32(codes[j]-8) * 0.5
	}
	want := []byte{0x00, 0x38}
	for j := range 16 {
		want = append(want, byte(codes[j]|codes[j+16]<<4))
	}
	checkBlock(t, quant.Q4_0, x, want)

	// Q8_0: amax = 127 → d = 1 (0x3c00), codes = x.
	want = []byte{0x00, 0x3c}
	for j := range 32 {
		v := (j*23)%255 - 127
		if j == 5 {
			v = -127
		}
		x[j] = float32(v)
		want = append(want, byte(int8(v)))
	}
	checkBlock(t, quant.Q8_0, x, want)

	// Q4_1: min = −1 (0xbc00), max = 2 → d = 0.2 (f16 0x3266 = 0.199951…).
	// Codes are trunc((x+1)/0.2 + 0.5) with the unrounded d.
	for j := range 32 {
		x[j] = -1 + float32(j%16)*0.2
	}
	x[31] = 2
	q := make([]byte, 20)
	if err := quant.Quantize(quant.Q4_1, x, q); err != nil {
		t.Fatal(err)
	}
	if binary.LittleEndian.Uint16(q) != 0x3266 || binary.LittleEndian.Uint16(q[2:]) != 0xbc00 {
		t.Errorf("Q4_1 d, m = %#04x %#04x", binary.LittleEndian.Uint16(q), binary.LittleEndian.Uint16(q[2:]))
	}
	for j := range 16 {
		lo, hi := int(q[4+j]&15), int(q[4+j]>>4)
		wantHi := j
		if j == 15 {
			wantHi = 15
		}
		if lo != j || hi != wantHi {
			t.Errorf("Q4_1 code %d: %d %d", j, lo, hi)
		}
	}
}

// TestSubnormalScale: a Q8_0 block with d the smallest f16 subnormal
// (2^-24) decodes to q·2^-24 exactly, and quantizing such tiny data picks
// that d.
func TestSubnormalScale(t *testing.T) {
	blk := []byte{0x01, 0x00}
	want := make([]float32, 32)
	for j := range 32 {
		q := int8(j*8 - 128)
		blk = append(blk, byte(q))
		want[j] = float32(q) / (1 << 24)
	}
	y := make([]float32, 32)
	if err := quant.Dequantize(quant.Q8_0, blk, y); err != nil {
		t.Fatal(err)
	}
	for j := range y {
		if y[j] != want[j] {
			t.Errorf("y[%d] = %g, want %g", j, y[j], want[j])
		}
	}
	// amax = 127·2^-24 gives d = 2^-24 exactly, codes = x·2^24.
	x := make([]float32, 32)
	for j := range x {
		x[j] = float32(j*8-127) / (1 << 24)
	}
	x[31] = 127.0 / (1 << 24)
	q := make([]byte, 34)
	quant.QuantizeQ8_0(x, q)
	if binary.LittleEndian.Uint16(q) != 0x0001 {
		t.Errorf("d = %#04x, want 0x0001", binary.LittleEndian.Uint16(q))
	}
	for j := range x {
		if float32(int8(q[2+j])) != x[j]*(1<<24) {
			t.Errorf("code %d = %d, want %g", j, int8(q[2+j]), x[j]*(1<<24))
		}
	}
}

func TestActivationQuantizers(t *testing.T) {
	x := normal(9, 1024, 3)
	a, b := make([]byte, 1024/32*34), make([]byte, 1024/32*34)
	quant.QuantizeQ8_0(x, a)
	if err := quant.Quantize(quant.Q8_0, x, b); err != nil || !bytes.Equal(a, b) {
		t.Errorf("QuantizeQ8_0 differs from Quantize(Q8_0)")
	}
	a1, b1 := make([]byte, 1024/32*36), make([]byte, 1024/32*36)
	quant.QuantizeQ8_1(x, a1)
	if err := quant.Quantize(quant.Q8_1, x, b1); err != nil || !bytes.Equal(a1, b1) {
		t.Errorf("QuantizeQ8_1 differs from Quantize(Q8_1)")
	}
	// Q8_1's s is f16(d·Σq) with the unrounded d = amax/127.
	for o := 0; o < len(a1); o += 36 {
		var amax float32
		for _, v := range x[o/36*32 : o/36*32+32] {
			amax = max(amax, float32(math.Abs(float64(v))))
		}
		d := amax / 127
		var sum int
		for _, q := range a1[o+4 : o+36] {
			sum += int(int8(q))
		}
		if s := binary.LittleEndian.Uint16(a1[o+2:]); s != quant.F32ToF16(float32(sum)*d) {
			t.Fatalf("Q8_1 block %d: s = %#04x, want f16(%d·%g)", o/36, s, sum, d)
		}
	}

	// Q8_K: d = 1/iscale with iscale = −127/max; the extreme element gets
	// code −127; codes stay in [−127, 127]; bsums are the 16-sums.
	k := make([]byte, 1024/256*292)
	quant.QuantizeQ8_K(x, k)
	for blk := range 4 {
		xb, kb := x[256*blk:256*blk+256], k[292*blk:292*blk+292]
		var amax, max float32
		imax := 0
		for i, v := range xb {
			if a := float32(math.Abs(float64(v))); a > amax {
				amax, max, imax = a, v, i
			}
		}
		iscale := -127 / max
		if d := math.Float32frombits(binary.LittleEndian.Uint32(kb)); d != 1/iscale {
			t.Errorf("block %d: d = %g, want %g", blk, d, 1/iscale)
		}
		if q := int8(kb[4+imax]); q != -127 {
			t.Errorf("block %d: extreme code %d, want -127", blk, q)
		}
		for j := range 16 {
			var sum int
			for _, q := range kb[4+16*j : 4+16*j+16] {
				if int8(q) == -128 {
					t.Fatalf("code -128")
				}
				sum += int(int8(q))
			}
			if got := int16(binary.LittleEndian.Uint16(kb[260+2*j:])); int(got) != sum {
				t.Errorf("block %d bsum %d = %d, want %d", blk, j, got, sum)
			}
		}
	}
	// All-zero Q8_K block: d = 0, codes and bsums 0.
	z := bytes.Repeat([]byte{0xff}, 292)
	quant.QuantizeQ8_K(make([]float32, 256), z)
	if !bytes.Equal(z, make([]byte, 292)) {
		t.Errorf("zero Q8_K block not all zero")
	}
}

// TestQ8_0X86Ties: with amax = 127 both variants use multiplier 1, so they
// differ exactly on halves: roundf goes away from zero, the x86 SIMD path
// (_MM_ROUND_NEAREST) to even.
func TestQ8_0X86Ties(t *testing.T) {
	x := make([]float32, 32)
	x[0], x[1], x[2], x[3], x[4] = 127, 2.5, -2.5, 3.5, 0.5
	ref, x86 := make([]byte, 34), make([]byte, 34)
	quant.QuantizeQ8_0(x, ref)
	quant.QuantizeQ8_0X86(x, x86)
	wantRef := []int8{127, 3, -3, 4, 1}
	wantX86 := []int8{127, 2, -2, 4, 0}
	for i := range 5 {
		if int8(ref[2+i]) != wantRef[i] || int8(x86[2+i]) != wantX86[i] {
			t.Errorf("x=%g: ref %d x86 %d, want %d %d", x[i], int8(ref[2+i]), int8(x86[2+i]), wantRef[i], wantX86[i])
		}
	}
	if !bytes.Equal(ref[:2], x86[:2]) {
		t.Errorf("d differs")
	}
}

func TestActivationPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"Q8_0 partial": func() { quant.QuantizeQ8_0(make([]float32, 31), make([]byte, 34)) },
		"Q8_0 dst":     func() { quant.QuantizeQ8_0X86(make([]float32, 32), make([]byte, 33)) },
		"Q8_1 dst":     func() { quant.QuantizeQ8_1(make([]float32, 32), make([]byte, 34)) },
		"Q8_K partial": func() { quant.QuantizeQ8_K(make([]float32, 255), make([]byte, 292)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
