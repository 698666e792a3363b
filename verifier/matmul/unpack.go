package matmul

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Weight rows are unpacked, a few at a time, into a "panel" that every
// integer kernel reads the same way, whatever the ggml type:
//
//	q    [cols]byte       codes: unsigned 0..63 for every type but Q8_0 (int8)
//	sc   [cols/gs]uint32  integer scale of each group of gs elements, as an int16 pair (s, s)
//	mins [nsb·8]uint32    per superblock, eight int16 pairs (m_2p, m_2p+1) of the
//	                      integer mins of the 16-element groups 2p and 2p+1 (K-quants with mins)
//	ab   [nsb·2]float32   per superblock the float scales: A (d) and B (dmin or m)
//
// A superblock is one activation block (32 elements for Q8_0/Q8_1, 256 for
// Q8_K). Its integer sums are
//
//	S1 = Σ_groups sc·Σ_{e in group} q_e·y_e     S2 = Σ_p m_2p·bsum_2p + m_2p+1·bsum_2p+1
//
// (bsum: the Q8_K sums of 16 activation codes). Types whose value is
// sc·(q − off) keep the unsigned q (so that vpmaddubsw needs no sign trick)
// and subtract the offset in integers: Q6_K/Q3_K store off·sc pairs as
// "mins" and use S1 − S2, Q4_0/Q5_0 use S1 − off·Σy. The float epilogue of
// each kind is given in kernel_generic.go. Unpacking a row costs O(cols) and
// is amortized over every activation vector of the batch.

// Epilogue kinds (the numbers are used by kernel_amd64.s).
const (
	epiPlain  = 0 // acc += S1·(A·dy)                          (Q8_0)
	epiMins   = 1 // acc += S1·(A·dy); acc -= S2·(B·dy)        (Q4_K, Q5_K, Q2_K)
	epiLegacy = 2 // acc += S1·(A·dy); acc += B·sy              (Q4_1, Q5_1 with Q8_1's s)
	epiFloat  = 3 // float weights: no panel codes, see tileF32Generic
	epiOffK   = 4 // acc += (S1−S2)·(A·dy)                      (Q6_K, Q3_K: mins = off·sc)
	epiOff0   = 5 // acc += (S1−off·Σy)·(A·dy)                  (Q4_0, Q5_0)
)

// weightKind describes how one weight type is multiplied.
type weightKind struct {
	act quant.Type // vec_dot_type of the activations
	sb  int        // superblock size = activation block size (1 for float kinds)
	gs  int        // elements per integer scale group
	// spm is the number of 4-element steps summed in int16 before widening
	// (bounded so that int16 cannot overflow). spm = 1 means signed codes
	// (Q8_0, multiplied with the sign trick), spm > 1 unsigned codes.
	spm int
	epi int
	off int // epiOff0: the code offset
	// unpack writes one row into the panel slot (q, sc, mins, ab) or, for
	// float kinds, f. Slices have exactly the sizes listed above.
	unpack func(row []byte, q []byte, sc, mins []uint32, ab []float32)
	// unpackF returns the magnitude range of the row (F16 and BF16; F32
	// returns noRange without looking).
	unpackF func(row []byte, f []float32) magRange
	// fuse reports whether the float tiles may fuse multiply and add for
	// weights and activations with these ranges, where that changes no bit
	// (F16, BF16; nil for F32, which always fuses).
	fuse func(rw, rx magRange) bool
	// fused: every step of the float tiles is fma32, whatever the data
	// (F32, whose products have up to 48 bits: fusing changes bits, so it
	// is the definition, not an optimization).
	fused bool
}

// The int16 bound of spm: one vpmaddubsw step adds two products |w|·|y| with
// |y| ≤ 127, so spm·2·127·max|w| must stay ≤ 32767: Q8_0 (|w| ≤ 128) gives 1,
// w ≤ 15 (Q4_*) 8, w ≤ 31 (Q5_*) 4, Q6_K (w ≤ 63) 2; Q2_K/Q3_K groups are
// only 4 steps long.
var weightKinds = map[quant.Type]weightKind{
	quant.F32:  {act: quant.F32, sb: 1, epi: epiFloat, unpackF: unpackF32, fused: true},
	quant.F16:  {act: quant.F16, sb: 1, epi: epiFloat, unpackF: unpackF16Row, fuse: fuseF16},
	quant.BF16: {act: quant.BF16, sb: 1, epi: epiFloat, unpackF: unpackBF16Row, fuse: fuseBF16},
	quant.Q8_0: {act: quant.Q8_0, sb: 32, gs: 32, spm: 1, epi: epiPlain, unpack: unpackQ8_0},
	quant.Q4_0: {act: quant.Q8_0, sb: 32, gs: 32, spm: 8, epi: epiOff0, off: 8, unpack: unpackQ4_0},
	quant.Q5_0: {act: quant.Q8_0, sb: 32, gs: 32, spm: 4, epi: epiOff0, off: 16, unpack: unpackQ5_0},
	quant.Q4_1: {act: quant.Q8_1, sb: 32, gs: 32, spm: 8, epi: epiLegacy, unpack: unpackQ4_1},
	quant.Q5_1: {act: quant.Q8_1, sb: 32, gs: 32, spm: 4, epi: epiLegacy, unpack: unpackQ5_1},
	quant.Q2_K: {act: quant.Q8_K, sb: 256, gs: 16, spm: 4, epi: epiMins, unpack: unpackQ2_K},
	quant.Q3_K: {act: quant.Q8_K, sb: 256, gs: 16, spm: 4, epi: epiOffK, unpack: unpackQ3_K},
	quant.Q4_K: {act: quant.Q8_K, sb: 256, gs: 32, spm: 8, epi: epiMins, unpack: unpackQ4_K},
	quant.Q5_K: {act: quant.Q8_K, sb: 256, gs: 32, spm: 4, epi: epiMins, unpack: unpackQ5_K},
	quant.Q6_K: {act: quant.Q8_K, sb: 256, gs: 16, spm: 2, epi: epiOffK, unpack: unpackQ6_K},
}

// SWAR helpers: eight codes at a time in a uint64 (byte k = element k).
const (
	lo4   = 0x0f0f0f0f0f0f0f0f
	lo2   = 0x0303030303030303
	ones8 = 0x0101010101010101
)

func le64(b []byte) uint64     { return binary.LittleEndian.Uint64(b) }
func put64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// absBytes sets dst[i] = |int8(src[i])| as an unsigned byte (128 for −128),
// eight at a time: a negative byte x becomes (x XOR 0xff) + 1 = −x, which
// never carries into the next byte.
func absBytes(dst, src []byte) {
	i := 0
	if n := len(src) &^ 31; n > 0 && absBytes32 != nil {
		absBytes32(dst[:n], src[:n])
		i = n
	}
	for ; i+8 <= len(src); i += 8 {
		v := le64(src[i:])
		neg := v >> 7 & ones8 // 1 in each negative byte
		put64(dst[i:], (v^(neg*0xff))+neg)
	}
	for ; i < len(src); i++ {
		x := int8(src[i])
		if x < 0 {
			x = -x // −128 stays 0x80, i.e. 128 unsigned
		}
		dst[i] = byte(x)
	}
}

// setBits[m] has byte k = 0x10 if bit k of m is set: the fifth bits of 8
// Q5 codes.
var setBits = func() (s [256]uint64) {
	for m := range 256 {
		for k := range 8 {
			if m>>k&1 == 1 {
				s[m] |= 0x10 << (8 * k)
			}
		}
	}
	return s
}()

func f16(b []byte) float32 { return quant.F16ToF32(binary.LittleEndian.Uint16(b)) }

// pair packs an integer scale as the int16 pair (s, s) that vpmaddwd
// multiplies both halves of a 32-bit lane with.
func pair(s int32) uint32 { return uint32(uint16(s)) * 0x10001 }

// pair2 packs two integer scales (lo, hi).
func pair2(lo, hi int32) uint32 { return uint32(uint16(lo)) | uint32(uint16(hi))<<16 }

// unpackF32 copies a row of little-endian float32 (the byte order of GGUF
// and of every GOARCH with kernels here; others fall back to decoding).
func unpackF32(row []byte, f []float32) magRange {
	if len(f) > 0 && littleEndian {
		copy(f, unsafe.Slice((*float32)(unsafe.Pointer(&row[0])), len(f)))
		return noRange
	}
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:]))
	}
	return noRange
}

// littleEndian reports the host byte order.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// unpackF16Row and unpackBF16Row convert a row with the dispatched kernel
// (unpackF16, unpackBF16: a multiple of 8 elements) and the rest in Go.
func unpackF16Row(row []byte, f []float32) magRange {
	n := len(f) &^ 7
	r := noRange
	if n > 0 {
		r.lo, r.hi = unpackF16(row[:2*n], f[:n])
	}
	var t magRange
	t.lo, t.hi = unpackF16Generic(row[2*n:], f[n:])
	return r.join(t)
}

func unpackBF16Row(row []byte, f []float32) magRange {
	n := len(f) &^ 7
	r := noRange
	if n > 0 {
		r.lo, r.hi = unpackBF16(row[:2*n], f[:n])
	}
	var t magRange
	t.lo, t.hi = unpackBF16Generic(row[2*n:], f[n:])
	return r.join(t)
}

// unpackF16Generic widens halves exactly, quieting signaling NaNs (setting
// the top mantissa bit) as x86's vcvtph2ps and ggml's F16C path do, and
// returns their magnitude range (magRange's lo and hi).
func unpackF16Generic(row []byte, f []float32) (lo, hi uint32) {
	r := noRange
	for i := range f {
		h := binary.LittleEndian.Uint16(row[2*i:])
		r = r.add(h)
		f[i] = halfQuiet(h)
	}
	return r.lo, r.hi
}

// halfQuiet widens the half h exactly, setting the top mantissa bit of a
// signaling NaN as x86's vcvtph2ps does, so the Go twins of the F16C
// kernels give their bits.
func halfQuiet(h uint16) float32 {
	v := quant.F16ToF32(h)
	if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
		v = math.Float32frombits(math.Float32bits(v) | 1<<22)
	}
	return v
}

// unpackBF16Generic widens bfloat16 values (exact) and returns their
// magnitude range (magRange's lo and hi).
func unpackBF16Generic(row []byte, f []float32) (lo, hi uint32) {
	r := noRange
	for i := range f {
		h := binary.LittleEndian.Uint16(row[2*i:])
		r = r.add(h)
		f[i] = quant.BF16ToF32(h)
	}
	return r.lo, r.hi
}

// magRange bounds the magnitudes of a set of F16 or BF16 values by their
// bit patterns with the sign cleared (ordered as |v|; Inf is 0x7c00 resp.
// 0x7f80, NaNs are above): lo is the least nonzero one (MaxUint32 if all
// are ±0), hi the greatest. The float tiles fuse multiply and add only when
// the ranges of weights and activations prove that this changes no bit
// (fuseF16, fuseBF16).
type magRange struct{ lo, hi uint32 }

// noRange is the range of no values (or of values that were not looked at).
var noRange = magRange{lo: math.MaxUint32}

func (r magRange) add(h uint16) magRange {
	m := uint32(h & 0x7fff)
	r.hi = max(r.hi, m)
	if m != 0 {
		r.lo = min(r.lo, m)
	}
	return r
}

func (r magRange) join(s magRange) magRange {
	return magRange{lo: min(r.lo, s.lo), hi: max(r.hi, s.hi)}
}

// For F16 and BF16 (F32 always fuses): a fused multiply-add rounds
// acc + w·x once, the separate multiply and add of tileF32Generic round
// w·x first: the two agree bit for bit whenever
// every product w·x is exact in float32 (±0 and ±Inf included) and no input
// is a NaN. The NaN condition is about payloads only: x86 FMA propagates a
// NaN factor in preference to a NaN accumulator, vaddps the accumulator
// first, so with NaN inputs the output would be a NaN either way but not
// always the same one. Without NaN inputs every NaN that arises (Inf·0,
// Inf − Inf) is the same default NaN on both paths.

// fuseF16 admits any F16 weights and activations without NaNs: a product of
// two halves has at most 22 significant bits and lies between 2^−48 and
// 65504² < 2^32 (or is ±0, ±Inf, or the default NaN of Inf·0), so it is
// exact in float32.
func fuseF16(rw, rx magRange) bool {
	const inf = 0x7c00
	return rw.hi <= inf && rx.hi <= inf
}

// fuseBF16 admits bfloat16 weights and activations whose products are all
// exact in float32 and finite. Each factor has at most 8 significant bits,
// so a product has at most 16, and it is exact if it lies in float32's
// normal range: 2^(ew+ex) ≤ |w·x| < 2^(ew'+ex'+2), with ew, ex lower and
// ew', ex' upper bounds of the binary exponents, so ew+ex ≥ −126 and
// ew'+ex' ≤ 126 suffice. A factor of ±0 gives an exact ±0. Inf and NaN are
// refused (Inf·finite is exact, but not worth a case). Real weights (|w| in
// 2^−30…2^4) and activations (2^−40…2^12) pass; tiny or huge outliers fall
// back to the separate multiply and add for their chunk or call.
func fuseBF16(rw, rx magRange) bool {
	const inf = 0x7f80
	if rw.hi >= inf || rx.hi >= inf {
		return false
	}
	if rw.lo == math.MaxUint32 || rx.lo == math.MaxUint32 {
		return true // one side is all zeros: every product is ±0
	}
	return minExp(rw.lo)+minExp(rx.lo) >= -126 && int(rw.hi>>7)+int(rx.hi>>7)-254 <= 126
}

// minExp is a lower bound of log2|v| for a nonzero bfloat16 magnitude m:
// the unbiased exponent, or −133 for a subnormal (the least is 2^−133).
func minExp(m uint32) int {
	if m>>7 == 0 {
		return -133
	}
	return int(m>>7) - 127
}

// Q8_0: f16 d; i8 qs[32].
func unpackQ8_0(row []byte, q []byte, sc, _ []uint32, ab []float32) {
	legacyScales(row, 34, -1, sc, ab)
	codes8(q, row, len(sc))
}

// codes8 copies the 32 int8 codes of each of nblk Q8_0 blocks (34 bytes:
// f16 d, then the codes) into q, 32 bytes per block. The dispatched kernel
// (codes32) does the copy; this checks its ranges.
func codes8(q, row []byte, nblk int) {
	if nblk <= 0 {
		return
	}
	if len(q) < 32*nblk || len(row) < 34*nblk {
		panic(fmt.Sprintf("matmul: codes8 of %d blocks from %d bytes into %d", nblk, len(row), len(q)))
	}
	codes32(q, row, nblk)
}

// codes8Generic is codes8 in Go.
func codes8Generic(q, row []byte, nblk int) {
	for b := range nblk {
		copy(q[32*b:32*b+32], row[34*b+2:34*b+34])
	}
}

// Q4_0: f16 d; u8 qs[16]; element j = low nibble of qs[j] − 8, j+16 = high
// nibble − 8 (the −8 is applied by the epilogue).
func unpackQ4_0(row []byte, q []byte, sc, _ []uint32, ab []float32) {
	legacyScales(row, 18, -1, sc, ab)
	nibbles(q, row, len(sc), 18, 2, -1)
}

// Q4_1: f16 d, m; u8 qs[16]; value d·q + m.
func unpackQ4_1(row []byte, q []byte, sc, _ []uint32, ab []float32) {
	legacyScales(row, 20, 2, sc, ab)
	nibbles(q, row, len(sc), 20, 4, -1)
}

// Q5_0: f16 d; u32 qh; u8 qs[16]; bit j of qh is the fifth bit of element j;
// value d·(q−16) (the −16 is applied by the epilogue).
func unpackQ5_0(row []byte, q []byte, sc, _ []uint32, ab []float32) {
	legacyScales(row, 22, -1, sc, ab)
	nibbles(q, row, len(sc), 22, 6, 2)
}

// Q5_1: f16 d, m; u32 qh; u8 qs[16]; value d·q + m.
func unpackQ5_1(row []byte, q []byte, sc, _ []uint32, ab []float32) {
	legacyScales(row, 24, 2, sc, ab)
	nibbles(q, row, len(sc), 24, 8, 4)
}

// legacyScales sets the panel scales of a row of 32-element blocks of
// bsize bytes that start with the f16 scale d, and the f16 min m at moff
// (moff < 0: none, 0): ab = (d, m), sc = 1. The dispatched kernel
// (scales32) does the work; this checks the ranges it reads and writes.
func legacyScales(row []byte, bsize, moff int, sc []uint32, ab []float32) {
	n := len(sc)
	if len(row) < bsize*n || len(ab) < 2*n || bsize < 2 || moff+2 > bsize {
		panic(fmt.Sprintf("matmul: scales of %d %d-byte blocks (min at %d) from %d bytes into %d", n, bsize, moff, len(row), len(ab)))
	}
	if n > 0 {
		scales32(row, bsize, moff, sc, ab)
	}
}

// legacyScalesGeneric is legacyScales in Go. Signaling NaN scales are
// quieted, as F16C's conversion does (halfQuiet).
func legacyScalesGeneric(row []byte, bsize, moff int, sc []uint32, ab []float32) {
	for b := range sc {
		blk := row[bsize*b : bsize*b+bsize]
		ab[2*b], ab[2*b+1] = halfQuiet(binary.LittleEndian.Uint16(blk)), 0
		if moff >= 0 {
			ab[2*b+1] = halfQuiet(binary.LittleEndian.Uint16(blk[moff:]))
		}
		sc[b] = pair(1)
	}
}

// nibbles writes the codes of nblk blocks of bsize bytes, each with 16
// bytes of packed nibbles at qoff and, if hoff ≥ 0, a little-endian u32 of
// fifth bits at hoff, into q (32 bytes per block): byte j (j < 16) = low
// nibble of byte j | bit j of the u32 as 0x10; byte 16+j = high nibble of
// byte j | bit 16+j. The dispatched kernel (nibbles32) does the work; this
// checks the ranges it reads and writes.
func nibbles(q, row []byte, nblk, bsize, qoff, hoff int) {
	if nblk <= 0 {
		return
	}
	if len(q) < 32*nblk || len(row) < bsize*nblk || qoff < 0 || qoff+16 > bsize || hoff+4 > bsize {
		panic(fmt.Sprintf("matmul: nibbles of %d %d-byte blocks (codes at %d, bits at %d) from %d bytes into %d", nblk, bsize, qoff, hoff, len(row), len(q)))
	}
	nibbles32(q, row, nblk, bsize, qoff, hoff)
}

// nibblesGeneric is nibbles eight codes at a time in a uint64.
func nibblesGeneric(q, row []byte, nblk, bsize, qoff, hoff int) {
	for b := range nblk {
		blk := row[bsize*b : bsize*b+bsize]
		var qh uint32
		if hoff >= 0 {
			qh = binary.LittleEndian.Uint32(blk[hoff:])
		}
		for h := range 2 {
			v := le64(blk[qoff+8*h:])
			put64(q[32*b+8*h:], v&lo4|setBits[qh>>(8*h)&0xff])
			put64(q[32*b+16+8*h:], v>>4&lo4|setBits[qh>>(16+8*h)&0xff])
		}
	}
}

// scaleMinK4 is ggml's get_scale_min_k4: the 6-bit scale and min of
// sub-block j of a Q4_K/Q5_K super-block.
func scaleMinK4(j int, s []byte) (sc, m int32) {
	if j < 4 {
		return int32(s[j] & 63), int32(s[j+4] & 63)
	}
	return int32(s[j+4]&15 | (s[j-4]>>6)<<4), int32(s[j+4]>>4 | (s[j]>>6)<<4)
}

// Q4_K: f16 d, dmin; u8 scales[12]; u8 qs[128]. Chunk c of 64 elements: low
// nibbles of qs[32c:32c+32] are sub-block 2c, high nibbles sub-block 2c+1.
// value d·sc·q − dmin·m.
func unpackQ4_K(row []byte, q []byte, sc, mins []uint32, ab []float32) {
	for b := range len(ab) / 2 {
		blk := row[144*b : 144*b+144]
		ab[2*b], ab[2*b+1] = f16(blk), f16(blk[2:])
		o := q[256*b : 256*b+256]
		for j := range 8 {
			s, m := scaleMinK4(j, blk[4:16])
			sc[8*b+j] = pair(s)
			mins[8*b+j] = pair(m) // both 16-element halves of sub-block j
		}
		for c := range 4 {
			for l := 0; l < 32; l += 8 {
				v := le64(blk[16+32*c+l:])
				put64(o[64*c+l:], v&lo4)
				put64(o[64*c+32+l:], v>>4&lo4)
			}
		}
	}
}

// Q5_K: f16 d, dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]. As Q4_K, with the
// fifth bit of chunk c in bit 2c (low) and 2c+1 (high) of qh[l].
func unpackQ5_K(row []byte, q []byte, sc, mins []uint32, ab []float32) {
	for b := range len(ab) / 2 {
		blk := row[176*b : 176*b+176]
		ab[2*b], ab[2*b+1] = f16(blk), f16(blk[2:])
		o := q[256*b : 256*b+256]
		for j := range 8 {
			s, m := scaleMinK4(j, blk[4:16])
			sc[8*b+j] = pair(s)
			mins[8*b+j] = pair(m)
		}
		for c := range 4 {
			for l := 0; l < 32; l += 8 {
				v, h := le64(blk[48+32*c+l:]), le64(blk[16+l:])
				put64(o[64*c+l:], v&lo4|(h>>(2*c)&ones8)<<4)
				put64(o[64*c+32+l:], v>>4&lo4|(h>>(2*c+1)&ones8)<<4)
			}
		}
	}
}

// Q6_K: u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d. Half h (128 elements),
// l < 32: q1 = ql[l]&15 | (qh[l]&3)<<4 → element 32·0+l, q2 = ql[l+32]&15 |
// (qh[l]>>2&3)<<4 → 32+l, q3 = ql[l]>>4 | (qh[l]>>4&3)<<4 → 64+l,
// q4 = ql[l+32]>>4 | (qh[l]>>6)<<4 → 96+l; value d·scales[e/16]·(q−32).
func unpackQ6_K(row []byte, q []byte, sc, mins []uint32, ab []float32) {
	for b := range len(ab) / 2 {
		blk := row[210*b : 210*b+210]
		ab[2*b], ab[2*b+1] = f16(blk[208:]), 0
		for g := range 16 {
			sc[16*b+g] = pair(int32(int8(blk[192+g])))
		}
		for p := range 8 { // the −32 offset: S2 = Σ 32·sc·bsum
			mins[8*b+p] = pair2(32*int32(int8(blk[192+2*p])), 32*int32(int8(blk[193+2*p])))
		}
		for h := range 2 {
			o := q[256*b+128*h : 256*b+128*h+128]
			for l := 0; l < 32; l += 8 {
				ql0, ql1 := le64(blk[64*h+l:]), le64(blk[64*h+32+l:])
				qh := le64(blk[128+32*h+l:])
				put64(o[l:], ql0&lo4|(qh&lo2)<<4)
				put64(o[32+l:], ql1&lo4|(qh>>2&lo2)<<4)
				put64(o[64+l:], ql0>>4&lo4|(qh>>4&lo2)<<4)
				put64(o[96+l:], ql1>>4&lo4|(qh>>6&lo2)<<4)
			}
		}
	}
}

// Q2_K: u8 scales[16] (low nibble scale, high nibble min); u8 qs[64]; f16 d,
// dmin. Half h, shift j (0..3): 16-element group 8h+2j is (qs[32h+l]>>2j)&3,
// l < 16, group 8h+2j+1 is (qs[32h+16+l]>>2j)&3; value d·sc·q − dmin·m.
func unpackQ2_K(row []byte, q []byte, sc, mins []uint32, ab []float32) {
	for b := range len(ab) / 2 {
		blk := row[84*b : 84*b+84]
		ab[2*b], ab[2*b+1] = f16(blk[80:]), f16(blk[82:])
		s := blk[:16]
		for g := range 16 {
			sc[16*b+g] = pair(int32(s[g] & 15))
		}
		for p := range 8 {
			mins[8*b+p] = pair2(int32(s[2*p]>>4), int32(s[2*p+1]>>4))
		}
		o := q[256*b : 256*b+256]
		for h := range 2 {
			qs := blk[16+32*h : 48+32*h]
			for j := range 4 {
				for l := range 16 {
					o[128*h+32*j+l] = qs[l] >> (2 * j) & 3
					o[128*h+32*j+16+l] = qs[16+l] >> (2 * j) & 3
				}
			}
		}
	}
}

// Q3_K: u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 six-bit scales, −32);
// f16 d. Layout as Q2_K, with the third bit of element 128h+32j+l (l < 32)
// in bit 4h+j of hmask[l]; a clear bit subtracts 4, so the value is
// d·(s−32)·(q−4) with q = (low bits) | (hmask bit)<<2.
func unpackQ3_K(row []byte, q []byte, sc, mins []uint32, ab []float32) {
	for b := range len(ab) / 2 {
		blk := row[110*b : 110*b+110]
		ab[2*b], ab[2*b+1] = f16(blk[108:]), 0
		hm := blk[:32]
		s := blk[96:108]
		for g := range 16 {
			sc[16*b+g] = pair(q3kScale(s, g))
		}
		for p := range 8 { // the −4 offset: S2 = Σ 4·sc·bsum
			mins[8*b+p] = pair2(4*q3kScale(s, 2*p), 4*q3kScale(s, 2*p+1))
		}
		o := q[256*b : 256*b+256]
		for h := range 2 {
			qs := blk[32+32*h : 64+32*h]
			for j := range 4 {
				bit := uint(4*h + j)
				for l := range 32 {
					// q − 4 with q = low 2 bits | (hmask bit) << 2
					o[128*h+32*j+l] = qs[l]>>(2*j)&3 | (hm[l]>>bit&1)<<2
				}
			}
		}
	}
}

// q3kScale decodes the j-th 6-bit scale of a Q3_K block (minus 32), as the
// kmask1/kmask2 shuffle in dequantize_row_q3_K.
func q3kScale(s []byte, j int) int32 {
	var v uint8
	if j < 8 {
		v = s[j] & 15
	} else {
		v = s[j-8] >> 4
	}
	v |= (s[8+j%4] >> (2 * (j / 4)) & 3) << 4
	return int32(v) - 32
}
