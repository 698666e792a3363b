//go:build !noasm

package matmul

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels, decided once: AVX2 for the integer
// kernels (vpmaddubsw on 256-bit registers). FMA is not needed: without it
// F32 products run on the Go twins (useFMA).
var useAVX2 = cpu.X86.HasAVX2

// useFMA lets the float tiles fuse multiply and add: always for F32 (the
// definition of its numerics), and for F16/BF16 when the data prove that
// this changes no bit (fuseF16, fuseBF16): vfmadd231ps, which AVX-512 F
// implies.
var useFMA = useAVX2 && cpu.X86.HasFMA

// useAVX512 selects the AVX-512 kernels (F for the wide float tile; BW and
// VL are implied on every CPU that has the other kernels' features), decided
// once at init beside useAVX2.
var useAVX512 = useAVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL

// useVNNI selects the integer kernel with vpdpbusd (AVX512-VNNI, EVEX on
// 256-bit registers).
var useVNNI = useAVX512 && cpu.X86.HasAVX512VNNI

// useAMX selects the matrix integer tile (i8TileW) on CPUs with AMX-INT8,
// once the kernel has let this process use the tile registers
// (amxPermitted: Linux asks each process to request them).
var useAMX = useVNNI && cpu.X86.HasAVX512DQ && cpu.X86.HasAMXTile && cpu.X86.HasAMXInt8 && amxPermitted()

var (
	defaultTileI8W  = pick(useAMX, tileI8AMXKinds, nil)
	tileI8W         = defaultTileI8W
	defaultTileI8   = pick(useVNNI, tileI8VNNI, pick(useAVX2, tileI8AVX2, tileI8Generic))
	defaultTileF32  = pick(useAVX2, tileF32AVX2, tileF32Generic)
	tileI8          = defaultTileI8
	tileF32         = defaultTileF32
	defaultTileF32W = pick(useAVX512, tileF32WAVX512, nil)
	tileF32W        = defaultTileF32W
	unpackF16       = pick(useAVX512 && cpu.X86.HasF16C, unpackF16AVX512, pick(useAVX2 && cpu.X86.HasF16C, unpackF16AVX2, unpackF16Generic))
	unpackBF16      = pick(useAVX2, unpackBF16AVX2, unpackBF16Generic)
	interleave8     = pick(useAVX2 && cpu.X86.HasF16C, interleave8AVX2, nil)
	absRange8       = pick(useAVX2, absRangeAVX2, nil)
	absBytes32      = pick(useAVX2, absBytesAVX2, nil)
	dot16           = pick(useAVX2, dot16AVX2, dot16Generic)
	axpy8           = pick(useAVX2, axpy8AVX2, axpy8Generic)
	expSum8         = pick(useAVX2, expSum8AVX2, expSum8Generic)
	nibbles32       = pick(useAVX2, nibblesAVX2, nibblesGeneric)
	codes32         = pick(useAVX2, codes8AVX2, codes8Generic)
	scales32        = pick(useAVX2 && cpu.X86.HasF16C, legacyScalesAVX2, legacyScalesGeneric)
	siluMulK        = pick(useAVX512, siluMulAVX512, pick(useAVX2, siluMulAVX2, siluRowsGeneric))
	siluStep        = pick(useAVX512, 8, 4)
	prefetch        = pick(useAVX2, prefetchX86, nil)
	tilePrefetch    = useAVX2 // the float tiles take a prefetch range
	i8Prefetch      = useVNNI // so does tileI8VNNI (tileI8AVX2 gets a burst: prefetch)
	scatter16       = pick(useAVX512, scatter16AVX512, nil)
	transpose16     = pick(useAVX512, transpose16AVX512, nil)
	scatter2        = pick(useAVX512 && cpu.X86.HasBMI2, scatter2AVX512, nil)
	absMax          = pick(useAVX2, absMaxAVX2, absMaxGeneric)
	quantScale      = pick(useAVX2, quantScaleAVX2, quantScaleGeneric)
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

// tileI8VNNI is tileI8AVX2 with vpdpbusd group sums (exact int32, so
// bitwise the same result); Q4_0, Q5_0 and Q8_0 run in a loop of their
// own (kernel_amd64.s).
//
//go:noescape
func tileI8VNNI(t *i8Tile)

// tileI8AMX is tileI8WGeneric on the matrix unit: per scale group one
// tdpbssd (16 rows × the pair's 16 vectors of exact int32 sums, signed
// codes times signed codes) stored to t.c, two tile sets alternating, then
// scaled and summed per row in zmm registers; the superblock epilogue
// performs tileI8Generic's float operations in its order, 16 vectors of a
// row at a time. It configures the tiles on entry and releases them on
// return.
//
//go:noescape
func tileI8AMX(t *i8TileW)

// tileI8AMX1 is tileI8AMX for kinds with one scale group of scale 1 per
// block (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1): the sums go straight into the
// epilogue, the accumulators stay in registers for the whole pair.
//
//go:noescape
func tileI8AMX1(t *i8TileW)

// tileI8AMXKinds runs the AMX kernel made for t's kind.
func tileI8AMXKinds(t *i8TileW) {
	if t.gpb == 1 { // oneGroup: scale 1, no table
		tileI8AMX1(t)
		return
	}
	tileI8AMX(t)
}

// tileF32AVX2 is tileF32Generic (the reference loop, documented there) in
// AVX2, with the same separate multiply and add per element, or with
// vfmadd231ps (fma32's bits) if t.fma.
//
//go:noescape
func tileF32AVX2(t *fTile)

// tileF32WAVX512 is tileF32WGeneric in AVX-512: one zmm register holds the
// 16 vectors of a group pair (two 8-lane groups joined), 24 registers hold
// the even and odd sums of the 12 rows, weights are broadcast from memory
// into each multiply; the same separate multiply and add per element, or
// vfmadd231ps (fma32's bits) if t.fma.
//
//go:noescape
func tileF32WAVX512(t *fTileW)

// unpackF16AVX2 is unpackF16Generic for the first len(f)&^7 halves: it
// converts them with vcvtph2ps, which quiets signaling NaNs alike, and
// returns their magRange.
//
//go:noescape
func unpackF16AVX2(row []byte, f []float32) (lo, hi uint32)

// unpackF16AVX512 is unpackF16AVX2 with 32 halves a step (the F16 rows
// of a reference are unpacked per chunk of scored rows: ~11% of a
// challenge batch).
//
//go:noescape
func unpackF16AVX512(row []byte, f []float32) (lo, hi uint32)

// unpackBF16AVX2 is unpackBF16Generic for the first len(f)&^7 values: it
// widens them (a shift: exact) and returns their magRange.
//
//go:noescape
func unpackBF16AVX2(row []byte, f []float32) (lo, hi uint32)

// interleave8AVX2 is interleaveLane for the eight vectors x[l·cols:(l+1)·cols]
// of a full group and their first len(f)/8 elements (a multiple of 8):
// rounded to F16 with vcvtps2ph (nearest even; NaN then set to
// F32ToF16's quiet NaN with the sign), to BF16 with F32ToBF16's integer
// rounding, or not at all (mode 1, 2, 0), then transposed 8×8 in registers.
// Both roundings were checked once against the Go twins on all 2^32 inputs.
//
//go:noescape
func interleave8AVX2(x []float32, cols int, f []float32, mode int)

// absRangeAVX2 is absRangeGeneric for len(x) a multiple of 8.
//
//go:noescape
func absRangeAVX2(x []float32) (lo, hi uint32)

// absBytesAVX2 is absBytes (vpabsb: −128 gives 0x80) for len(src) a
// multiple of 32, len(dst) ≥ len(src).
//
//go:noescape
func absBytesAVX2(dst, src []byte)

// dot16AVX2 is dot16Generic: two registers hold p[0:8] and p[8:16].
//
//go:noescape
func dot16AVX2(a, b []float32, p *[16]float32)

// scatter16AVX512 stores nr rows of 16 floats (out[r][l]) at
// y[idx[l] + r] for the lanes l set in mask, where idx[l] = l·rows and
// idx[8+l] = (8·dg + l)·rows (dg = gb − ga, 0 or 1): one vscatterdps per
// row. scatterRows checks every index it can reach. The indexes are made
// here, not passed: an array handed to a kernel through a function
// variable escapes to the heap, which made 22 MB of garbage per call.
//
//go:noescape
func scatter16AVX512(y, out *float32, nr, rows, dg int, mask uint16)

// expSum8AVX2 is expSum8Generic, eight elements at a time (the lanes of
// p as two registers of four float64).
//
//go:noescape
func expSum8AVX2(e, x []float32, m float32, p *[8]float64)

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

// nibblesAVX2 is nibblesGeneric, one block per step: the nibbles split by
// a shift and a mask, the fifth bits spread to bytes by a shuffle and a
// compare.
//
//go:noescape
func nibblesAVX2(q, row []byte, nblk, bsize, qoff, hoff int)

// codes8AVX2 is codes8Generic, one 32-byte move per block (a copy per
// block called memmove, 7% of a challenge batch on Q8_0 output weights).
//
//go:noescape
func codes8AVX2(q, row []byte, nblk int)

// legacyScalesAVX2 is legacyScalesGeneric four blocks per step: the
// halves gathered into one register and widened by one vcvtph2ps (the
// per-block table lookups it replaced were 8.5% of a 64-token Q4_0 batch).
//
//go:noescape
func legacyScalesAVX2(row []byte, bsize, moff int, sc []uint32, ab []float32)

// siluMulAVX2 is siluRowsGeneric for width a multiple of 4: Expf in four
// float64 lanes (its table read by a gather), the same operations in the
// same order, then the float32 steps of silu and the product.
//
//go:noescape
func siluMulAVX2(g, u []float32, rows, width, stride int)

// siluMulAVX512 is siluMulAVX2 for width a multiple of 8, eight float64
// lanes a step (SwiGLU was 3–4% of a batch on the ymm kernel).
//
//go:noescape
func siluMulAVX512(g, u []float32, rows, width, stride int)

// prefetchX86 asks for b's cache lines (prefetcht0 every 64 bytes), so
// that their reads from memory overlap instead of waiting on each other.
//
//go:noescape
func prefetchX86(b []byte)

// transpose16AVX512 stores a wide tile's output: out[r][0:16] for
// r < nr ≤ 16, vector l < 8 at y[l·rows + r], l ≥ 8 at
// y[(8·dg + l − 8)·rows + r], vectors whose mask bit is clear skipped
// (storeWide). out holds 12 rows (the float tile's), or 16 when nr > 12
// (the matrix integer tile's). The rows are transposed in registers
// (unpacks and 128-bit block shuffles), then each vector is one masked
// store.
//
//go:noescape
func transpose16AVX512(y, out *float32, nr, rows, dg int, mask uint16)

// scatter2AVX512 is scatter16AVX512 for nr = 2 (the integer tile's row
// pairs): each vector's two outputs interleaved into one qword, stored by
// two eight-qword scatters instead of two sixteen-element ones.
//
//go:noescape
func scatter2AVX512(y, out *float32, rows, dg int, mask uint16)
