//go:build !noasm

package matmul

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels, decided once: AVX2 for the integer
// kernels (vpmaddubsw on 256-bit registers), FMA is not needed (the kernels
// never fuse, see the package doc).
var useAVX2 = cpu.X86.HasAVX2

var (
	defaultTileI8  = pick(useAVX2, tileI8AVX2, tileI8Generic)
	defaultTileF32 = tileF32Generic
	tileI8         = defaultTileI8
	tileF32        = defaultTileF32
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
