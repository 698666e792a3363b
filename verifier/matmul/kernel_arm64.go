//go:build !noasm

package matmul

import "golang.org/x/sys/cpu"

// useNEON selects the arm64 kernels, decided once. The integer kernel needs
// the dot-product extension (SDOT: Apple M1 and later, Neoverse N1 and
// later); the float ones only need NEON but are switched together for
// simplicity. The activation quantizers are the pure-Go twins on arm64.
var useNEON = cpu.ARM64.HasASIMDDP

var (
	defaultTileI8   = pick(useNEON, tileI8NEON, tileI8Generic)
	defaultTileF32  = pick(useNEON, tileF32NEON, tileF32Generic)
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
	dot16           = pick(useNEON, dot16NEON, dot16Generic)
	axpy8           = pick(useNEON, axpy8NEON, axpy8Generic)
	expSum8         = expSum8Generic
	nibbles32       = nibblesGeneric
	codes32         = codes8Generic
	scales32        = legacyScalesGeneric
	siluMulK        = siluRowsGeneric
	siluStep        = 4
	prefetch        func([]byte)                                         // none: not measured there
	tilePrefetch    = false                                              // not measured there
	i8Prefetch      = false                                              // not measured there
	scatter16       func(y, out *float32, nr, rows, dg int, mask uint16) // none: Go only
	transpose16     func(y, out *float32, nr, rows, dg int, mask uint16) // none: Go only
	scatter2        func(y, out *float32, rows, dg int, mask uint16)     // none: Go only
	absMax          = absMaxGeneric
	quantScale      = quantScaleGeneric
)

// useFMA lets the float tiles fuse multiply and add (FMLA, one rounding:
// fma32's bits): always for F32, and for F16/BF16 where the data prove that
// this changes no bit (fuseF16, fuseBF16).
var useFMA = useNEON

func pick[F any](cond bool, yes, no F) F {
	if cond {
		return yes
	}
	return no
}

// HasAsm reports whether SIMD kernels are in use.
func HasAsm() bool { return useNEON }

// tileI8NEON is tileI8Generic (the reference loop, documented there) with
// NEON SDOT: int32 group sums per lane, times the group scale, then the same
// float32 operations in the same order. t's slices must have the exact
// lengths listed on i8Tile.
//
//go:noescape
func tileI8NEON(t *i8Tile)

// tileF32NEON is tileF32Generic (see there) in NEON, with the same separate
// multiply and add per element, or with FMLA (fma32's bits) if t.fma.
//
//go:noescape
func tileF32NEON(t *fTile)

// dot16NEON is dot16Generic: four registers hold p[0:16].
//
//go:noescape
func dot16NEON(a, b []float32, p *[16]float32)

// axpy8NEON is axpy8Generic, eight elements at a time.
//
//go:noescape
func axpy8NEON(alpha float32, x, y []float32)
