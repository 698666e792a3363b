//go:build !noasm

#include "textflag.h"

// Q4_K/Q5_K's make_qkx2_quants on the 16 lanes of kLanes (kquant_lanes.go
// has the Go twins). VEX/EVEX instructions only: a legacy-SSE instruction
// here would stall on the dirty upper register state (constants are
// broadcast from memory for that reason).

// kLanes layout: x [32][32]float32 at 0, w at 4096, l (codes as floats)
// at 8192; rows are 128 bytes. The AVX2 routines work on one quarter (8
// lanes, h = 0…3: byte offset 32·h in every row and state array), the
// AVX-512 ones on one or two halves (16 lanes, byte offset 64·h).
#define K_X    0
#define K_W    4096
#define K_LF   8192
#define K_ROW  128

// kqState offsets (TestKqStateLayout).
#define S_LO     0
#define S_HI     128
#define S_SUMW   256
#define S_SUMX   384
#define S_SCALE  512
#define S_BEST   640
#define S_LIVE   768
#define S_WIN    896
#define S_WINLO  1024
#define S_NMAX   1152
#define S_RMIN   1156
#define S_RDELTA 1160
#define S_NSTEP  1168

// kqCodeArgs offsets (TestKqStateLayout).
#define A_DJ    0
#define A_DM    32
#define A_WIN   64
#define A_WINLO 96
#define A_MODE  128
#define A_NMAX  160

DATA kqconst<>+0(SB)/4, $0x4b400000  // 12582912.0 = 1.5·2^23
DATA kqconst<>+4(SB)/4, $0x007fffff
DATA kqconst<>+8(SB)/4, $0x00400000
DATA kqconst<>+12(SB)/4, $0x42000000 // 32.0
DATA kqconst<>+16(SB)/4, $0x7fffffff // |x| mask
DATA kqconst<>+20(SB)/4, $0x3f800000 // 1.0
DATA kqconst<>+24(SB)/4, $0x0f0f0f0f
DATA kqconst<>+28(SB)/4, $0x01010101
GLOBL kqconst<>(SB), RODATA|NOPTR, $32

// kqidx holds the dword offsets 32·j of sub-block j, j = 0…15: element l
// of every lane, gathered from two consecutive super-blocks.
DATA kqidx<>+0(SB)/4, $0
DATA kqidx<>+4(SB)/4, $32
DATA kqidx<>+8(SB)/4, $64
DATA kqidx<>+12(SB)/4, $96
DATA kqidx<>+16(SB)/4, $128
DATA kqidx<>+20(SB)/4, $160
DATA kqidx<>+24(SB)/4, $192
DATA kqidx<>+28(SB)/4, $224
DATA kqidx<>+32(SB)/4, $256
DATA kqidx<>+36(SB)/4, $288
DATA kqidx<>+40(SB)/4, $320
DATA kqidx<>+44(SB)/4, $352
DATA kqidx<>+48(SB)/4, $384
DATA kqidx<>+52(SB)/4, $416
DATA kqidx<>+56(SB)/4, $448
DATA kqidx<>+60(SB)/4, $480
GLOBL kqidx<>(SB), RODATA|NOPTR, $64

// func kqPrepAVX512(k *kLanes, st *kqState, src *float32, n, h int)
// kqPrepGeneric on half h (lanes 16h…16h+15): x gathered from the n (1 or
// 2) super-blocks at src (zeros in the lanes of a missing second one), Σx² per lane, av_x = sqrt(Σx²/32),
// w = av_x + |x|, lo/hi (vminps/vmaxps with x first: the C comparisons, NaN
// keeps the old value), Σw and Σw·x from element 0 on, then lo > 0 → 0
// and live = hi ≠ lo (unordered: NaN counts as ≠).
TEXT ·kqPrepAVX512(SB), NOSPLIT, $0-40
	MOVQ      k+0(FP), SI
	MOVQ      st+8(FP), BX
	MOVQ      h+32(FP), AX
	SHLQ      $6, AX
	ADDQ      AX, SI
	ADDQ      AX, BX                // (only state arrays are used)
	MOVQ      src+16(FP), DX
	MOVQ      n+24(FP), AX
	MOVL      $0xffff, CX
	MOVL      $0x00ff, R9
	CMPQ      AX, $2
	CMOVQLT   R9, CX
	KMOVW     CX, K5
	VMOVDQU32 kqidx<>(SB), Z31
	VPXORD    Z0, Z0, Z0            // Σx²
	MOVQ      SI, DI
	MOVQ      $32, CX

kpg:
	KMOVW      K5, K4
	VPXORD     Z10, Z10, Z10
	VGATHERDPS (DX)(Z31*4), K4, Z10 // element l of every sub-block
	VMOVUPS    Z10, K_X(DI)
	VMULPS     Z10, Z10, Z11
	VADDPS     Z11, Z0, Z0
	ADDQ       $4, DX
	ADDQ       $K_ROW, DI
	DECQ       CX
	JNZ        kpg
	VBROADCASTSS kqconst<>+12(SB), Z1
	VDIVPS       Z1, Z0, Z0
	VSQRTPS      Z0, Z0             // av_x
	VPBROADCASTD kqconst<>+16(SB), Z2
	VMOVUPS      K_X(SI), Z3        // x[0]
	VANDPS       Z2, Z3, Z4
	VADDPS       Z4, Z0, Z4         // w[0] = av_x + |x[0]|
	VMOVUPS      Z4, K_W(SI)
	VMOVAPS      Z3, Z5             // lo
	VMOVAPS      Z3, Z6             // hi
	VMOVAPS      Z4, Z7             // Σw
	VMULPS       Z3, Z4, Z8         // Σw·x
	ADDQ         $K_ROW, SI
	MOVQ         $31, CX

kpw:
	VMOVUPS K_X(SI), Z3
	VANDPS  Z2, Z3, Z4
	VADDPS  Z4, Z0, Z4
	VMOVUPS Z4, K_W(SI)
	VMINPS  Z5, Z3, Z5              // x < lo ? x : lo
	VMAXPS  Z6, Z3, Z6              // x > hi ? x : hi
	VADDPS  Z4, Z7, Z7
	VMULPS  Z3, Z4, Z9
	VADDPS  Z9, Z8, Z8
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     kpw
	VPXORD   Z9, Z9, Z9
	VCMPPS   $0x1e, Z9, Z5, K1      // lo > 0 (ordered)
	VMOVAPS  Z9, K1, Z5
	VCMPPS   $0x04, Z5, Z6, K1      // hi ≠ lo (unordered)
	VPMOVM2D K1, Z10
	VMOVUPS  Z5, S_LO(BX)
	VMOVUPS  Z6, S_HI(BX)
	VMOVUPS  Z7, S_SUMW(BX)
	VMOVUPS  Z8, S_SUMX(BX)
	VMOVDQU32 Z10, S_LIVE(BX)
	VZEROUPPER
	RET

// KQL computes in Z12 makeQKX2's code of x = Z10 for iscale Z0 and min
// Z1, as a float: clamp(nearest_int(iscale·(x − lo)), 0, nmax) with
// nearest_int in integers (+1.5·2^23, mantissa bits, −2^22), exactly the
// Go twin's for every input. Z2 = nmax, Z3 = 0, Z4…Z6 the nearest_int
// constants.
#define KQL \
	VSUBPS    Z1, Z10, Z11 \
	VMULPS    Z11, Z0, Z11 \
	VADDPS    Z4, Z11, Z11 \
	VPANDD    Z5, Z11, Z11 \
	VPSUBD    Z6, Z11, Z11 \
	VPMAXSD   Z3, Z11, Z11 \
	VPMINSD   Z2, Z11, Z11 \
	VCVTDQ2PS Z11, Z12

// KQCODES stores the codes of iscale Z0 and min Z1 into k.l.
#define KQCODES(loop) \
	MOVQ DI, SI \
	MOVQ $32, CX \
loop: \
	VMOVUPS K_X(SI), Z10 \
	KQL \
	VMOVUPS Z12, K_LF(SI) \
	ADDQ    $K_ROW, SI \
	DECQ    CX \
	JNZ     loop

// KQSTEP stores the codes of iscale Z0 and min Z1 into k.l and sums
// Σ w·l, Σ (w·l)·l, Σ (w·l)·x into Z7, Z8, Z9 in element order.
#define KQSTEP(loop) \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	MOVQ   DI, SI \
	MOVQ   $32, CX \
loop: \
	VMOVUPS K_X(SI), Z10 \
	KQL \
	VMOVUPS Z12, K_LF(SI) \
	VMULPS  K_W(SI), Z12, Z13 \
	VADDPS  Z13, Z7, Z7 \
	VMULPS  Z12, Z13, Z14 \
	VADDPS  Z14, Z8, Z8 \
	VMULPS  Z10, Z13, Z13 \
	VADDPS  Z13, Z9, Z9 \
	ADDQ    $K_ROW, SI \
	DECQ    CX \
	JNZ     loop

// KQERR sums Σ w·d², d = (scale·l + min) − x, into Z7 for the codes in
// k.l, scale Z13 and min Z14.
#define KQERR(loop) \
	VPXORD Z7, Z7, Z7 \
	MOVQ   DI, SI \
	MOVQ   $32, CX \
loop: \
	VMULPS K_LF(SI), Z13, Z10 \
	VADDPS Z14, Z10, Z10 \
	VSUBPS K_X(SI), Z10, Z10 \
	VMULPS Z10, Z10, Z10 \
	VMULPS K_W(SI), Z10, Z10 \
	VADDPS Z10, Z7, Z7 \
	ADDQ   $K_ROW, SI \
	DECQ   CX \
	JNZ    loop

// func kqLoopAVX512(k *kLanes, st *kqState)
// kqLoopGeneric on lanes 0…15 (super-blocks 0 and 1) at once: the first fit, then per
// candidate the KQSTEP pass, the closed-form fit (vdivps, IEEE like the
// scalar divisions), the KQERR pass, and a masked update of the lanes whose
// error improved: best (Z20), scale (Z21), the candidate's iscale and min
// (Z22, Z23) and the new min (Z1). Branch-free; no codes are kept.
TEXT ·kqLoopAVX512(SB), NOSPLIT, $0-16
	MOVQ         k+0(FP), DI
	MOVQ         st+8(FP), BX
	VPBROADCASTD S_NMAX(BX), Z2     // nmax
	VPXORD       Z3, Z3, Z3         // 0
	VPBROADCASTD kqconst<>+0(SB), Z4
	VPBROADCASTD kqconst<>+4(SB), Z5
	VPBROADCASTD kqconst<>+8(SB), Z6
	VMOVDQU32    S_LIVE(BX), Z16
	VPTESTMD     Z16, Z16, K2       // live lanes
	VCVTDQ2PS    Z2, Z15            // float32(nmax)
	VMOVUPS      S_HI(BX), Z17
	VMOVUPS      S_LO(BX), Z1
	VMOVUPS      S_SUMW(BX), Z18
	VMOVUPS      S_SUMX(BX), Z19

	// first fit: iscale = nmax/(hi − lo), scale = 1/iscale, min = lo
	VSUBPS       Z1, Z17, Z10
	VDIVPS       Z10, Z15, Z0
	VBROADCASTSS kqconst<>+20(SB), Z11
	VDIVPS       Z0, Z11, Z13
	VMOVAPS      Z1, Z14
	KQCODES(zc0)
	KQERR(ze0)
	VMOVAPS      Z7, Z20
	VMOVAPS      Z13, Z21
	VMOVAPS      Z0, Z22
	VMOVAPS      Z1, Z23
	XORQ         R8, R8             // is

zcand:
	// iscale = (rmin + float32(rdelta·is) + nmax) / (hi − lo)
	VCVTSI2SSQ   R8, X9, X9
	VMULSS       S_RDELTA(BX), X9, X9
	VADDSS       S_RMIN(BX), X9, X9
	VADDSS       X15, X9, X9
	VBROADCASTSS X9, Z0
	VSUBPS       Z1, Z17, Z10
	VDIVPS       Z10, Z0, Z0
	KQSTEP(zs)

	// D = sumW·sumL2 − sumL², ts = (sumW·sumXL − sumX·sumL)/D,
	// tm = (sumL2·sumX − sumL·sumXL)/D; tm > 0: tm = 0, ts = sumXL/sumL2.
	VMULPS    Z8, Z18, Z12
	VMULPS    Z7, Z7, Z13
	VSUBPS    Z13, Z12, Z12         // D
	VMULPS    Z9, Z18, Z13
	VMULPS    Z7, Z19, Z14
	VSUBPS    Z14, Z13, Z13
	VDIVPS    Z12, Z13, Z13         // ts
	VMULPS    Z19, Z8, Z14
	VMULPS    Z9, Z7, Z10
	VSUBPS    Z10, Z14, Z14
	VDIVPS    Z12, Z14, Z14         // tm
	VCMPPS    $0x1e, Z3, Z14, K1    // tm > 0
	VDIVPS    Z8, Z9, Z10           // sumXL / sumL2
	VBLENDMPS Z10, Z13, K1, Z13
	VBLENDMPS Z3, Z14, K1, Z14
	VCMPPS    $0x1e, Z3, Z12, K2, K3 // ok = D > 0 on a live lane
	KQERR(ze)
	VCMPPS    $0x11, Z20, Z7, K3, K1 // ok and err < best
	VMOVAPS   Z7, K1, Z20
	VMOVAPS   Z13, K1, Z21
	VMOVAPS   Z0, K1, Z22
	VMOVAPS   Z1, K1, Z23
	VMOVAPS   Z14, K1, Z1
	INCQ      R8
	CMPQ      R8, S_NSTEP(BX)
	JLE       zcand
	VMOVUPS   Z1, S_LO(BX)
	VMOVUPS   Z20, S_BEST(BX)
	VMOVUPS   Z21, S_SCALE(BX)
	VMOVUPS   Z22, S_WIN(BX)
	VMOVUPS   Z23, S_WINLO(BX)
	VZEROUPPER
	RET

// KQLB is KQL for stream b: the code of x = Z21 for iscale Z16 and min
// Z17, as a float in Z23.
#define KQLB \
	VSUBPS    Z17, Z21, Z22 \
	VMULPS    Z22, Z16, Z22 \
	VADDPS    Z4, Z22, Z22 \
	VPANDD    Z5, Z22, Z22 \
	VPSUBD    Z6, Z22, Z22 \
	VPMAXSD   Z3, Z22, Z22 \
	VPMINSD   Z2, Z22, Z22 \
	VCVTDQ2PS Z22, Z23

// KQERR2S is KQERR on both streams: a (scale Z13, min Z14) into Z7,
// b (lanes 16…31: scale Z24, min Z25) into Z18.
#define KQERR2S(loop) \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z18, Z18, Z18 \
	MOVQ   DI, SI \
	MOVQ   $32, CX \
loop: \
	VMULPS K_LF(SI), Z13, Z10 \
	VMULPS K_LF+64(SI), Z24, Z21 \
	VADDPS Z14, Z10, Z10 \
	VADDPS Z25, Z21, Z21 \
	VSUBPS K_X(SI), Z10, Z10 \
	VSUBPS K_X+64(SI), Z21, Z21 \
	VMULPS Z10, Z10, Z10 \
	VMULPS Z21, Z21, Z21 \
	VMULPS K_W(SI), Z10, Z10 \
	VMULPS K_W+64(SI), Z21, Z21 \
	VADDPS Z10, Z7, Z7 \
	VADDPS Z21, Z18, Z18 \
	ADDQ   $K_ROW, SI \
	DECQ   CX \
	JNZ    loop

// func kqLoop2AVX512(k *kLanes, st *kqState)
// kqLoopAVX512 on all 32 lanes as two interleaved streams, a (lanes
// 0…15: iscale Z0, min Z1, sums Z7…Z9, hi Z26, Σw Z28, Σw·x Z30) and b
// (lanes 16…31: Z16, Z17, Z18…Z20, Z27, Z29, Z31): each stream's in-order
// sums are a chain of dependent adds, and the other stream's work fills
// the wait. best, scale, win and winLo stay in st (masked stores).
TEXT ·kqLoop2AVX512(SB), NOSPLIT, $0-16
	MOVQ         k+0(FP), DI
	MOVQ         st+8(FP), BX
	VPBROADCASTD S_NMAX(BX), Z2     // nmax
	VPXORD       Z3, Z3, Z3         // 0
	VPBROADCASTD kqconst<>+0(SB), Z4
	VPBROADCASTD kqconst<>+4(SB), Z5
	VPBROADCASTD kqconst<>+8(SB), Z6
	VMOVDQU32    S_LIVE(BX), Z10
	VPTESTMD     Z10, Z10, K2       // live lanes of a
	VMOVDQU32    S_LIVE+64(BX), Z10
	VPTESTMD     Z10, Z10, K4       // live lanes of b
	VCVTDQ2PS    Z2, Z15            // float32(nmax)
	VMOVUPS      S_HI(BX), Z26
	VMOVUPS      S_HI+64(BX), Z27
	VMOVUPS      S_LO(BX), Z1
	VMOVUPS      S_LO+64(BX), Z17
	VMOVUPS      S_SUMW(BX), Z28
	VMOVUPS      S_SUMW+64(BX), Z29
	VMOVUPS      S_SUMX(BX), Z30
	VMOVUPS      S_SUMX+64(BX), Z31

	// first fit: iscale = nmax/(hi − lo), scale = 1/iscale, min = lo
	VSUBPS       Z1, Z26, Z10
	VDIVPS       Z10, Z15, Z0
	VSUBPS       Z17, Z27, Z21
	VDIVPS       Z21, Z15, Z16
	VBROADCASTSS kqconst<>+20(SB), Z11
	VDIVPS       Z0, Z11, Z13
	VDIVPS       Z16, Z11, Z24
	VMOVAPS      Z1, Z14
	VMOVAPS      Z17, Z25
	MOVQ         DI, SI
	MOVQ         $32, CX

z2c0:
	VMOVUPS K_X(SI), Z10
	VMOVUPS K_X+64(SI), Z21
	KQL
	KQLB
	VMOVUPS Z12, K_LF(SI)
	VMOVUPS Z23, K_LF+64(SI)
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     z2c0
	KQERR2S(z2e0)
	VMOVUPS Z7, S_BEST(BX)
	VMOVUPS Z18, S_BEST+64(BX)
	VMOVUPS Z13, S_SCALE(BX)
	VMOVUPS Z24, S_SCALE+64(BX)
	VMOVUPS Z0, S_WIN(BX)
	VMOVUPS Z16, S_WIN+64(BX)
	VMOVUPS Z1, S_WINLO(BX)
	VMOVUPS Z17, S_WINLO+64(BX)
	XORQ    R8, R8                  // is

z2cand:
	VCVTSI2SSQ   R8, X9, X9
	VMULSS       S_RDELTA(BX), X9, X9
	VADDSS       S_RMIN(BX), X9, X9
	VADDSS       X15, X9, X9
	VBROADCASTSS X9, Z10
	VSUBPS       Z1, Z26, Z11
	VDIVPS       Z11, Z10, Z0       // iscale a
	VSUBPS       Z17, Z27, Z21
	VDIVPS       Z21, Z10, Z16      // iscale b
	VPXORD       Z7, Z7, Z7
	VPXORD       Z8, Z8, Z8
	VPXORD       Z9, Z9, Z9
	VPXORD       Z18, Z18, Z18
	VPXORD       Z19, Z19, Z19
	VPXORD       Z20, Z20, Z20
	MOVQ         DI, SI
	MOVQ         $32, CX

z2s:
	VMOVUPS K_X(SI), Z10
	VMOVUPS K_X+64(SI), Z21
	KQL
	KQLB
	VMOVUPS Z12, K_LF(SI)
	VMOVUPS Z23, K_LF+64(SI)
	VMULPS  K_W(SI), Z12, Z13
	VMULPS  K_W+64(SI), Z23, Z24
	VADDPS  Z13, Z7, Z7
	VADDPS  Z24, Z18, Z18
	VMULPS  Z12, Z13, Z14
	VMULPS  Z23, Z24, Z25
	VADDPS  Z14, Z8, Z8
	VADDPS  Z25, Z19, Z19
	VMULPS  Z10, Z13, Z13
	VMULPS  Z21, Z24, Z24
	VADDPS  Z13, Z9, Z9
	VADDPS  Z24, Z20, Z20
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     z2s

	// the closed-form fit of kqLoopAVX512 on both streams
	VMULPS    Z8, Z28, Z12
	VMULPS    Z19, Z29, Z23
	VMULPS    Z7, Z7, Z13
	VMULPS    Z18, Z18, Z24
	VSUBPS    Z13, Z12, Z12         // D a
	VSUBPS    Z24, Z23, Z23         // D b
	VMULPS    Z9, Z28, Z13
	VMULPS    Z20, Z29, Z24
	VMULPS    Z7, Z30, Z14
	VMULPS    Z18, Z31, Z25
	VSUBPS    Z14, Z13, Z13
	VSUBPS    Z25, Z24, Z24
	VDIVPS    Z12, Z13, Z13         // ts a
	VDIVPS    Z23, Z24, Z24         // ts b
	VMULPS    Z30, Z8, Z14
	VMULPS    Z31, Z19, Z25
	VMULPS    Z9, Z7, Z10
	VMULPS    Z20, Z18, Z21
	VSUBPS    Z10, Z14, Z14
	VSUBPS    Z21, Z25, Z25
	VDIVPS    Z12, Z14, Z14         // tm a
	VDIVPS    Z23, Z25, Z25         // tm b
	VCMPPS    $0x1e, Z3, Z14, K1    // tm > 0
	VCMPPS    $0x1e, Z3, Z25, K5
	VDIVPS    Z8, Z9, Z10           // sumXL / sumL2
	VDIVPS    Z19, Z20, Z21
	VBLENDMPS Z10, Z13, K1, Z13
	VBLENDMPS Z21, Z24, K5, Z24
	VBLENDMPS Z3, Z14, K1, Z14
	VBLENDMPS Z3, Z25, K5, Z25
	VCMPPS    $0x1e, Z3, Z12, K2, K3 // ok = D > 0 on a live lane
	VCMPPS    $0x1e, Z3, Z23, K4, K6
	KQERR2S(z2e)
	VCMPPS    $0x11, S_BEST(BX), Z7, K3, K1 // ok and err < best
	VCMPPS    $0x11, S_BEST+64(BX), Z18, K6, K5
	VMOVUPS   Z7, K1, S_BEST(BX)
	VMOVUPS   Z18, K5, S_BEST+64(BX)
	VMOVUPS   Z13, K1, S_SCALE(BX)
	VMOVUPS   Z24, K5, S_SCALE+64(BX)
	VMOVUPS   Z0, K1, S_WIN(BX)
	VMOVUPS   Z16, K5, S_WIN+64(BX)
	VMOVUPS   Z1, K1, S_WINLO(BX)
	VMOVUPS   Z17, K5, S_WINLO+64(BX)
	VMOVAPS   Z14, K1, Z1
	VMOVAPS   Z25, K5, Z17
	INCQ      R8
	CMPQ      R8, S_NSTEP(BX)
	JLE       z2cand
	VMOVUPS   Z1, S_LO(BX)
	VMOVUPS   Z17, S_LO+64(BX)
	VZEROUPPER
	RET

// KQCROUND rounds and clamps Z10 into codes, stored as bytes at p.
#define KQCROUND(p) \
	VADDPS  Z4, Z10, Z10 \
	VPANDD  Z5, Z10, Z10 \
	VPSUBD  Z6, Z10, Z10 \
	VPMAXSD Z3, Z10, Z10 \
	VPMINSD Z2, Z10, Z10 \
	VPMOVDB Z10, p

// func kqCodesAVX512(x *[256]float32, a *kqCodeArgs, L *[256]uint8)
// kqCodesGeneric: per sub-block (32 consecutive x) mode 0
// clamp(nearest_int((x + dm)/dj), 0, nmax), mode 1
// clamp(nearest_int(win·(x − winLo)), 0, nmax), mode 2 zeros.
TEXT ·kqCodesAVX512(SB), NOSPLIT, $0-24
	MOVQ         x+0(FP), SI
	MOVQ         a+8(FP), BX
	MOVQ         L+16(FP), DX
	VPBROADCASTD A_NMAX(BX), Z2
	VPXORD       Z3, Z3, Z3
	VPBROADCASTD kqconst<>+0(SB), Z4
	VPBROADCASTD kqconst<>+4(SB), Z5
	VPBROADCASTD kqconst<>+8(SB), Z6
	XORQ         R8, R8             // sub-block

kcj:
	MOVL         A_MODE(BX)(R8*4), AX
	CMPL         AX, $1
	JEQ          kcfit
	JGT          kczero
	VBROADCASTSS A_DJ(BX)(R8*4), Z0
	VBROADCASTSS A_DM(BX)(R8*4), Z1
	VMOVUPS      (SI), Z10
	VADDPS       Z1, Z10, Z10
	VDIVPS       Z0, Z10, Z10
	KQCROUND((DX))
	VMOVUPS      64(SI), Z10
	VADDPS       Z1, Z10, Z10
	VDIVPS       Z0, Z10, Z10
	KQCROUND(16(DX))
	JMP          kcnext

kcfit:
	VBROADCASTSS A_WIN(BX)(R8*4), Z0
	VBROADCASTSS A_WINLO(BX)(R8*4), Z1
	VMOVUPS      (SI), Z10
	VSUBPS       Z1, Z10, Z10
	VMULPS       Z10, Z0, Z10
	KQCROUND((DX))
	VMOVUPS      64(SI), Z10
	VSUBPS       Z1, Z10, Z10
	VMULPS       Z10, Z0, Z10
	KQCROUND(16(DX))
	JMP          kcnext

kczero:
	VMOVDQU Y3, (DX)

kcnext:
	ADDQ $128, SI
	ADDQ $32, DX
	INCQ R8
	CMPQ R8, $8
	JLT  kcj
	VZEROUPPER
	RET

// KQL2 is KQL on 8 lanes (Y registers): the code of x = Y10 for iscale
// Y0 and min Y1, as a float in Y12.
#define KQL2 \
	VSUBPS    Y1, Y10, Y11 \
	VMULPS    Y11, Y0, Y11 \
	VADDPS    Y4, Y11, Y11 \
	VPAND     Y5, Y11, Y11 \
	VPSUBD    Y6, Y11, Y11 \
	VPMAXSD   Y3, Y11, Y11 \
	VPMINSD   Y2, Y11, Y11 \
	VCVTDQ2PS Y11, Y12

// KQERR2 is KQERR on 8 lanes: Σ w·d² into Y7 for scale Y13, min Y14.
#define KQERR2(loop) \
	VXORPS Y7, Y7, Y7 \
	MOVQ   DI, SI \
	MOVQ   $32, CX \
loop: \
	VMULPS K_LF(SI), Y13, Y10 \
	VADDPS Y14, Y10, Y10 \
	VSUBPS K_X(SI), Y10, Y10 \
	VMULPS Y10, Y10, Y10 \
	VMULPS K_W(SI), Y10, Y10 \
	VADDPS Y10, Y7, Y7 \
	ADDQ   $K_ROW, SI \
	DECQ   CX \
	JNZ    loop

// func kqLoopAVX2(k *kLanes, st *kqState, h int)
// kqLoopAVX512 on half h (8 lanes, Y registers): the state that does not
// fit in the 16 registers (hi, Σw, Σw·x, best, scale, win, winLo) stays in
// st, updated with blends.
TEXT ·kqLoopAVX2(SB), NOSPLIT, $0-24
	MOVQ         k+0(FP), DI
	MOVQ         st+8(FP), BX
	MOVQ         h+16(FP), AX
	SHLQ         $5, AX
	ADDQ         AX, DI             // half h of every row
	LEAQ         (BX)(AX*1), R10    // half h of the state arrays
	VPBROADCASTD S_NMAX(BX), Y2     // nmax
	VPXOR        Y3, Y3, Y3         // 0 (int and float)
	VPBROADCASTD kqconst<>+0(SB), Y4
	VPBROADCASTD kqconst<>+4(SB), Y5
	VPBROADCASTD kqconst<>+8(SB), Y6
	VCVTDQ2PS    Y2, Y15            // float32(nmax)
	VMOVUPS      S_LO(R10), Y1

	// first fit
	VMOVUPS      S_HI(R10), Y10
	VSUBPS       Y1, Y10, Y10
	VDIVPS       Y10, Y15, Y0
	VBROADCASTSS kqconst<>+20(SB), Y11
	VDIVPS       Y0, Y11, Y13
	VMOVAPS      Y1, Y14
	MOVQ         DI, SI
	MOVQ         $32, CX

kq2c0:
	VMOVUPS K_X(SI), Y10
	KQL2
	VMOVUPS Y12, K_LF(SI)
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     kq2c0
	KQERR2(kq2e0)
	VMOVUPS Y7, S_BEST(R10)
	VMOVUPS Y13, S_SCALE(R10)
	VMOVUPS Y0, S_WIN(R10)
	VMOVUPS Y1, S_WINLO(R10)
	XORQ    R8, R8                  // is

kq2cand:
	VCVTSI2SSQ   R8, X9, X9
	VMULSS       S_RDELTA(BX), X9, X9
	VADDSS       S_RMIN(BX), X9, X9
	VADDSS       X15, X9, X9
	VBROADCASTSS X9, Y0
	VMOVUPS      S_HI(R10), Y10
	VSUBPS       Y1, Y10, Y10
	VDIVPS       Y10, Y0, Y0        // iscale
	VXORPS       Y7, Y7, Y7         // Σ w·l
	VXORPS       Y8, Y8, Y8         // Σ (w·l)·l
	VXORPS       Y9, Y9, Y9         // Σ (w·l)·x
	MOVQ         DI, SI
	MOVQ         $32, CX

kq2s:
	VMOVUPS K_X(SI), Y10
	KQL2
	VMOVUPS Y12, K_LF(SI)
	VMULPS  K_W(SI), Y12, Y13
	VADDPS  Y13, Y7, Y7
	VMULPS  Y12, Y13, Y14
	VADDPS  Y14, Y8, Y8
	VMULPS  Y10, Y13, Y13
	VADDPS  Y13, Y9, Y9
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     kq2s

	VMOVUPS   S_SUMW(R10), Y10
	VMULPS    Y8, Y10, Y12
	VMULPS    Y7, Y7, Y13
	VSUBPS    Y13, Y12, Y12         // D
	VMULPS    Y9, Y10, Y13
	VMOVUPS   S_SUMX(R10), Y11
	VMULPS    Y7, Y11, Y14
	VSUBPS    Y14, Y13, Y13
	VDIVPS    Y12, Y13, Y13         // ts
	VMULPS    Y11, Y8, Y14
	VMULPS    Y9, Y7, Y10
	VSUBPS    Y10, Y14, Y14
	VDIVPS    Y12, Y14, Y14         // tm
	VCMPPS    $0x1e, Y3, Y14, Y11   // tm > 0 (ordered)
	VDIVPS    Y8, Y9, Y10           // sumXL / sumL2
	VBLENDVPS Y11, Y10, Y13, Y13
	VBLENDVPS Y11, Y3, Y14, Y14
	VCMPPS    $0x1e, Y3, Y12, Y12   // ok = D > 0 …
	VANDPS    S_LIVE(R10), Y12, Y12 // … on a live lane
	KQERR2(kq2e)
	VMOVUPS   S_BEST(R10), Y10
	VCMPPS    $0x11, Y10, Y7, Y11   // err < best (ordered)
	VANDPS    Y12, Y11, Y11
	VBLENDVPS Y11, Y7, Y10, Y10
	VMOVUPS   Y10, S_BEST(R10)
	VMOVUPS   S_SCALE(R10), Y10
	VBLENDVPS Y11, Y13, Y10, Y10
	VMOVUPS   Y10, S_SCALE(R10)
	VMOVUPS   S_WIN(R10), Y10
	VBLENDVPS Y11, Y0, Y10, Y10
	VMOVUPS   Y10, S_WIN(R10)
	VMOVUPS   S_WINLO(R10), Y10
	VBLENDVPS Y11, Y1, Y10, Y10
	VMOVUPS   Y10, S_WINLO(R10)
	VBLENDVPS Y11, Y14, Y1, Y1
	INCQ      R8
	CMPQ      R8, S_NSTEP(BX)
	JLE       kq2cand
	VMOVUPS   Y1, S_LO(R10)
	VZEROUPPER
	RET

// func kqPrepAVX2(k *kLanes, st *kqState, h int)
// kqPrepGeneric: Σx² per lane, av_x = sqrt(Σx²/32), w = av_x + |x|, then
// lo/hi (vminps/vmaxps with x first: the C comparisons, NaN keeps the old
// value), Σw and Σw·x from element 0 on.
TEXT ·kqPrepAVX2(SB), NOSPLIT, $0-24
	MOVQ         k+0(FP), SI
	MOVQ         st+8(FP), BX
	MOVQ         h+16(FP), AX
	SHLQ         $5, AX
	ADDQ         AX, SI
	ADDQ         AX, BX             // (only state arrays are used)
	VXORPS       Y0, Y0, Y0         // Σx²
	MOVQ         SI, DI
	MOVQ         $32, CX

kqpsq:
	VMOVUPS K_X(DI), Y1
	VMULPS  Y1, Y1, Y1
	VADDPS  Y1, Y0, Y0
	ADDQ    $K_ROW, DI
	DECQ    CX
	JNZ     kqpsq
	VBROADCASTSS kqconst<>+12(SB), Y1
	VDIVPS       Y1, Y0, Y0
	VSQRTPS      Y0, Y0             // av_x
	VPBROADCASTD kqconst<>+16(SB), Y2             // |·| mask
	VMOVUPS      K_X(SI), Y3        // x[0]
	VANDPS       Y2, Y3, Y4
	VADDPS       Y4, Y0, Y4         // w[0] = av_x + |x[0]|
	VMOVUPS      Y4, K_W(SI)
	VMOVAPS      Y3, Y5             // lo
	VMOVAPS      Y3, Y6             // hi
	VMOVAPS      Y4, Y7             // Σw
	VMULPS       Y3, Y4, Y8         // Σw·x
	ADDQ         $K_ROW, SI
	MOVQ         $31, CX

kqpw:
	VMOVUPS K_X(SI), Y3
	VANDPS  Y2, Y3, Y4
	VADDPS  Y4, Y0, Y4
	VMOVUPS Y4, K_W(SI)
	VMINPS  Y5, Y3, Y5              // x < lo ? x : lo
	VMAXPS  Y6, Y3, Y6              // x > hi ? x : hi
	VADDPS  Y4, Y7, Y7
	VMULPS  Y3, Y4, Y9
	VADDPS  Y9, Y8, Y8
	ADDQ    $K_ROW, SI
	DECQ    CX
	JNZ     kqpw
	VMOVUPS Y5, S_LO(BX)
	VMOVUPS Y6, S_HI(BX)
	VMOVUPS Y7, S_SUMW(BX)
	VMOVUPS Y8, S_SUMX(BX)
	VZEROUPPER
	RET

// func packQ4KAVX2(L *[256]uint8, qs *[128]byte)
// packQ4KGeneric for codes ≤ 15 (a code shifted left by 4 stays in its
// byte of the word): qs[32c+l] = L[64c+l] | L[64c+32+l]<<4.
TEXT ·packQ4KAVX2(SB), NOSPLIT, $0-16
	MOVQ    L+0(FP), SI
	MOVQ    qs+8(FP), DX
	VMOVDQU 0(SI), Y0
	VMOVDQU 32(SI), Y1
	VPSLLW  $4, Y1, Y1
	VPOR    Y1, Y0, Y0
	VMOVDQU Y0, 0(DX)
	VMOVDQU 64(SI), Y0
	VMOVDQU 96(SI), Y1
	VPSLLW  $4, Y1, Y1
	VPOR    Y1, Y0, Y0
	VMOVDQU Y0, 32(DX)
	VMOVDQU 128(SI), Y0
	VMOVDQU 160(SI), Y1
	VPSLLW  $4, Y1, Y1
	VPOR    Y1, Y0, Y0
	VMOVDQU Y0, 64(DX)
	VMOVDQU 192(SI), Y0
	VMOVDQU 224(SI), Y1
	VPSLLW  $4, Y1, Y1
	VPOR    Y1, Y0, Y0
	VMOVDQU Y0, 96(DX)
	VZEROUPPER
	RET

// PACK5 packs the 64 codes at off(SI) (sub-blocks 2c, 2c+1): low nibbles
// into qs at qs(DX), the fifth bits shifted by 2c and 2c+1 into Y7 (qh).
#define PACK5(off, qs, sh1, sh2) \
	VMOVDQU off(SI), Y0 \
	VMOVDQU off+32(SI), Y1 \
	VPAND   Y5, Y0, Y2 \
	VPAND   Y5, Y1, Y3 \
	VPSLLW  $4, Y3, Y3 \
	VPOR    Y3, Y2, Y2 \
	VMOVDQU Y2, qs(DX) \
	VPSRLW  $4, Y0, Y0 \
	VPAND   Y6, Y0, Y0 \
	VPSLLW  $sh1, Y0, Y0 \
	VPOR    Y0, Y7, Y7 \
	VPSRLW  $4, Y1, Y1 \
	VPAND   Y6, Y1, Y1 \
	VPSLLW  $sh2, Y1, Y1 \
	VPOR    Y1, Y7, Y7

// func packQ5KAVX2(L *[256]uint8, dst *[160]byte)
// packQ5KGeneric for codes ≤ 31 on dst = qh[32] then qs[128] (qh is
// written, not or-ed: the Go twin's block is cleared first). Word shifts
// keep every value inside its byte: a code >> 4 is masked to bit 0 before
// it moves up to bit 7 at most.
TEXT ·packQ5KAVX2(SB), NOSPLIT, $0-16
	MOVQ         L+0(FP), SI
	MOVQ         dst+8(FP), DX
	VPBROADCASTD kqconst<>+24(SB), Y5
	VPBROADCASTD kqconst<>+28(SB), Y6
	VPXOR        Y7, Y7, Y7
	PACK5(0, 32, 0, 1)
	PACK5(64, 64, 2, 3)
	PACK5(128, 96, 4, 5)
	PACK5(192, 128, 6, 7)
	VMOVDQU      Y7, 0(DX)
	VZEROUPPER
	RET
