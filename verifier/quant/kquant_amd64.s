//go:build !noasm

#include "textflag.h"

// kLanes layout: x [32][16]float32 at 0, w at 2048, L at 4096, Laux at
// 6144; rows are 64 bytes. The AVX2 routines work on one half (8 lanes,
// h = 0 or 1: byte offset 32·h in every row and state array).
#define K_X    0
#define K_W    2048
#define K_L    4096
#define K_LAUX 6144
#define K_ROW  64

// kqState offsets (TestKqStateLayout).
#define S_LO     0
#define S_HI     64
#define S_SUMW   128
#define S_SUMX   192
#define S_SCALE  256
#define S_BEST   320
#define S_LIVE   384
#define S_NMAX   448
#define S_RMIN   452
#define S_RDELTA 456
#define S_NSTEP  464

// Broadcast constants (loaded with vpbroadcastd: a legacy-SSE MOVL into an
// X register between AVX instructions costs a state transition on Intel).
DATA kq1p5x23<>+0(SB)/4, $0x4b400000   // 12582912.0 = 1.5·2^23
GLOBL kq1p5x23<>(SB), RODATA|NOPTR, $4
DATA kqmant<>+0(SB)/4, $0x007fffff
GLOBL kqmant<>(SB), RODATA|NOPTR, $4
DATA kqoffset<>+0(SB)/4, $0x00400000   // nearest_int: mantissa − 2^22
GLOBL kqoffset<>(SB), RODATA|NOPTR, $4
DATA kq32<>+0(SB)/4, $0x42000000       // 32.0
GLOBL kq32<>(SB), RODATA|NOPTR, $4
DATA kqabs<>+0(SB)/4, $0x7fffffff      // |·| mask
GLOBL kqabs<>(SB), RODATA|NOPTR, $4

// func kqStepAVX2(k *kLanes, h int, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32)
// kqStepGeneric on half h, one element row (8 lanes) per iteration.
TEXT ·kqStepAVX2(SB), NOSPLIT, $0-48
	MOVQ         k+0(FP), SI
	MOVQ         h+8(FP), AX
	SHLQ         $5, AX
	ADDQ         AX, SI
	MOVQ         iscale+16(FP), AX
	VMOVUPS      (AX), Y0           // iscale
	MOVQ         lo+24(FP), AX
	VMOVUPS      (AX), Y1           // lo
	MOVL         nmax+32(FP), AX
	VMOVD        AX, X2             // VEX: no SSE/AVX transition
	VPBROADCASTD X2, Y2             // nmax
	VPXOR        Y3, Y3, Y3         // 0
	VPBROADCASTD kq1p5x23<>(SB), Y4    // 12582912.0 = 1.5·2^23
	VPBROADCASTD kqmant<>(SB), Y5
	VPBROADCASTD kqoffset<>(SB), Y6
	VXORPS       Y7, Y7, Y7         // Σ w·l
	VXORPS       Y8, Y8, Y8         // Σ (w·l)·l
	VXORPS       Y9, Y9, Y9         // Σ (w·l)·x
	MOVQ         $32, CX

kqs:
	VMOVUPS   K_X(SI), Y10          // x
	VSUBPS    Y1, Y10, Y11          // x − lo
	VMULPS    Y11, Y0, Y11          // iscale·(x − lo)
	VADDPS    Y4, Y11, Y11          // nearest_int: + 1.5·2^23 …
	VPAND     Y5, Y11, Y11          // … mantissa bits …
	VPSUBD    Y6, Y11, Y11          // … − 2^22
	VPMAXSD   Y3, Y11, Y11          // clamp to [0, nmax]
	VPMINSD   Y2, Y11, Y11
	VMOVDQU   Y11, K_LAUX(SI)
	VCVTDQ2PS Y11, Y12              // l
	VMULPS    K_W(SI), Y12, Y13     // w·l
	VADDPS    Y13, Y7, Y7
	VMULPS    Y12, Y13, Y14         // (w·l)·l
	VADDPS    Y14, Y8, Y8
	VMULPS    Y10, Y13, Y15         // (w·l)·x
	VADDPS    Y15, Y9, Y9
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqs
	MOVQ      sums+40(FP), AX
	VMOVUPS   Y7, (AX)
	VMOVUPS   Y8, 32(AX)
	VMOVUPS   Y9, 64(AX)
	VZEROUPPER
	RET

// func kqErrAVX2(k *kLanes, h int, scale, theMin *[8]float32, errs *[8]float32)
// kqErrGeneric on half h, one element row (8 lanes) per iteration.
TEXT ·kqErrAVX2(SB), NOSPLIT, $0-40
	MOVQ    k+0(FP), SI
	MOVQ    h+8(FP), AX
	SHLQ    $5, AX
	ADDQ    AX, SI
	MOVQ    scale+16(FP), AX
	VMOVUPS (AX), Y0
	MOVQ    theMin+24(FP), AX
	VMOVUPS (AX), Y1
	VXORPS  Y7, Y7, Y7
	MOVQ    $32, CX

kqe:
	VCVTDQ2PS K_LAUX(SI), Y10       // l
	VMULPS    Y10, Y0, Y10          // scale·l
	VADDPS    Y1, Y10, Y10          // + min
	VSUBPS    K_X(SI), Y10, Y10     // − x
	VMULPS    Y10, Y10, Y10         // d²
	VMULPS    K_W(SI), Y10, Y10     // w·d²
	VADDPS    Y10, Y7, Y7
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqe
	MOVQ      errs+32(FP), AX
	VMOVUPS   Y7, (AX)
	VZEROUPPER
	RET


// func kqLoopAVX2(k *kLanes, st *kqState, h int)
// kqLoopGeneric: per candidate, the kqStep pass, the closed-form fit
// (vdivps, IEEE like the scalar divisions), the kqErr pass, and a masked
// update of the lanes whose error improved.
TEXT ·kqLoopAVX2(SB), NOSPLIT, $0-24
	MOVQ         k+0(FP), DI
	MOVQ         st+8(FP), BX
	MOVQ         h+16(FP), AX
	SHLQ         $5, AX
	ADDQ         AX, DI             // half h of every row
	LEAQ         (BX)(AX*1), R10    // half h of the state arrays
	VPBROADCASTD S_NMAX(BX), Y2     // nmax
	VPXOR        Y3, Y3, Y3         // 0 (int and float)
	VPBROADCASTD kq1p5x23<>(SB), Y4    // 1.5·2^23
	VPBROADCASTD kqmant<>(SB), Y5
	VPBROADCASTD kqoffset<>(SB), Y6
	XORQ         R8, R8             // is

kqcand:
	// iscale = (rmin + float32(rdelta·is) + nmax) / (hi − lo)
	VCVTSI2SSQ   R8, X0, X0
	VMULSS       S_RDELTA(BX), X0, X0
	VADDSS       S_RMIN(BX), X0, X0
	VCVTSI2SSL   S_NMAX(BX), X15, X15
	VADDSS       X15, X0, X0
	VBROADCASTSS X0, Y0
	VMOVUPS      S_HI(R10), Y10
	VSUBPS       S_LO(R10), Y10, Y10
	VDIVPS       Y10, Y0, Y0
	VMOVUPS      S_LO(R10), Y1
	VXORPS       Y7, Y7, Y7         // Σ w·l
	VXORPS       Y8, Y8, Y8         // Σ (w·l)·l
	VXORPS       Y9, Y9, Y9         // Σ (w·l)·x
	MOVQ         DI, SI
	MOVQ         $32, CX

kqlstep:
	VMOVUPS   K_X(SI), Y10
	VSUBPS    Y1, Y10, Y11
	VMULPS    Y11, Y0, Y11
	VADDPS    Y4, Y11, Y11
	VPAND     Y5, Y11, Y11
	VPSUBD    Y6, Y11, Y11
	VPMAXSD   Y3, Y11, Y11
	VPMINSD   Y2, Y11, Y11
	VMOVDQU   Y11, K_LAUX(SI)
	VCVTDQ2PS Y11, Y12
	VMULPS    K_W(SI), Y12, Y13
	VADDPS    Y13, Y7, Y7
	VMULPS    Y12, Y13, Y14
	VADDPS    Y14, Y8, Y8
	VMULPS    Y10, Y13, Y15
	VADDPS    Y15, Y9, Y9
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqlstep

	// D = sumW·sumL2 − sumL², ts = (sumW·sumXL − sumX·sumL)/D,
	// tm = (sumL2·sumX − sumL·sumXL)/D; tm > 0: tm = 0, ts = sumXL/sumL2.
	VMOVUPS   S_SUMW(R10), Y10
	VMOVUPS   S_SUMX(R10), Y11
	VMULPS    Y8, Y10, Y12
	VMULPS    Y7, Y7, Y13
	VSUBPS    Y13, Y12, Y12         // D
	VMULPS    Y9, Y10, Y13
	VMULPS    Y7, Y11, Y14
	VSUBPS    Y14, Y13, Y13
	VDIVPS    Y12, Y13, Y13         // ts
	VMULPS    Y11, Y8, Y14
	VMULPS    Y9, Y7, Y15
	VSUBPS    Y15, Y14, Y14
	VDIVPS    Y12, Y14, Y14         // tm
	VCMPPS    $0x1e, Y3, Y14, Y15   // tm > 0 (ordered)
	VDIVPS    Y8, Y9, Y10           // sumXL / sumL2
	VBLENDVPS Y15, Y10, Y13, Y13
	VBLENDVPS Y15, Y3, Y14, Y14
	VCMPPS    $0x1e, Y3, Y12, Y12   // ok = D > 0 …
	VANDPS    S_LIVE(R10), Y12, Y12  // … on a live lane

	VXORPS Y7, Y7, Y7               // Σ w·d²
	MOVQ   DI, SI
	MOVQ   $32, CX

kqlerr:
	VCVTDQ2PS K_LAUX(SI), Y10
	VMULPS    Y10, Y13, Y10
	VADDPS    Y14, Y10, Y10
	VSUBPS    K_X(SI), Y10, Y10
	VMULPS    Y10, Y10, Y10
	VMULPS    K_W(SI), Y10, Y10
	VADDPS    Y10, Y7, Y7
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqlerr

	VMOVUPS   S_BEST(R10), Y10
	VCMPPS    $0x11, Y10, Y7, Y11   // err < best (ordered)
	VANDPS    Y12, Y11, Y11
	VMOVMSKPS Y11, AX
	TESTL     AX, AX
	JZ        kqnext
	VBLENDVPS Y11, Y7, Y10, Y10
	VMOVUPS   Y10, S_BEST(R10)
	VMOVUPS   S_SCALE(R10), Y10
	VBLENDVPS Y11, Y13, Y10, Y10
	VMOVUPS   Y10, S_SCALE(R10)
	VMOVUPS   S_LO(R10), Y10
	VBLENDVPS Y11, Y14, Y10, Y10
	VMOVUPS   Y10, S_LO(R10)
	MOVQ      DI, SI
	MOVQ      $32, CX

kqlcopy:
	VMOVDQU   K_L(SI), Y10
	VBLENDVPS Y11, K_LAUX(SI), Y10, Y10
	VMOVDQU   Y10, K_L(SI)
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqlcopy

kqnext:
	INCQ R8
	CMPQ R8, S_NSTEP(BX)
	JLE  kqcand
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
	VBROADCASTSS kq32<>(SB), Y1     // 32.0
	VDIVPS       Y1, Y0, Y0
	VSQRTPS      Y0, Y0             // av_x
	VPBROADCASTD kqabs<>(SB), Y2    // |·| mask
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

// func kqFinalAVX2(k *kLanes, h int, dj, dm *[8]float32, nmax int32)
// kqFinalGeneric: lanes with dj ≠ 0 (or NaN) take
// clamp(nearest_int((x + dm)/dj), 0, nmax), the others keep L.
TEXT ·kqFinalAVX2(SB), NOSPLIT, $0-36
	MOVQ         k+0(FP), SI
	MOVQ         h+8(FP), AX
	SHLQ         $5, AX
	ADDQ         AX, SI
	MOVQ         dj+16(FP), AX
	VMOVUPS      (AX), Y0
	MOVQ         dm+24(FP), AX
	VMOVUPS      (AX), Y1
	MOVL         nmax+32(FP), AX
	VMOVD        AX, X2             // VEX: no SSE/AVX transition
	VPBROADCASTD X2, Y2
	VPXOR        Y3, Y3, Y3
	VCMPPS       $4, Y3, Y0, Y7     // dj ≠ 0 (unordered: NaN counts as ≠)
	VPBROADCASTD kq1p5x23<>(SB), Y4
	VPBROADCASTD kqmant<>(SB), Y5
	VPBROADCASTD kqoffset<>(SB), Y6
	MOVQ         $32, CX

kqf:
	VMOVUPS   K_X(SI), Y8
	VADDPS    Y1, Y8, Y8            // x + dm
	VDIVPS    Y0, Y8, Y8            // /dj
	VADDPS    Y4, Y8, Y8
	VPAND     Y5, Y8, Y8
	VPSUBD    Y6, Y8, Y8
	VPMAXSD   Y3, Y8, Y8
	VPMINSD   Y2, Y8, Y8
	VMOVDQU   K_L(SI), Y9
	VBLENDVPS Y7, Y8, Y9, Y9
	VMOVDQU   Y9, K_L(SI)
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       kqf
	VZEROUPPER
	RET

// func kqLoopAVX512(k *kLanes, st *kqState)
// kqLoopAVX2 on all 16 lanes at once (zmm registers, opmasks for the
// selections): the same operations per lane.
TEXT ·kqLoopAVX512(SB), NOSPLIT, $0-16
	MOVQ         k+0(FP), DI
	MOVQ         st+8(FP), BX
	MOVL         S_NMAX(BX), AX
	VPBROADCASTD AX, Z2             // nmax
	VPXORD       Z3, Z3, Z3         // 0
	MOVL         $0x4b400000, AX
	VPBROADCASTD AX, Z4             // 1.5·2^23
	MOVL         $0x007fffff, AX
	VPBROADCASTD AX, Z5
	MOVL         $0x00400000, AX
	VPBROADCASTD AX, Z6
	VMOVDQU32    S_LIVE(BX), Z16
	VPTESTMD     Z16, Z16, K2       // live lanes
	XORQ         R8, R8

zcand:
	VCVTSI2SSQ   R8, X0, X0
	VMULSS       S_RDELTA(BX), X0, X0
	VADDSS       S_RMIN(BX), X0, X0
	VCVTSI2SSL   S_NMAX(BX), X15, X15
	VADDSS       X15, X0, X0
	VBROADCASTSS X0, Z0
	VMOVUPS      S_HI(BX), Z10
	VSUBPS       S_LO(BX), Z10, Z10
	VDIVPS       Z10, Z0, Z0        // iscale
	VMOVUPS      S_LO(BX), Z1
	VPXORD       Z7, Z7, Z7
	VPXORD       Z8, Z8, Z8
	VPXORD       Z9, Z9, Z9
	MOVQ         DI, SI
	MOVQ         $32, CX

zstep:
	VMOVUPS   K_X(SI), Z10
	VSUBPS    Z1, Z10, Z11
	VMULPS    Z11, Z0, Z11
	VADDPS    Z4, Z11, Z11
	VPANDD    Z5, Z11, Z11
	VPSUBD    Z6, Z11, Z11
	VPMAXSD   Z3, Z11, Z11
	VPMINSD   Z2, Z11, Z11
	VMOVDQU32 Z11, K_LAUX(SI)
	VCVTDQ2PS Z11, Z12
	VMULPS    K_W(SI), Z12, Z13
	VADDPS    Z13, Z7, Z7
	VMULPS    Z12, Z13, Z14
	VADDPS    Z14, Z8, Z8
	VMULPS    Z10, Z13, Z15
	VADDPS    Z15, Z9, Z9
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       zstep

	VMOVUPS   S_SUMW(BX), Z10
	VMOVUPS   S_SUMX(BX), Z11
	VMULPS    Z8, Z10, Z12
	VMULPS    Z7, Z7, Z13
	VSUBPS    Z13, Z12, Z12         // D
	VMULPS    Z9, Z10, Z13
	VMULPS    Z7, Z11, Z14
	VSUBPS    Z14, Z13, Z13
	VDIVPS    Z12, Z13, Z13         // ts
	VMULPS    Z11, Z8, Z14
	VMULPS    Z9, Z7, Z15
	VSUBPS    Z15, Z14, Z14
	VDIVPS    Z12, Z14, Z14         // tm
	VCMPPS    $0x1e, Z3, Z14, K1    // tm > 0
	VDIVPS    Z8, Z9, Z10           // sumXL / sumL2
	VBLENDMPS Z10, Z13, K1, Z13
	VBLENDMPS Z3, Z14, K1, Z14
	VCMPPS    $0x1e, Z3, Z12, K2, K3 // ok = D > 0 on a live lane

	VPXORD Z7, Z7, Z7
	MOVQ   DI, SI
	MOVQ   $32, CX

zerr:
	VCVTDQ2PS K_LAUX(SI), Z10
	VMULPS    Z10, Z13, Z10
	VADDPS    Z14, Z10, Z10
	VSUBPS    K_X(SI), Z10, Z10
	VMULPS    Z10, Z10, Z10
	VMULPS    K_W(SI), Z10, Z10
	VADDPS    Z10, Z7, Z7
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       zerr

	VMOVUPS  S_BEST(BX), Z10
	VCMPPS   $0x11, Z10, Z7, K3, K1 // ok and err < best
	KORTESTW K1, K1
	JZ       znext
	VMOVUPS  Z7, K1, S_BEST(BX)
	VMOVUPS  Z13, K1, S_SCALE(BX)
	VMOVUPS  Z14, K1, S_LO(BX)
	MOVQ     DI, SI
	MOVQ     $32, CX

zcopy:
	VMOVDQU32 K_LAUX(SI), Z10
	VMOVDQU32 Z10, K1, K_L(SI)
	ADDQ      $K_ROW, SI
	DECQ      CX
	JNZ       zcopy

znext:
	INCQ R8
	CMPQ R8, S_NSTEP(BX)
	JLE  zcand
	VZEROUPPER
	RET

// qxLanes: x [16][16]float32 at 0, L at 1024, Laux at 2048 (64-byte rows);
// qxState: max 0, scale 64, best 128, live 192, nmax 256.
#define Q_X     0
#define Q_L     1024
#define Q_LAUX  2048
#define QS_MAX   0
#define QS_SCALE 64
#define QS_BEST  128
#define QS_LIVE  192
#define QS_NMAX  256

// func qxLoopAVX512(q *qxLanes, st *qxState)
// qxLoopGeneric on the 16 lanes at once (zmm registers, opmasks).
TEXT ·qxLoopAVX512(SB), NOSPLIT, $0-16
	MOVQ         q+0(FP), DI
	MOVQ         st+8(FP), BX
	MOVL         QS_NMAX(BX), AX
	VPBROADCASTD AX, Z2             // nmax
	VPXORD       Z3, Z3, Z3         // 0
	VPSUBD       Z2, Z3, Z20        // −nmax
	MOVL         $1, AX
	VPBROADCASTD AX, Z22
	VPSUBD       Z22, Z2, Z21       // nmax − 1
	MOVL         $0x4b400000, AX
	VPBROADCASTD AX, Z4
	MOVL         $0x007fffff, AX
	VPBROADCASTD AX, Z5
	MOVL         $0x00400000, AX
	VPBROADCASTD AX, Z6
	VMOVUPS      QS_MAX(BX), Z1     // max
	VMOVDQU32    QS_LIVE(BX), Z16
	VPTESTMD     Z16, Z16, K2       // live lanes
	VCVTSI2SSL   QS_NMAX(BX), X25, X25 // fnmax
	MOVL         $0x80000000, AX
	VMOVD        AX, X24            // sign bit
	MOVL         $0x3dcccccd, AX
	VMOVD        AX, X23            // float32(0.1)

	// codes of −nmax/max, scale = Σxl/Σl² (0 if Σl² = 0), best = scale·Σxl
	VXORPS       X24, X25, X0
	VBROADCASTSS X0, Z0
	VDIVPS       Z1, Z0, Z0
	VPXORD    Z7, Z7, Z7            // Σ (x²·x)·l
	VPXORD    Z8, Z8, Z8            // Σ (x²·l)·l
	MOVQ      DI, SI
	MOVQ      $16, CX

qxs0:
	VMOVUPS   Q_X(SI), Z10          // x
	VMULPS    Z10, Z0, Z11          // iscale·x
	VADDPS    Z4, Z11, Z11          // nearest_int
	VPANDD    Z5, Z11, Z11
	VPSUBD    Z6, Z11, Z11
	VPMAXSD   Z20, Z11, Z11         // clamp to [−nmax, nmax−1]
	VPMINSD   Z21, Z11, Z11
	VPADDD    Z2, Z11, Z12
	VMOVDQU32 Z12, Q_LAUX(SI)       // l + nmax
	VCVTDQ2PS Z11, Z13              // l
	VMULPS    Z10, Z10, Z14         // w = x²
	VMULPS    Z10, Z14, Z15         // w·x
	VMULPS    Z13, Z15, Z15         // (w·x)·l
	VADDPS    Z15, Z7, Z7
	VMULPS    Z13, Z14, Z17         // w·l
	VMULPS    Z13, Z17, Z17         // (w·l)·l
	VADDPS    Z17, Z8, Z8
	ADDQ      $64, SI
	DECQ      CX
	JNZ       qxs0
	MOVQ      DI, SI
	MOVQ      $16, CX

qxcopy0:
	VMOVDQU32 Q_LAUX(SI), Z10
	VMOVDQU32 Z10, Q_L(SI)
	ADDQ      $64, SI
	DECQ      CX
	JNZ       qxcopy0
	VDIVPS    Z8, Z7, Z9
	VCMPPS    $4, Z3, Z8, K1        // Σl² ≠ 0 (NaN counts as ≠)
	VPXORD    Z10, Z10, Z10
	VMOVAPS   Z9, K1, Z10
	VMULPS    Z7, Z10, Z11
	VMOVUPS   Z10, QS_SCALE(BX)
	VMOVUPS   Z11, QS_BEST(BX)
	MOVQ      $-9, R8

qxcand:
	CMPQ         R8, $0
	JEQ          qxnext
	VCVTSI2SSQ   R8, X0, X0
	VMULSS       X23, X0, X0        // 0.1·is
	VADDSS       X0, X25, X0        // nmax + …
	VXORPS       X24, X0, X0        // −(…)
	VBROADCASTSS X0, Z0
	VDIVPS       Z1, Z0, Z0         // /max
	VPXORD    Z7, Z7, Z7            // Σ (x²·x)·l
	VPXORD    Z8, Z8, Z8            // Σ (x²·l)·l
	MOVQ      DI, SI
	MOVQ      $16, CX

qxs1:
	VMOVUPS   Q_X(SI), Z10          // x
	VMULPS    Z10, Z0, Z11          // iscale·x
	VADDPS    Z4, Z11, Z11          // nearest_int
	VPANDD    Z5, Z11, Z11
	VPSUBD    Z6, Z11, Z11
	VPMAXSD   Z20, Z11, Z11         // clamp to [−nmax, nmax−1]
	VPMINSD   Z21, Z11, Z11
	VPADDD    Z2, Z11, Z12
	VMOVDQU32 Z12, Q_LAUX(SI)       // l + nmax
	VCVTDQ2PS Z11, Z13              // l
	VMULPS    Z10, Z10, Z14         // w = x²
	VMULPS    Z10, Z14, Z15         // w·x
	VMULPS    Z13, Z15, Z15         // (w·x)·l
	VADDPS    Z15, Z7, Z7
	VMULPS    Z13, Z14, Z17         // w·l
	VMULPS    Z13, Z17, Z17         // (w·l)·l
	VADDPS    Z17, Z8, Z8
	ADDQ      $64, SI
	DECQ      CX
	JNZ       qxs1
	VCMPPS    $0x1e, Z3, Z8, K2, K1 // live and Σl² > 0
	VMULPS    Z7, Z7, Z9            // Σxl²
	VMOVUPS   QS_BEST(BX), Z11
	VMULPS    Z8, Z11, Z12          // best·Σl²
	VCMPPS    $0x1e, Z12, Z9, K1, K1 // and Σxl² > best·Σl²
	KORTESTW  K1, K1
	JZ        qxnext
	VDIVPS    Z8, Z7, Z10           // scale
	VMULPS    Z7, Z10, Z11          // best
	VMOVUPS   Z10, K1, QS_SCALE(BX)
	VMOVUPS   Z11, K1, QS_BEST(BX)
	MOVQ      DI, SI
	MOVQ      $16, CX

qxcopy:
	VMOVDQU32 Q_LAUX(SI), Z10
	VMOVDQU32 Z10, K1, Q_L(SI)
	ADDQ      $64, SI
	DECQ      CX
	JNZ       qxcopy

qxnext:
	INCQ R8
	CMPQ R8, $9
	JLE  qxcand
	VZEROUPPER
	RET
