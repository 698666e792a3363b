//go:build !noasm

package matmul

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels, decided once: AVX2 for the integer
// kernels (vpmaddubsw on 256-bit registers), FMA is not needed (the kernels
// never fuse, see the package doc).
var useAVX2 = cpu.X86.HasAVX2

var (
	defaultTileI8  = pick(useAVX2, tileI8AVX2, tileI8Generic)
	defaultTileF32 = pick(useAVX2, tileF32AVX2, tileF32Generic)
	tileI8         = defaultTileI8
	tileF32        = defaultTileF32
	dot16          = pick(useAVX2, dot16AVX2, dot16Generic)
	axpy8          = pick(useAVX2, axpy8AVX2, axpy8Generic)
	absMax         = pick(useAVX2, absMaxAVX2, absMaxGeneric)
	quantScale     = pick(useAVX2, quantScaleAVX2, quantScaleGeneric)
)

func pick[F any](cond bool, yes, no F) F {
	if cond {
		return yes
	}
	return no
}

// HasAsm reports whether SIMD kernels are in use.
func HasAsm() bool { return useAVX2 }

// tileI8AVX2 is tileI8Generic (the reference loop, documented there) in
// AVX2: int16/int32 SIMD sums per lane, then the same float32 operations in
// the same order. t's slices must have the exact lengths listed on i8Tile.
//
//go:noescape
func tileI8AVX2(t *i8Tile)

// tileF32AVX2 is tileF32Generic (the reference loop, documented there) in
// AVX2, with the same separate multiply and add per element.
//
//go:noescape
func tileF32AVX2(t *fTile)

// dot16AVX2 is dot16Generic: two registers hold p[0:8] and p[8:16].
//
//go:noescape
func dot16AVX2(a, b []float32, p *[16]float32)

// axpy8AVX2 is axpy8Generic, eight elements at a time.
//
//go:noescape
func axpy8AVX2(alpha float32, x, y []float32)

// absMaxAVX2 is absMaxGeneric for len(x) a multiple of 8.
//
//go:noescape
func absMaxAVX2(x []float32) float32

// quantScaleAVX2 is quantScaleGeneric for len(x) a multiple of 32 and
// len(q) ≥ len(x): vroundps (nearest even), clamp with vmaxps/vminps (NaN
// → −127), then pack to bytes.
//
//go:noescape
func quantScaleAVX2(x []float32, scale float32, q []byte) int32
