//go:build !noasm

package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
	"golang.org/x/sys/cpu"
)

// TestEveryAMD64Kernel runs each integer kernel this CPU can execute (AVX2,
// and AVX512-VNNI when present) against the pure-Go twin, whichever one
// init dispatched to, for every quantized type.
func TestEveryAMD64Kernel(t *testing.T) {
	kernels := map[string]func(*i8Tile){}
	if useAVX2 {
		kernels["avx2"] = tileI8AVX2
	}
	if useVNNI {
		kernels["vnni"] = tileI8VNNI
	}
	if len(kernels) == 0 {
		t.Skip("no AVX2 on this CPU")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for name, k := range kernels {
		for _, typ := range allTypes {
			if typ == quant.F32 || typ == quant.F16 || typ == quant.BF16 {
				continue
			}
			cols := 512
			t.Run(fmt.Sprintf("%s/%s", name, typ), func(t *testing.T) {
				old, oldW := tileI8, tileI8W
				tileI8, tileI8W = k, nil // the 2-row kernel, not the matrix tile
				defer func() { tileI8, tileI8W = old, oldW }()
				w := randomMatrix(t, rng, typ, 5, cols)
				compareAsmGeneric(t, w, randomX(rng, 19*cols), 19)
			})
		}
	}
}

// TestFusedLikeUnfused calls the float tiles directly with fma on and off
// on floatCases (12 rows, one group pair). Fused, the SIMD tiles give the
// Go twins' fma32 bits exactly, NaN payloads included (which checks
// nanFMA's choice of NaN against vfmadd231ps); not fused, the same up to
// NaN payloads (the compiler may order a scalar multiply's operands
// either way). For F16/BF16, where the case may fuse, fused and unfused
// outputs are bitwise equal (Inf and the NaNs it makes included); where
// BF16 products underflow or overflow, or NaN inputs carry payloads,
// fusing would change bits, which is why fuseF16 and fuseBF16 refuse them.
func TestFusedLikeUnfused(t *testing.T) {
	if !useFMA {
		t.Skip("no FMA on this CPU")
	}
	rng := rand.New(rand.NewPCG(71, 72))
	for _, c := range floatCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			w, x, _, _ := c.build(t)
			k := weightKinds[c.typ]
			cols := c.cols
			panel := make([]float32, fWideRows*cols)
			for r := range fWideRows {
				k.unpackF(w.Row(r), panel[r*cols:(r+1)*cols])
			}
			var a Activations
			a.Quantize(x, c.n, cols, c.typ, nil)
			dx := 0
			if a.groups > 1 {
				dx = cols * lanes * 4
			}
			narrow := func(tile func(*fTile)) func(fma bool) []float32 {
				return func(fma bool) []float32 {
					ft := fTile{w: [2][]float32{panel[:cols], panel[cols : 2*cols]}, x: [2][]float32{a.f, a.f[dx/4:]},
						out: make([]float32, 4*lanes), pairs: 1, xstride: 2 * cols * lanes * 4, fma: fma}
					tile(&ft)
					return ft.out
				}
			}
			wide := func(tile func(*fTileW)) func(fma bool) []float32 {
				return func(fma bool) []float32 {
					ft := fTileW{w: panel, x: a.f, out: make([]float32, fWideRows*2*lanes), cols: cols,
						pairs: 1, xstride: 2 * cols * lanes * 4, dx: dx, fma: fma}
					tile(&ft)
					return ft.out
				}
			}
			type pair struct{ asm, generic func(bool) []float32 }
			tiles := map[string]pair{"avx2": {narrow(tileF32AVX2), narrow(tileF32Generic)}}
			if useAVX512 {
				tiles["avx512"] = pair{wide(tileF32WAVX512), wide(tileF32WGeneric)}
			}
			for name, tile := range tiles {
				for _, fma := range []bool{false, true} {
					got, want := tile.asm(fma), tile.generic(fma)
					for i := range got {
						g, w := math.Float32bits(got[i]), math.Float32bits(want[i])
						if g != w && (fma || got[i] == got[i] || want[i] == want[i]) {
							t.Fatalf("%s fma=%v: out[%d] = %#08x asm, %#08x generic", name, fma, i, g, w)
						}
					}
				}
				if c.typ == quant.F32 {
					continue
				}
				plain, fused := tile.asm(false), tile.asm(true)
				diff := 0
				for i := range plain {
					if math.Float32bits(plain[i]) != math.Float32bits(fused[i]) {
						if c.fused {
							t.Fatalf("%s: out[%d] = %#08x fused, %#08x not", name, i, math.Float32bits(fused[i]), math.Float32bits(plain[i]))
						}
						diff++
					}
				}
				if (c.name == "bf16/tiny" || c.name == "bf16/huge" || c.name == "f16/payloads") && diff == 0 {
					t.Errorf("%s: fusing changes nothing here; the case no longer shows why it is refused", name)
				}
			}
		})
	}
}

// TestUnpackF16EveryKernel runs TestUnpackHalfAsm (every half pattern,
// ranges, edge rows) on each F16 unpack kernel this CPU can execute, not
// only the dispatched one.
func TestUnpackF16EveryKernel(t *testing.T) {
	defer func(k func([]byte, []float32) (uint32, uint32)) { unpackF16 = k }(unpackF16)
	for _, k := range []struct {
		name string
		ok   bool
		fn   func([]byte, []float32) (uint32, uint32)
	}{{"avx2", useAVX2 && cpu.X86.HasF16C, unpackF16AVX2}, {"avx512", useAVX512 && cpu.X86.HasF16C, unpackF16AVX512}} {
		if !k.ok {
			continue
		}
		unpackF16 = k.fn
		t.Run(k.name, TestUnpackHalfAsm)
	}
}

// siluKernels lists the SiLUMul kernels this CPU runs, so that each is
// compared with the Go loop whichever one init dispatched to.
func siluKernels() []siluKernel {
	var ks []siluKernel
	if useAVX2 {
		ks = append(ks, siluKernel{"avx2", siluMulAVX2, 4})
	}
	if useAVX512 {
		ks = append(ks, siluKernel{"avx512", siluMulAVX512, 8})
	}
	return ks
}
