//go:build noasm || !(amd64 || arm64)

package matmul

// Without assembly every kernel is its pure-Go twin.

var (
	defaultTileI8   = tileI8Generic
	defaultTileF32  = tileF32Generic
	tileI8          = defaultTileI8
	tileF32         = defaultTileF32
	defaultTileF32W func(*fTileW) // no wide tile
	tileF32W        = defaultTileF32W
	defaultTileI8W  func(*i8TileW) // no matrix tile
	tileI8W         = defaultTileI8W
	unpackF16       = unpackF16Generic
	unpackBF16      = unpackBF16Generic
	interleave8     func(x []float32, cols int, f []float32, mode int) // none: Go only
	absRange8       func(x []float32) (lo, hi uint32)                  // none: Go only
	absBytes32      func(dst, src []byte)                              // none: Go only
	dot16           = dot16Generic
	axpy8           = axpy8Generic
	expSum8         = expSum8Generic
	nibbles32       = nibblesGeneric
	codes32         = codes8Generic
	scales32        = legacyScalesGeneric
	siluMulK        = siluRowsGeneric
	siluStep        = 4
	prefetch        func([]byte)                                         // none: not measured there
	tilePrefetch    = false                                              // Go tiles only
	i8Prefetch      = false                                              // Go tiles only
	scatter16       func(y, out *float32, nr, rows, dg int, mask uint16) // none: Go only
	transpose16     func(y, out *float32, nr, rows, dg int, mask uint16) // none: Go only
	scatter2        func(y, out *float32, rows, dg int, mask uint16)     // none: Go only
	absMax          = absMaxGeneric
	quantScale      = quantScaleGeneric
)

// useFMA: the dispatched float tiles here never fuse; F32, which always
// fuses, runs on the Go twins (fma32) instead, F16/BF16 unfused.
const useFMA = false

// HasAsm reports whether SIMD kernels are in use (false in this build).
func HasAsm() bool { return false }
