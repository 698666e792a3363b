//go:build !noasm

#include "textflag.h"

// Q6_K's make_qx_quants on the 16 lanes of qxLanes (qx_lanes.go has the
// Go twins). EVEX/VEX instructions only: a legacy-SSE instruction here
// would stall on the dirty upper register state.

// qxLanes: x [16][16]float32 at 0, L at 1024, Laux at 2048, w at 3072, wx
// at 4096 (64-byte rows); qxState: max 0, scale 64, best 128, live 192,
// nmax 256.
#define Q_X      0
#define Q_L      1024
#define Q_W      3072
#define Q_WX     4096
#define QS_MAX   0
#define QS_SCALE 64
#define QS_BEST  128
#define QS_LIVE  192
#define QS_NMAX  256

DATA qxconst<>+0(SB)/4, $0x7fffffff  // |x| mask
DATA qxconst<>+4(SB)/4, $0x7f7fffff  // FLT_MAX
DATA qxconst<>+8(SB)/4, $0x26901d7d  // float32(GROUP_MAX_EPS)
DATA qxconst<>+12(SB)/4, $0x4b400000 // 1.5·2^23
DATA qxconst<>+16(SB)/4, $0x80000000 // sign bit
DATA qxconst<>+20(SB)/4, $0x3dcccccd // float32(0.1)
DATA qxconst<>+24(SB)/4, $0x3f800000 // 1
DATA qxconst<>+28(SB)/4, $0x007fffff
DATA qxconst<>+32(SB)/4, $0x00400000
DATA qxconst<>+36(SB)/4, $-32
DATA qxconst<>+40(SB)/4, $31
DATA qxconst<>+44(SB)/4, $32
DATA qxconst<>+48(SB)/4, $0x0f
DATA qxconst<>+52(SB)/4, $0x03
GLOBL qxconst<>(SB), RODATA|NOPTR, $56

// qxidx holds the dword offsets 16·j of element i of sub-block j,
// j = 0…15: the gather pattern between a row of qxLanes and natural order.
DATA qxidx<>+0(SB)/4, $0
DATA qxidx<>+4(SB)/4, $16
DATA qxidx<>+8(SB)/4, $32
DATA qxidx<>+12(SB)/4, $48
DATA qxidx<>+16(SB)/4, $64
DATA qxidx<>+20(SB)/4, $80
DATA qxidx<>+24(SB)/4, $96
DATA qxidx<>+28(SB)/4, $112
DATA qxidx<>+32(SB)/4, $128
DATA qxidx<>+36(SB)/4, $144
DATA qxidx<>+40(SB)/4, $160
DATA qxidx<>+44(SB)/4, $176
DATA qxidx<>+48(SB)/4, $192
DATA qxidx<>+52(SB)/4, $208
DATA qxidx<>+56(SB)/4, $224
DATA qxidx<>+60(SB)/4, $240
GLOBL qxidx<>(SB), RODATA|NOPTR, $64

// func qxPrepAVX512(q *qxLanes, st *qxState, x *[256]float32) (finite bool)
// qxPrepGeneric: q.x gathered from x; per lane the first value of largest
// magnitude and whether it reaches GROUP_MAX_EPS; w = x·x, wx = w·x;
// finite unless some x is NaN or ±Inf.
TEXT ·qxPrepAVX512(SB), NOSPLIT, $0-25
	MOVQ         q+0(FP), SI
	MOVQ         st+8(FP), BX
	MOVQ         x+16(FP), DX
	VMOVDQU32    qxidx<>(SB), Z31
	VPBROADCASTD qxconst<>+0(SB), Z30
	VPBROADCASTD qxconst<>+4(SB), Z29
	VPXORD       Z1, Z1, Z1         // amax
	VPXORD       Z9, Z9, Z9         // max
	KXNORW       K3, K3, K3         // lanes with only finite x
	MOVQ         $16, CX

qxprep:
	KXNORW     K4, K4, K4
	VGATHERDPS (DX)(Z31*4), K4, Z10 // x[16j+i], j = 0…15
	VMOVUPS    Z10, Q_X(SI)
	ADDQ       $4, DX
	VANDPS   Z30, Z10, Z11          // |x|
	VCMPPS   $0x1e, Z1, Z11, K1     // |x| > amax
	VMOVAPS  Z11, K1, Z1
	VMOVAPS  Z10, K1, Z9
	VCMPPS   $0x12, Z29, Z11, K3, K3 // and |x| ≤ FLT_MAX
	VMULPS   Z10, Z10, Z12          // w = x·x
	VMOVUPS  Z12, Q_W(SI)
	VMULPS   Z10, Z12, Z13          // w·x
	VMOVUPS  Z13, Q_WX(SI)
	ADDQ     $64, SI
	DECQ     CX
	JNZ      qxprep

	VMOVUPS      Z9, QS_MAX(BX)
	VBROADCASTSS qxconst<>+8(SB), Z10
	VCMPPS       $0x05, Z10, Z1, K2 // !(amax < GROUP_MAX_EPS)
	VPMOVM2D     K2, Z16
	VMOVDQU32    Z16, QS_LIVE(BX)
	KMOVW        K3, AX
	CMPL         AX, $0xffff
	SETEQ        finite+24(FP)
	VZEROUPPER
	RET

// QXSUMS accumulates, over the 16 rows from DI, Σ wx·l into Z7 and
// Σ (w·l)·l into Z8 for the codes l of iscale Z0: l = round(iscale·x)
// clamped to [Z20, Z21] = [−nmax, nmax−1], all in float32. (x + 1.5·2^23)
// − 1.5·2^23 rounds to nearest, ties to even, exactly as nearest_int while
// |iscale·x| < 2^22, which qxLoop's caller guarantees; l is then an
// integer-valued float, the same as float(l) of the Go twin.
#define QXSUMS(loop) \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	MOVQ   DI, SI \
	MOVQ   $16, CX \
loop: \
	VMULPS Q_X(SI), Z0, Z11 \
	VADDPS Z4, Z11, Z11 \
	VSUBPS Z4, Z11, Z11 \
	VMAXPS Z20, Z11, Z11 \
	VMINPS Z21, Z11, Z11 \
	VMULPS Q_WX(SI), Z11, Z13 \
	VADDPS Z13, Z7, Z7 \
	VMULPS Q_W(SI), Z11, Z14 \
	VMULPS Z11, Z14, Z14 \
	VADDPS Z14, Z8, Z8 \
	ADDQ   $64, SI \
	DECQ   CX \
	JNZ    loop

// QXCODES stores the codes l + nmax of iscale Z0 into L on the lanes of
// mask k.
#define QXCODES(loop, k) \
	MOVQ DI, SI \
	MOVQ $16, CX \
loop: \
	VMULPS     Q_X(SI), Z0, Z11 \
	VADDPS     Z4, Z11, Z11 \
	VSUBPS     Z4, Z11, Z11 \
	VMAXPS     Z20, Z11, Z11 \
	VMINPS     Z21, Z11, Z11 \
	VADDPS     Z2, Z11, Z11 \
	VCVTTPS2DQ Z11, Z11 \
	VMOVDQU32  Z11, k, Q_L(SI) \
	ADDQ       $64, SI \
	DECQ       CX \
	JNZ        loop

// func qxLoopAVX512(q *qxLanes, st *qxState)
// qxLoopGeneric on the 16 lanes at once (zmm registers, opmasks), for
// finite x only (see QXSUMS). Branch-free: a winning candidate updates
// each lane's scale, best and iscale (Z26, Z27, Z28) under a mask, and the
// codes are computed once at the end from the winning iscale, the same
// codes the Go twin stores on each win. Laux is not used.
TEXT ·qxLoopAVX512(SB), NOSPLIT, $0-16
	MOVQ         q+0(FP), DI
	MOVQ         st+8(FP), BX
	VCVTSI2SSL   QS_NMAX(BX), X25, X25 // fnmax
	VBROADCASTSS X25, Z2
	VBROADCASTSS qxconst<>+16(SB), Z24 // sign bit
	VXORPS       Z24, Z2, Z20          // −nmax
	VBROADCASTSS qxconst<>+24(SB), Z21
	VSUBPS       Z21, Z2, Z21          // nmax − 1
	VBROADCASTSS qxconst<>+12(SB), Z4  // 1.5·2^23
	VPXORD       Z3, Z3, Z3            // 0
	VMOVUPS      QS_MAX(BX), Z1        // max
	VMOVDQU32    QS_LIVE(BX), Z16
	VPTESTMD     Z16, Z16, K2          // live lanes
	VMOVSS       qxconst<>+20(SB), X23 // float32(0.1)

	// codes of −nmax/max, scale = Σxl/Σl² (0 if Σl² = 0), best = scale·Σxl
	VDIVPS  Z1, Z20, Z0
	QXSUMS(qxs0)
	VMOVAPS Z0, Z28
	VDIVPS  Z8, Z7, Z9
	VCMPPS  $4, Z3, Z8, K1          // Σl² ≠ 0 (NaN counts as ≠)
	VPXORD  Z26, Z26, Z26
	VMOVAPS Z9, K1, Z26
	VMULPS  Z7, Z26, Z27
	MOVQ    $-9, R8

qxcand:
	CMPQ         R8, $0
	JEQ          qxnext
	VCVTSI2SSQ   R8, X0, X0
	VMULSS       X23, X0, X0        // 0.1·is
	VADDSS       X0, X25, X0        // nmax + …
	VXORPS       X24, X0, X0        // −(…)
	VBROADCASTSS X0, Z0
	VDIVPS       Z1, Z0, Z0         // /max
	QXSUMS(qxs1)
	VCMPPS    $0x1e, Z3, Z8, K2, K1 // live and Σl² > 0
	VMULPS    Z7, Z7, Z9            // Σxl²
	VMULPS    Z8, Z27, Z12          // best·Σl²
	VCMPPS    $0x1e, Z12, Z9, K1, K1 // and Σxl² > best·Σl²
	VDIVPS    Z8, Z7, Z10           // scale
	VMULPS    Z7, Z10, Z11          // best
	VMOVAPS   Z10, K1, Z26
	VMOVAPS   Z11, K1, Z27
	VMOVAPS   Z0, K1, Z28

qxnext:
	INCQ R8
	CMPQ R8, $9
	JLE  qxcand
	VMOVUPS Z26, QS_SCALE(BX)
	VMOVUPS Z27, QS_BEST(BX)
	VMOVAPS Z28, Z0
	KXNORW  K1, K1, K1
	QXCODES(qxc, K1)
	VZEROUPPER
	RET

// func qxFinalAVX512(q *qxLanes, dj *[16]float32)
// qxFinalGeneric: L = clamp(nearest_int(x/dj), −32, 31) + 32 on the lanes
// with dj ≠ 0, nearest_int in integers as the Go twin (x/dj may be huge).
TEXT ·qxFinalAVX512(SB), NOSPLIT, $0-16
	MOVQ         q+0(FP), SI
	MOVQ         dj+8(FP), AX
	VMOVUPS      (AX), Z1
	VPXORD       Z3, Z3, Z3
	VCMPPS       $4, Z3, Z1, K1     // dj ≠ 0 (NaN counts as ≠)
	VPBROADCASTD qxconst<>+12(SB), Z4
	VPBROADCASTD qxconst<>+28(SB), Z5
	VPBROADCASTD qxconst<>+32(SB), Z6
	VPBROADCASTD qxconst<>+36(SB), Z20
	VPBROADCASTD qxconst<>+40(SB), Z21
	VPBROADCASTD qxconst<>+44(SB), Z22
	MOVQ         $16, CX

qxfin:
	VMOVUPS   Q_X(SI), Z10
	VDIVPS    Z1, Z10, Z10
	VADDPS    Z4, Z10, Z10
	VPANDD    Z5, Z10, Z10
	VPSUBD    Z6, Z10, Z10
	VPMAXSD   Z20, Z10, Z10
	VPMINSD   Z21, Z10, Z10
	VPADDD    Z22, Z10, Z10
	VMOVDQU32 Z10, K1, Q_L(SI)
	ADDQ      $64, SI
	DECQ      CX
	JNZ       qxfin
	VZEROUPPER
	RET

// QXPACK6 stores the Q6_K packing of the four code vectors q1…q4
// (elements b, b+32, b+64, b+96 for 16 consecutive b): ql bytes q1&15 |
// q3<<4 at lo, q2&15 | q4<<4 at hi, qh bytes at qh.
#define QXPACK6(q1, q2, q3, q4, lo, hi, qh) \
	VPANDD    Z28, q1, Z10 \
	VPSLLD    $4, q3, Z11 \
	VPORD     Z11, Z10, Z10 \
	VPMOVDB   Z10, lo(DX) \
	VPANDD    Z28, q2, Z10 \
	VPSLLD    $4, q4, Z11 \
	VPORD     Z11, Z10, Z10 \
	VPMOVDB   Z10, hi(DX) \
	VPSRLD    $4, q1, Z10 \
	VPSRLD    $4, q2, Z11 \
	VPANDD    Z29, Z11, Z11 \
	VPSLLD    $2, Z11, Z11 \
	VPORD     Z11, Z10, Z10 \
	VPSRLD    $4, q3, Z11 \
	VPANDD    Z29, Z11, Z11 \
	VPSLLD    $4, Z11, Z11 \
	VPORD     Z11, Z10, Z10 \
	VPSRLD    $4, q4, Z11 \
	VPSLLD    $6, Z11, Z11 \
	VPORD     Z11, Z10, Z10 \
	VPMOVDB   Z10, qh(DX)

// QXROW gathers the codes of sub-block r (natural elements 16r…16r+15)
// from the lanes of L into z.
#define QXROW(r, z) \
	KXNORW     K1, K1, K1 \
	VPGATHERDD (r*4)(SI)(Z31*4), K1, z

// func qxPackAVX512(q *qxLanes, dst *[192]byte)
// qxPackGeneric: codes are at most 63 (6 bits), so q1>>4 needs no mask
// below bit 2 and q4<<6 none above bit 8 (VPMOVDB truncates).
TEXT ·qxPackAVX512(SB), NOSPLIT, $0-16
	MOVQ         q+0(FP), SI
	ADDQ         $Q_L, SI
	MOVQ         dst+8(FP), DX
	VMOVDQU32    qxidx<>(SB), Z31
	VPBROADCASTD qxconst<>+48(SB), Z28
	VPBROADCASTD qxconst<>+52(SB), Z29
	QXROW(0, Z0)
	QXROW(1, Z1)
	QXROW(2, Z2)
	QXROW(3, Z3)
	QXROW(4, Z4)
	QXROW(5, Z5)
	QXROW(6, Z6)
	QXROW(7, Z7)
	QXROW(8, Z16)
	QXROW(9, Z17)
	QXROW(10, Z18)
	QXROW(11, Z19)
	QXROW(12, Z20)
	QXROW(13, Z21)
	QXROW(14, Z22)
	QXROW(15, Z23)
	QXPACK6(Z0, Z2, Z4, Z6, 0, 32, 128)
	QXPACK6(Z1, Z3, Z5, Z7, 16, 48, 144)
	QXPACK6(Z16, Z18, Z20, Z22, 64, 96, 160)
	QXPACK6(Z17, Z19, Z21, Z23, 80, 112, 176)
	VZEROUPPER
	RET
