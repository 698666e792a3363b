package matmul

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/proof-of-training/pot/verifier/quant"
)

// TestTileLayout pins the i8Tile field offsets that kernel_amd64.s hard-codes.
func TestTileLayout(t *testing.T) {
	var x i8Tile
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"q", unsafe.Offsetof(x.q), 0}, {"sc", unsafe.Offsetof(x.sc), 48},
		{"mins", unsafe.Offsetof(x.mins), 96}, {"ab", unsafe.Offsetof(x.ab), 144},
		{"y", unsafe.Offsetof(x.y), 192}, {"d", unsafe.Offsetof(x.d), 240},
		{"s", unsafe.Offsetof(x.s), 288}, {"bs", unsafe.Offsetof(x.bs), 336},
		{"out", unsafe.Offsetof(x.out), 384}, {"nsb", unsafe.Offsetof(x.nsb), 408},
		{"gpb", unsafe.Offsetof(x.gpb), 416}, {"spm", unsafe.Offsetof(x.spm), 432},
		{"epi", unsafe.Offsetof(x.epi), 440}, {"cpg", unsafe.Offsetof(x.cpg), 448},
		{"pairs", unsafe.Offsetof(x.pairs), 456}, {"ystride", unsafe.Offsetof(x.ystride), 464},
		{"dstride", unsafe.Offsetof(x.dstride), 472}, {"bstride", unsafe.Offsetof(x.bstride), 480},
		{"sy", unsafe.Offsetof(x.sy), 488}, {"off", unsafe.Offsetof(x.off), 536},
		{"qa", unsafe.Offsetof(x.qa), 544}, {"pf", unsafe.Offsetof(x.pf), 568},
		{"pfEnd", unsafe.Offsetof(x.pfEnd), 576},
	} {
		if c.got != c.want {
			t.Errorf("offset of i8Tile.%s = %d, asm assumes %d", c.name, c.got, c.want)
		}
	}
	var w i8TileW
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"q", unsafe.Offsetof(w.q), 0}, {"sc", unsafe.Offsetof(w.sc), 24}, {"mins", unsafe.Offsetof(w.mins), 48},
		{"ab", unsafe.Offsetof(w.ab), 72}, {"y", unsafe.Offsetof(w.y), 96}, {"d", unsafe.Offsetof(w.d), 120},
		{"s", unsafe.Offsetof(w.s), 168}, {"bs", unsafe.Offsetof(w.bs), 216}, {"sy", unsafe.Offsetof(w.sy), 264},
		{"out", unsafe.Offsetof(w.out), 312}, {"c", unsafe.Offsetof(w.c), 336}, {"cfg", unsafe.Offsetof(w.cfg), 360},
		{"cols", unsafe.Offsetof(w.cols), 368}, {"nsb", unsafe.Offsetof(w.nsb), 376}, {"gpb", unsafe.Offsetof(w.gpb), 384},
		{"gs", unsafe.Offsetof(w.gs), 392}, {"epi", unsafe.Offsetof(w.epi), 400}, {"off", unsafe.Offsetof(w.off), 408},
		{"pairs", unsafe.Offsetof(w.pairs), 416}, {"ystride", unsafe.Offsetof(w.ystride), 424},
		{"dstride", unsafe.Offsetof(w.dstride), 432}, {"bstride", unsafe.Offsetof(w.bstride), 440},
		{"ystep", unsafe.Offsetof(w.ystep), 448}, {"ngs", unsafe.Offsetof(w.ngs), 456},
	} {
		if c.got != c.want {
			t.Errorf("offset of i8TileW.%s = %d, asm assumes %d", c.name, c.got, c.want)
		}
	}
	var f fTile
	if o := unsafe.Offsetof(f.x); o != 48 {
		t.Errorf("offset of fTile.x = %d, asm assumes 48", o)
	}
	if o := unsafe.Offsetof(f.out); o != 96 {
		t.Errorf("offset of fTile.out = %d, asm assumes 96", o)
	}
	if o := unsafe.Offsetof(f.pairs); o != 120 {
		t.Errorf("offset of fTile.pairs = %d, asm assumes 120", o)
	}
	if o := unsafe.Offsetof(f.xstride); o != 128 {
		t.Errorf("offset of fTile.xstride = %d, asm assumes 128", o)
	}
	if o := unsafe.Offsetof(f.fma); o != 136 {
		t.Errorf("offset of fTile.fma = %d, asm assumes 136", o)
	}
	if o, o2 := unsafe.Offsetof(f.pf), unsafe.Offsetof(f.pfEnd); o != 144 || o2 != 152 {
		t.Errorf("offsets of fTile.pf, pfEnd = %d, %d, asm assumes 144, 152", o, o2)
	}
	var fw fTileW
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"w", unsafe.Offsetof(fw.w), 0}, {"x", unsafe.Offsetof(fw.x), 24}, {"out", unsafe.Offsetof(fw.out), 48},
		{"cols", unsafe.Offsetof(fw.cols), 72}, {"pairs", unsafe.Offsetof(fw.pairs), 80},
		{"xstride", unsafe.Offsetof(fw.xstride), 88}, {"dx", unsafe.Offsetof(fw.dx), 96},
		{"fma", unsafe.Offsetof(fw.fma), 104}, {"pf", unsafe.Offsetof(fw.pf), 112}, {"pfEnd", unsafe.Offsetof(fw.pfEnd), 120},
	} {
		if c.got != c.want {
			t.Errorf("offset of fTileW.%s = %d, asm assumes %d", c.name, c.got, c.want)
		}
	}
}

// TestAsmLikeGeneric: the dispatched kernels give bitwise the generic
// result, for every type, several lengths, odd row and vector counts, extreme
// codes (all-max weights and activations), and NaN/Inf activations.
func TestAsmLikeGeneric(t *testing.T) {
	if !HasAsm() {
		t.Skip("no assembly kernels in this build")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, typ := range allTypes {
		for _, cols := range []int{1, 7, 32, 33, 96, 256, 768} {
			if cols%typ.BlockSize() != 0 {
				continue
			}
			for _, shape := range [][2]int{{1, 1}, {3, 9}, {5, 17}, {2, 33}} {
				rows, n := shape[0], shape[1]
				name := fmt.Sprintf("%s/%d/%dx%d", typ, cols, rows, n)
				t.Run(name, func(t *testing.T) {
					w := randomMatrix(t, rng, typ, rows, cols)
					x := randomX(rng, n*cols)
					if n > 3 {
						x[cols+1] = float32(math.Inf(1))
						x[2*cols+3] = float32(math.NaN())
					}
					compareAsmGeneric(t, w, x, n)
				})
			}
		}
	}
	// long rows: several activation sweeps (gBlock) per chunk
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_K, quant.F32} {
		t.Run(fmt.Sprintf("long/%s", typ), func(t *testing.T) {
			cols, rows, n := 16384, 3, 45
			w := randomMatrix(t, rng, typ, rows, cols)
			compareAsmGeneric(t, w, randomX(rng, n*cols), n)
		})
	}
	// extreme codes: every weight byte 0x80 or 0xff (Q8_0: −128 / −1; nibbles 8/15),
	// activations at ±max so that every |y| = 127
	for _, typ := range allTypes {
		if typ == quant.F32 || typ == quant.F16 || typ == quant.BF16 {
			continue
		}
		for _, fill := range []byte{0x80, 0xff, 0x7f} {
			t.Run(fmt.Sprintf("extreme/%s/%#x", typ, fill), func(t *testing.T) {
				cols := 256
				w := randomMatrix(t, rng, typ, 2, cols)
				data := append([]byte(nil), w.Data...)
				// keep the f16 scales (set by randomMatrix) sane: overwrite code bytes only
				for i := range data {
					if !isScaleByte(typ, i%typ.TypeSize()) {
						data[i] = fill
					}
				}
				w, err := NewMatrix(typ, 2, cols, data)
				if err != nil {
					t.Fatal(err)
				}
				x := make([]float32, 3*cols)
				for i := range x {
					x[i] = float32(1 - 2*(i%2))
				}
				compareAsmGeneric(t, w, x, 3)
			})
		}
	}
}

// TestWideLikeNarrowI8 runs the matrix tile's Go twin (tileI8WGeneric,
// every build) against the 2-row generic tile, for every integer type:
// row counts that are and are not multiples of chunkRows, odd and even
// group counts, several activation sweeps per chunk. With the AMX kernel
// dispatched, TestAsmLikeGeneric compares that kernel the same way.
func TestWideLikeNarrowI8(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, typ := range allTypes {
		if typ == quant.F32 || typ == quant.F16 || typ == quant.BF16 {
			continue
		}
		for _, c := range [][3]int{{16, 256, 1}, {37, 512, 9}, {5, 256, 17}, {33, 768, 24}, {20, 8192, 40}} {
			rows, cols, n := c[0], c[1], c[2]
			t.Run(fmt.Sprintf("%s/%dx%d/n%d", typ, rows, cols, n), func(t *testing.T) {
				w := randomMatrix(t, rng, typ, rows, cols)
				x := randomX(rng, n*cols)
				restore := useGeneric(true)
				defer restore()
				want := make([]float32, n*rows)
				MatMul(want, w, x, n, nil)
				tileI8W = tileI8WGeneric
				got := make([]float32, n*rows)
				MatMul(got, w, x, n, nil)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("y[%d] = %v (matrix tile twin), %v (2-row tile)", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// isScaleByte reports whether byte i of a block of typ is part of an f16
// scale or min (not a code), so that tests can set codes freely.
func isScaleByte(typ quant.Type, i int) bool {
	switch typ {
	case quant.Q8_0, quant.Q4_0, quant.Q5_0:
		return i < 2
	case quant.Q4_1, quant.Q5_1, quant.Q4_K, quant.Q5_K:
		return i < 4
	case quant.Q6_K:
		return i >= 208
	case quant.Q2_K:
		return i >= 80
	case quant.Q3_K:
		return i >= 108
	}
	return false
}

func compareAsmGeneric(t *testing.T, w Matrix, x []float32, n int) {
	t.Helper()
	const canary = 0x7fc0dead
	// guard canaries around y
	buf := make([]float32, n*w.Rows+16)
	for i := range buf {
		buf[i] = math.Float32frombits(canary)
	}
	y := buf[8 : 8+n*w.Rows]
	MatMul(y, w, x, n, nil)
	for i := range 8 {
		if math.Float32bits(buf[i]) != canary || math.Float32bits(buf[len(buf)-1-i]) != canary {
			t.Fatal("canary overwritten")
		}
	}
	restore := useGeneric(true)
	want := make([]float32, n*w.Rows)
	MatMul(want, w, x, n, nil)
	restore()
	for i := range want {
		if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(y[i] != y[i] && want[i] != want[i]) {
			t.Fatalf("y[%d] = %v (asm), %v (generic)", i, y[i], want[i])
		}
	}
}

// TestKindBounds checks the invariants the kernels rely on: signed codes
// only with spm = 1, and no int16 overflow in spm steps of vpmaddubsw for
// the largest code of each type (found by unpacking all-ones blocks).
func TestKindBounds(t *testing.T) {
	for typ, k := range weightKinds {
		if k.epi == epiFloat {
			continue
		}
		if k.gs%(4*k.spm) != 0 || k.sb%k.gs != 0 || k.gs%8 != 0 {
			t.Errorf("%s: gs %d, spm %d, sb %d do not nest (or gs/4 steps are odd: tileI8VNNI)", typ, k.gs, k.spm, k.sb)
		}
		if k.spm == 1 && k.gs != k.sb {
			t.Errorf("%s: signed codes need one scale group per block (tileI8VNNI's 128·Σy)", typ)
		}
		if k.epi == epiOff0 && (k.off <= 0 || k.off&(k.off-1) != 0 || k.gs != k.sb || k.sb != 32) {
			t.Errorf("%s: offset %d in groups of %d, blocks of %d: tileI8VNNI's one-group loop shifts Σy by log2(off) over 32-element blocks", typ, k.off, k.gs, k.sb)
		}
		if k.gs == k.sb && k.epi != epiLegacy && k.sb != 32 {
			t.Errorf("%s: one group per block of %d: tileI8VNNI's one-group loop unrolls 32", typ, k.sb)
		}
		if (k.gs == k.sb) != oneGroup(k) {
			t.Errorf("%s: one group per block with mins or an offset by mins: the matrix tile's one-group loop (tileI8AMX1) has neither", typ)
		}
		cols := k.sb
		for _, fill := range []byte{0x00, 0x55, 0x80, 0xaa, 0xff} {
			row := make([]byte, typ.TypeSize()*(cols/typ.BlockSize()))
			for i := range row {
				row[i] = fill
			}
			q := make([]byte, cols)
			sc := make([]uint32, cols/k.gs)
			k.unpack(row, q, sc, make([]uint32, cols/k.sb*8), make([]float32, cols/k.sb*2))
			if k.gs == k.sb && sc[0] != pair(1) {
				t.Fatalf("%s: one group per block with scale %#x, tileI8VNNI and tileI8AMX1 assume 1", typ, sc[0])
			}
			for _, c := range q {
				w := int(int8(c))
				if k.spm > 1 && w < 0 {
					t.Fatalf("%s: negative code %d with spm %d", typ, w, k.spm)
				}
				if w < 0 {
					w = -w
				}
				if k.spm*2*127*w > 32767 {
					t.Fatalf("%s: code %d overflows int16 in %d steps", typ, w, k.spm)
				}
			}
		}
	}
}

// TestWideLikeNarrow: the wide float tile (12 rows, AVX-512 or its Go twin)
// gives bitwise the 2-row tile's result, for row counts around its chunk and
// tile sizes, odd lengths and vector counts, NaN/Inf activations.
func TestWideLikeNarrow(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16} {
		for _, sh := range [][3]int{{1, 1, 1}, {13, 7, 9}, {25, 33, 17}, {30, 64, 40}, {49, 5, 3}} {
			rows, cols, n := sh[0], sh[1], sh[2]
			t.Run(fmt.Sprintf("%s/%dx%d/n%d", typ, rows, cols, n), func(t *testing.T) {
				w := randomMatrix(t, rng, typ, rows, cols)
				x := randomX(rng, n*cols)
				if n > 2 {
					x[cols+1] = float32(math.Inf(-1))
					x[2*cols] = float32(math.NaN())
				}
				run := func(wide func(*fTileW), generic bool) []float32 {
					defer useGeneric(generic)()
					tileF32W = wide
					y := make([]float32, n*rows)
					MatMul(y, w, x, n, nil)
					return y
				}
				want := run(nil, true)
				got := map[string][]float32{"wide generic": run(tileF32WGeneric, true)}
				if defaultTileF32W != nil {
					got["wide asm"] = run(defaultTileF32W, false)
				}
				for name, y := range got {
					for i := range want {
						if math.Float32bits(y[i]) != math.Float32bits(want[i]) && !(y[i] != y[i] && want[i] != want[i]) {
							t.Fatalf("%s: y[%d] = %v, narrow generic %v", name, i, y[i], want[i])
						}
					}
				}
			})
		}
	}
}

// TestUnpackHalfAsm: the dispatched F16/BF16 row converters agree with
// their Go twins on every 16-bit pattern (NaNs quieted alike), and their
// magnitude ranges agree on random windows of a mixed row (odd tails,
// all-zero windows, ranges with and without Inf/NaN).
func TestUnpackHalfAsm(t *testing.T) {
	row := make([]byte, 2<<16)
	for h := range 1 << 16 {
		row[2*h], row[2*h+1] = byte(h), byte(h>>8)
	}
	bf16Generic := func(row []byte, f []float32) (r magRange) {
		r.lo, r.hi = unpackBF16Generic(row, f)
		return r
	}
	f16Generic := func(row []byte, f []float32) (r magRange) {
		r.lo, r.hi = unpackF16Generic(row, f)
		return r
	}
	for _, c := range []struct {
		name      string
		got, want func([]byte, []float32) magRange
	}{{"F16", unpackF16Row, f16Generic}, {"BF16", unpackBF16Row, bf16Generic}} {
		got, want := make([]float32, 1<<16), make([]float32, 1<<16)
		rg, rw := c.got(row, got), c.want(row, want)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s %#04x: %#08x, Go %#08x", c.name, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
		if rg != rw {
			t.Fatalf("%s: range %#x, Go %#x", c.name, rg, rw)
		}
	}
	if r := bf16Generic(row, make([]float32, 1<<16)); r != (magRange{lo: 1, hi: 0x7fff}) {
		t.Fatalf("BF16 range of every pattern: %#x", r)
	}
	zeros := make([]byte, 2*72) // ±0 only: no least magnitude
	for i := 1; i < len(zeros); i += 6 {
		zeros[i] = 0x80
	}
	for _, unpack := range []func([]byte, []float32) magRange{unpackF16Row, unpackBF16Row} {
		if r := unpack(zeros, make([]float32, 72)); r != (magRange{lo: math.MaxUint32}) {
			t.Fatalf("range of ±0: %#x", r)
		}
	}
	rng := rand.New(rand.NewPCG(41, 42))
	sh := make([]byte, 2*4096) // mostly zeros and moderate values, a few extremes
	for i := range 4096 {
		var h uint16
		switch k := rng.IntN(40); {
		case k < 10: // ±0
			h = uint16(rng.IntN(2)) << 15
		case k == 10:
			h = uint16(rng.Uint32())
		default:
			h = quant.F32ToBF16(float32(rng.NormFloat64()))
		}
		sh[2*i], sh[2*i+1] = byte(h), byte(h>>8)
	}
	f, g := make([]float32, 4096), make([]float32, 4096)
	for range 2000 {
		a := rng.IntN(4096)
		b := a + rng.IntN(min(80, 4096-a)+1)
		if got, want := unpackBF16Row(sh[2*a:2*b], f[:b-a]), bf16Generic(sh[2*a:2*b], g[:b-a]); got != want {
			t.Fatalf("BF16 range of elements %d..%d: %#x, Go %#x", a, b, got, want)
		}
		if got, want := unpackF16Row(sh[2*a:2*b], f[:b-a]), f16Generic(sh[2*a:2*b], g[:b-a]); got != want {
			t.Fatalf("F16 range of elements %d..%d: %#x, Go %#x", a, b, got, want)
		}
	}
}

// TestAbsRange: the dispatched absRange agrees with its Go twin on random
// windows (odd tails, all-zero windows) of values with ±0, subnormals, Inf
// and NaNs among normal ones.
func TestAbsRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(81, 82))
	x := make([]float32, 4096)
	for i := range x {
		switch k := rng.IntN(40); {
		case k < 12:
			x[i] = float32(rng.IntN(2)) * float32(math.Copysign(0, -1))
		case k == 12:
			x[i] = math.Float32frombits(rng.Uint32())
		case k == 13:
			x[i] = -0x1p-140
		default:
			x[i] = float32(rng.NormFloat64())
		}
	}
	for range 3000 {
		a := rng.IntN(len(x))
		b := a + rng.IntN(min(100, len(x)-a)+1)
		lo, hi := absRange(x[a:b])
		wlo, whi := absRangeGeneric(x[a:b])
		if lo != wlo || hi != whi {
			t.Fatalf("absRange(x[%d:%d]) = %#x, %#x; Go %#x, %#x", a, b, lo, hi, wlo, whi)
		}
	}
}

// TestInterleaveLikeGeneric: float activations converted with the SIMD
// kernels (interleave8, absRange) are bitwise those of the Go twins, with
// their ranges, for F32/F16/BF16, odd lengths and vector counts, and
// values at every rounding edge: NaNs with payloads, ±Inf, F16 overflow
// (65504, 65519.99, 65520), F16 and float32 subnormals, BF16 ties, ±0.
func TestInterleaveLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(91, 92))
	edges := []uint32{0x7fc00000, 0xffc12345, 0x7f800001, 0x7fbfffff, 0x7f800000, 0xff800000,
		0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x33000000, 0x33000001, 0x32ffffff,
		0x387fc000, 0x38800000, 0x00000001, 0x807fffff, 0x3f808000, 0x3f818000, 0x3f80ffff,
		0x7f7fffff, 0x7f7f8000, 0xff7f7fff, 0, 0x80000000, 0x3f800000}
	for _, typ := range []quant.Type{quant.F32, quant.F16, quant.BF16} {
		for _, sh := range [][2]int{{8, 8}, {16, 33}, {13, 64}, {9, 7}, {24, 200}} {
			n, cols := sh[0], sh[1]
			x := make([]float32, n*cols)
			for i := range x {
				switch k := rng.IntN(6); {
				case k == 0:
					x[i] = math.Float32frombits(edges[rng.IntN(len(edges))])
				case k == 1:
					x[i] = math.Float32frombits(rng.Uint32())
				default:
					x[i] = float32(rng.NormFloat64() * math.Pow(2, float64(rng.IntN(60)-30)))
				}
			}
			var got, want Activations
			got.Quantize(x, n, cols, typ, nil)
			restore := useGeneric(true)
			want.Quantize(x, n, cols, typ, nil)
			restore()
			for i := range want.f {
				if math.Float32bits(got.f[i]) != math.Float32bits(want.f[i]) {
					t.Fatalf("%s %dx%d: f[%d] = %#08x, Go %#08x", typ, n, cols, i, math.Float32bits(got.f[i]), math.Float32bits(want.f[i]))
				}
			}
			if got.fr != want.fr {
				t.Fatalf("%s %dx%d: range %#x, Go %#x", typ, n, cols, got.fr, want.fr)
			}
		}
	}
}

// TestAbsBytes: absBytes (SIMD part and Go tail) gives |int8| as unsigned
// bytes, 0x80 for −128, for every byte value and lengths around 32.
func TestAbsBytes(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 33, 256, 300} {
		src, dst := make([]byte, n), make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + 128)
		}
		absBytes(dst, src)
		for i, b := range src {
			want := byte(b)
			if int8(b) < 0 {
				want = byte(-int(int8(b)))
			}
			if dst[i] != want {
				t.Fatalf("n %d: |%#x| = %#x, want %#x", n, b, dst[i], want)
			}
		}
	}
}

// TestFuseBF16: whenever fuseBF16 admits two bfloat16 ranges, every product
// of values in them is exact in float32 (checked for one-value ranges over
// every exponent pair, subnormals included, and three mantissas), and
// typical weight and activation ranges are admitted.
func TestFuseBF16(t *testing.T) {
	var vals []uint16
	for e := range 255 {
		for _, m := range []uint16{0, 0x01, 0x7f} {
			if e == 0 && m == 0 {
				continue
			}
			vals = append(vals, uint16(e)<<7|m)
		}
	}
	one := func(h uint16) magRange { return noRange.add(h) }
	for _, a := range vals {
		for _, b := range vals {
			if !fuseBF16(one(a), one(b)) {
				continue
			}
			wa, xb := quant.BF16ToF32(a), quant.BF16ToF32(b)
			p := float64(wa) * float64(xb) // exact: 16 bits
			if float64(float32(p)) != p {
				t.Fatalf("fuseBF16(%#04x, %#04x) but %g·%g = %g is not a float32", a, b, wa, xb, p)
			}
		}
	}
	r := func(lo, hi float32) magRange { return one(quant.F32ToBF16(lo)).join(one(quant.F32ToBF16(hi))) }
	for _, c := range []struct {
		name   string
		w, x   magRange
		exact  bool
		reason string
	}{
		{"typical", r(1e-8, 4), r(1e-6, 300), true, ""},
		{"zeros", noRange.add(0).add(0x8000), r(1e30, 1e38), true, "all products ±0"},
		{"empty", noRange, r(1e-38, 3e38), true, ""},
		{"tiny", r(1e-30, 1), r(1e-20, 1), false, "1e-50 underflows"},
		{"huge", r(1, 1e20), r(1, 1e19), false, "1e39 overflows"},
		{"subnormal", noRange.add(1), r(1, 2), false, "2^-133 is subnormal"},
		{"inf", r(1, float32(math.Inf(1))), r(1, 2), false, ""},
		{"nan", r(1, 2), r(1, float32(math.NaN())), false, ""},
		{"edge low", r(0x1p-63, 1), r(0x1p-63, 1), true, "2^-126"},
		{"edge high", r(1, 0x1.fep62), r(1, 0x1.fep63), true, "< 2^127"},
		{"past high", r(1, 0x1p63), r(1, 0x1p64), false, "2^127 fits, but exponents alone bound it by 2^129"},
	} {
		if got := fuseBF16(c.w, c.x); got != c.exact {
			t.Errorf("%s: fuseBF16(%#x, %#x) = %v, want %v (%s)", c.name, c.w, c.x, got, c.exact, c.reason)
		}
	}
}

// floatCase is an F16/BF16 product whose values are chosen, not random.
type floatCase struct {
	name       string
	typ        quant.Type
	rows, cols int
	n          int
	w, x       func(i int) float32 // weight element i (row-major), activation element i
	fused      bool                // whether the tiles may fuse (fuseF16, fuseBF16)
}

// floatCases are inputs at the edges of fuseF16 and fuseBF16: subnormal
// halves, ±65504, Inf, NaNs (with payloads); BF16 products that underflow (1e-30·1e-20) or
// overflow (2^100·2^28, next to −1.9·2^127 that would cancel it in a fused
// add), subnormal bfloat16 and Inf/NaN; and BF16 ranges that may fuse.
func floatCases(rng *rand.Rand) []floatCase {
	norm := func(s float64) func(int) float32 {
		return func(int) float32 { return float32(rng.NormFloat64() * s) }
	}
	pick := func(vs ...float32) func(int) float32 {
		return func(int) float32 { return vs[rng.IntN(len(vs))] }
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	sub16 := func(int) float32 { return float32(rng.IntN(2047)-1023) * 0x1p-24 } // F16 subnormals
	return []floatCase{
		{"f16/normal", quant.F16, 13, 70, 19, norm(1), norm(3), true},
		{"f16/subnormal", quant.F16, 25, 33, 9, sub16, sub16, true},
		{"f16/mixed", quant.F16, 12, 64, 17, pick(0x1p-24, -0x1p-24, 65504, -65504, 1, 0, -0.5), pick(0x1p-24, 65504, -65504, 0.25, -3), true},
		{"f16/inf", quant.F16, 12, 40, 16, pick(1, 2, -1, 0, inf), pick(1, -1, 0x1p-20, 7), true},
		{"f16/nan", quant.F16, 12, 41, 16, pick(1, 2, -1, 0), pick(1, -1, nan, 65504, -inf), false},
		{"f16/payloads", quant.F16, 12, 36, 16, pick(nanBits(0x7fc02000), nanBits(0xffd00000), inf, 0, 3), pick(nanBits(0x7fe04000), nanBits(0xff808000), -inf, 0, 2), false},
		{"bf16/normal", quant.BF16, 25, 66, 19, norm(1e-3), norm(30), true},
		{"bf16/wide", quant.BF16, 12, 32, 16, pick(0x1p-60, 0x1p60, -1), pick(0x1p-66, 0x1p66, 3), true},
		{"bf16/tiny", quant.BF16, 13, 70, 17, norm(1e-30), norm(1e-20), false},
		{"bf16/subnormal", quant.BF16, 12, 64, 16, pick(0x1p-130, 0x1.8p-128, 1e-39, -2e-39, 0.5), norm(1), false},
		{"bf16/huge", quant.BF16, 12, 64, 16, pick(0x1p100, -0x1p100, 0x1.8p99), pick(0x1p28, -0x1.9p27, 1, 0x1.fep27), false},
		{"bf16/inf", quant.BF16, 12, 40, 16, norm(1), pick(1, -2, inf), false},
		{"bf16/nan", quant.BF16, 12, 40, 16, pick(1, -1, nan), norm(1), false},
		// F32 always fuses (fma32): rounding, overflowing products that the
		// fused sum cancels, subnormals, Inf and NaN payloads
		{"f32/normal", quant.F32, 13, 71, 19, norm(1), norm(3), true},
		{"f32/huge", quant.F32, 12, 64, 16, pick(0x1p100, -0x1p100, 3e38, -0x1.8p99), pick(0x1p28, -0x1.9p27, 1, 0x1.fep27, -3), true},
		{"f32/subnormal", quant.F32, 12, 65, 16, pick(1e-40, -3e-39, 1e-20, 0x1p-75, 0.5), pick(1e-20, 0x1p-75, -1e-39, 3), true},
		{"f32/inf", quant.F32, 12, 41, 17, pick(1, 2, -1, 0, inf, -inf), norm(1), true},
		{"f32/payloads", quant.F32, 12, 37, 16, pick(nanBits(0x7fc02000), nanBits(0xffd00000), nanBits(0x7f800001), inf, 0, 3), pick(nanBits(0x7fe04000), nanBits(0xff808000), -inf, 0, 2), true},
	}
}

func nanBits(b uint32) float32 { return math.Float32frombits(b) }

// build returns the case's matrix, activations and its magnitude ranges.
func (c floatCase) build(t *testing.T) (w Matrix, x []float32, rw, rx magRange) {
	rw, rx = noRange, noRange
	f32 := c.typ == quant.F32 // no ranges: F32 fuses whatever the data
	half := quant.F32ToF16
	if c.typ == quant.BF16 {
		half = quant.F32ToBF16
	}
	size := 2
	if f32 {
		size = 4
	}
	data := make([]byte, size*c.rows*c.cols)
	for i := range c.rows * c.cols {
		if f32 {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(c.w(i)))
			continue
		}
		h := half(c.w(i))
		rw = rw.add(h)
		binary.LittleEndian.PutUint16(data[2*i:], h)
	}
	w, err := NewMatrix(c.typ, c.rows, c.cols, data)
	if err != nil {
		t.Fatal(err)
	}
	x = make([]float32, c.n*c.cols)
	for i := range x {
		x[i] = c.x(i)
		if !f32 {
			rx = rx.add(half(x[i]))
		}
	}
	return w, x, rw, rx
}

// TestFloatEdgeCases: on floatCases the dispatched float tiles (the wide one
// and the 2-row one, which may fuse) give the generic result bit for bit
// (any NaN for NaN), and they are asked to fuse where the case says.
func TestFloatEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, c := range floatCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			w, x, rw, rx := c.build(t)
			k := weightKinds[c.typ]
			if got := k.fused || k.fuse(rw, rx); got != c.fused {
				t.Fatalf("fuse = %v, want %v", got, c.fused)
			}
			var a Activations
			a.Quantize(x, c.n, c.cols, c.typ, nil)
			if a.fr != rx {
				t.Fatalf("activation range %#x, want %#x", a.fr, rx)
			}
			defer func(fw func(*fTileW), f func(*fTile)) { tileF32W, tileF32 = fw, f }(tileF32W, tileF32)
			fusedW, fused := false, false // whether matMulF asked a tile to fuse
			if wide := tileF32W; wide != nil {
				tileF32W = func(t *fTileW) { fusedW = fusedW || t.fma; wide(t) }
			}
			narrow := tileF32
			tileF32 = func(t *fTile) { fused = fused || t.fma; narrow(t) }
			compareAsmGeneric(t, w, x, c.n)
			tileF32W = nil
			compareAsmGeneric(t, w, x, c.n)
			if want := c.fused && useFMA; fused != want || fusedW != (want && defaultTileF32W != nil) {
				t.Errorf("tiles fused: 2-row %v, wide %v; want %v", fused, fusedW, want)
			}
		})
	}
}

// TestFMA32LikeHardware runs fma32's test triples through the dispatched
// fused tiles (vfmadd231ps on x86, FMLA on arm64): with w = (1, 0, a) and
// every lane's x = (c, 0, b), each output row is
// (fma(a, b, fma(1, c, 0))) + fma(0, 0, 0), which fma32 must reproduce bit
// for bit.
func TestFMA32LikeHardware(t *testing.T) {
	if !useFMA {
		t.Skip("no fused float tiles in this build or on this CPU")
	}
	n := 1_000_000
	if testing.Short() || runtime.GOARCH != "amd64" { // arm64 is tested under emulation
		n = 100_000
	}
	const cols = 3
	type tile struct {
		name string
		rows int
		run  func(w, x []float32) []float32
	}
	tiles := []tile{{"2-row", 2, func(w, x []float32) []float32 {
		ft := fTile{w: [2][]float32{w[:cols], w[cols : 2*cols]}, x: [2][]float32{x, x},
			out: make([]float32, 4*lanes), pairs: 1, xstride: 2 * cols * lanes * 4, fma: true}
		tileF32(&ft)
		return ft.out
	}}}
	if wide := tileF32W; wide != nil {
		tiles = append(tiles, tile{"wide", fWideRows, func(w, x []float32) []float32 {
			ft := fTileW{w: w, x: x, out: make([]float32, fWideRows*2*lanes), cols: cols, pairs: 1, xstride: 2 * cols * lanes * 4, fma: true}
			wide(&ft)
			return ft.out
		}})
	}
	for _, tl := range tiles {
		t.Run(tl.name, func(t *testing.T) {
			w := make([]float32, fWideRows*cols)
			x := make([]float32, cols*lanes)
			var tri [][3]float32
			check := func() {
				for r := range tl.rows {
					w[r*cols], w[r*cols+1], w[r*cols+2] = 1, 0, tri[r][0]
				}
				for r := range tl.rows {
					a, b, c := tri[r][0], tri[r][1], tri[r][2]
					for l := range lanes {
						x[l], x[lanes+l], x[2*lanes+l] = c, 0, b
					}
					v := tl.run(w, x)[r*2*lanes]
					want := fma32(a, b, fma32(1, c, 0)) + fma32(0, 0, 0)
					if math.Float32bits(v) != math.Float32bits(want) {
						t.Fatalf("fma(%x, %x, %x): %#08x in the tile, %#08x from fma32", a, b, c, math.Float32bits(v), math.Float32bits(want))
					}
				}
				tri = tri[:0]
			}
			fmaTriples(rand.New(rand.NewPCG(91, 92)), n, func(a, b, c float32) {
				if tri = append(tri, [3]float32{a, b, c}); len(tri) == tl.rows {
					check()
				}
			})
		})
	}
}

// TestScatterFits: the scatter kernel takes matrices whose largest lane
// offset, 15·rows elements, fits its signed 32-bit indexes, and no others.
func TestScatterFits(t *testing.T) {
	for _, c := range []struct {
		rows int
		ok   bool
	}{{1, true}, {151936, true}, {math.MaxInt32 / 16, true}, {math.MaxInt32/16 + 1, false}, {1 << 40, false}} {
		if got := scatterFits(c.rows); got != c.ok {
			t.Errorf("scatterFits(%d) = %v, want %v", c.rows, got, c.ok)
		}
		if c.ok && int64(2*lanes-1)*int64(c.rows) > math.MaxInt32 {
			t.Errorf("scatterFits(%d): offset %d overflows int32", c.rows, int64(2*lanes-1)*int64(c.rows))
		}
	}
}

// TestScatterRowsLikeGeneric: scatterRows writes exactly the Go loop's
// elements (tile rows past nr and vectors past n untouched) for every
// shape class: one or two groups, partial last groups, a row range at the
// start, middle or end of y.
func TestScatterRowsLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	const canary = 0x7fc0f00d
	for range 2000 {
		rows := 1 + rng.IntN(40)
		n := 1 + rng.IntN(40)
		groups := (n + lanes - 1) / lanes
		ga := rng.IntN(groups)
		gb := ga
		if ga+1 < groups && rng.IntN(4) != 0 {
			gb = ga + 1
		}
		tr := fWideRows // the tile's rows: the wide float tile's or the matrix integer tile's
		if rng.IntN(2) == 0 {
			tr = chunkRows
		}
		nr := 1 + rng.IntN(min(rows, tr))
		r0 := rng.IntN(rows - nr + 1)
		out := randomX(rng, tr*2*lanes)
		want := make([]float32, n*rows)
		for i := range want {
			want[i] = math.Float32frombits(canary)
		}
		got, wide := slices.Clone(want), slices.Clone(want)
		scatterRows(got, rows, n, r0, nr, ga, gb, out)
		storeWide(wide, rows, n, r0, nr, tr, ga, gb, out)
		scatterRowsGeneric(want, rows, n, r0, nr, ga, gb, out)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.Float32bits(wide[i]) != math.Float32bits(want[i]) {
				t.Fatalf("rows %d n %d groups %d,%d rows %d+%d of %d: y[%d] = %#x (scatterRows), %#x (storeWide), want %#x",
					rows, n, ga, gb, r0, nr, tr, i, math.Float32bits(got[i]), math.Float32bits(wide[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// TestScalesLikeGeneric: the dispatched legacy scale reader gives the Go
// scales for every block layout (d alone, d and m), on random halves with
// NaNs, infinities and subnormals among them, for block counts around its
// four-block step.
func TestScalesLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(75, 76))
	special := []uint16{0x7c00, 0xfc00, 0x7c01, 0x7e00, 0xfd55, 0x0001, 0x83ff, 0x0000, 0x8000, 0x7bff}
	for _, c := range []struct{ bsize, moff int }{{18, -1}, {20, 2}, {22, -1}, {24, 2}, {34, -1}} {
		for _, n := range []int{1, 3, 4, 5, 8, 28, 31} {
			row := make([]byte, c.bsize*n)
			for i := range row {
				row[i] = byte(rng.Uint32())
			}
			for b := range n {
				if rng.IntN(3) == 0 {
					binary.LittleEndian.PutUint16(row[c.bsize*b:], special[rng.IntN(len(special))])
				}
				if c.moff >= 0 && rng.IntN(3) == 0 {
					binary.LittleEndian.PutUint16(row[c.bsize*b+c.moff:], special[rng.IntN(len(special))])
				}
			}
			gotS, wantS := make([]uint32, n), make([]uint32, n)
			gotAB, wantAB := make([]float32, 2*n+1), make([]float32, 2*n+1)
			gotAB[2*n], wantAB[2*n] = 7, 7 // past the end: untouched
			for i := range 2 * n {
				gotAB[i], wantAB[i] = 3, 3
			}
			legacyScales(row, c.bsize, c.moff, gotS, gotAB)
			legacyScalesGeneric(row, c.bsize, c.moff, wantS, wantAB)
			for i := range wantAB {
				if math.Float32bits(gotAB[i]) != math.Float32bits(wantAB[i]) {
					t.Fatalf("%d-byte blocks (min at %d), %d blocks: ab[%d] = %#x, want %#x",
						c.bsize, c.moff, n, i, math.Float32bits(gotAB[i]), math.Float32bits(wantAB[i]))
				}
			}
			if !slices.Equal(gotS, wantS) {
				t.Fatalf("%d-byte blocks, %d blocks: sc %x, want %x", c.bsize, n, gotS, wantS)
			}
		}
	}
}

// TestNibblesLikeGeneric: the dispatched nibble unpacker gives the Go
// codes for each legacy block layout, and the Q8_0 code copy the Go copy,
// on random bytes.
func TestNibblesLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(73, 74))
	for _, c := range []struct{ bsize, qoff, hoff int }{{18, 2, -1}, {20, 4, -1}, {22, 6, 2}, {24, 8, 4}} {
		for _, nblk := range []int{1, 2, 7, 28} {
			row := make([]byte, c.bsize*nblk)
			for i := range row {
				row[i] = byte(rng.Uint32())
			}
			got, want := make([]byte, 32*nblk+8), make([]byte, 32*nblk+8)
			nibbles(got, row, nblk, c.bsize, c.qoff, c.hoff)
			nibblesGeneric(want, row, nblk, c.bsize, c.qoff, c.hoff)
			if !bytes.Equal(got, want) {
				t.Fatalf("block %d bytes, %d blocks: %x, want %x", c.bsize, nblk, got, want)
			}
		}
	}
	for _, nblk := range []int{1, 2, 7, 28} { // Q8_0 codes
		row := make([]byte, 34*nblk)
		for i := range row {
			row[i] = byte(rng.Uint32())
		}
		got, want := make([]byte, 32*nblk+8), make([]byte, 32*nblk+8)
		codes8(got, row, nblk)
		codes8Generic(want, row, nblk)
		if !bytes.Equal(got, want) {
			t.Fatalf("Q8_0, %d blocks: %x, want %x", nblk, got, want)
		}
	}
}
