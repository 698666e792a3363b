package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
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
		{"qa", unsafe.Offsetof(x.qa), 544},
	} {
		if c.got != c.want {
			t.Errorf("offset of i8Tile.%s = %d, asm assumes %d", c.name, c.got, c.want)
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
	var fw fTileW
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"w", unsafe.Offsetof(fw.w), 0}, {"x", unsafe.Offsetof(fw.x), 24}, {"out", unsafe.Offsetof(fw.out), 48},
		{"cols", unsafe.Offsetof(fw.cols), 72}, {"pairs", unsafe.Offsetof(fw.pairs), 80},
		{"xstride", unsafe.Offsetof(fw.xstride), 88}, {"dx", unsafe.Offsetof(fw.dx), 96},
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
		cols := k.sb
		for _, fill := range []byte{0x00, 0x55, 0x80, 0xaa, 0xff} {
			row := make([]byte, typ.TypeSize()*(cols/typ.BlockSize()))
			for i := range row {
				row[i] = fill
			}
			q := make([]byte, cols)
			sc := make([]uint32, cols/k.gs)
			k.unpack(row, q, sc, make([]uint32, cols/k.sb*8), make([]float32, cols/k.sb*2))
			if k.spm == 1 && sc[0] != pair(1) {
				t.Fatalf("%s: signed codes with scale %#x, tileI8VNNI assumes 1", typ, sc[0])
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
// their Go twins on every 16-bit pattern (NaNs quieted alike).
func TestUnpackHalfAsm(t *testing.T) {
	row := make([]byte, 2<<16)
	for h := range 1 << 16 {
		row[2*h], row[2*h+1] = byte(h), byte(h>>8)
	}
	for _, c := range []struct {
		name      string
		got, want func([]byte, []float32)
	}{{"F16", unpackF16Row, unpackF16Generic}, {"BF16", unpackBF16Row, unpackBF16Generic}} {
		got, want := make([]float32, 1<<16), make([]float32, 1<<16)
		c.got(row, got)
		c.want(row, want)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s %#04x: %#08x, Go %#08x", c.name, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
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
