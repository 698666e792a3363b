//go:build !noasm

#include "textflag.h"

// The matrix integer tile (i8TileW, widei8.go) on AMX-INT8.

// Field offsets of i8TileW (checked by TestTileLayout).
#define W_Q     0
#define W_SC    24
#define W_MIN   48
#define W_AB    72
#define W_Y     96
#define W_D0    120
#define W_D1    144
#define W_S0    168
#define W_S1    192
#define W_BS0   216
#define W_BS1   240
#define W_SY0   264
#define W_SY1   288
#define W_OUT   312
#define W_C     336
#define W_CFG   360
#define W_COLS  368
#define W_NSB   376
#define W_GPB   384
#define W_GS    392
#define W_EPI   400
#define W_OFF   408
#define W_PAIRS 416
#define W_YSTR  424
#define W_DSTR  432
#define W_BSTR  440
#define W_YSTEP 448
#define W_NGS   456

// The tile instructions, which the Go assembler does not know, as bytes
// (VEX encodings from the Intel SDM, checked against GNU as). Two sets of
// tiles, operands fixed: weights tmm0/tmm3 ← (SI + row·DX), the pair's
// codes tmm1/tmm4 ← (R8 + step·R9), sums tmm2/tmm5 → (R11/R12 + row·R9).
#define LDTILECFG_AX     BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0x00
#define TILERELEASE      BYTE $0xc4; BYTE $0xe2; BYTE $0x78; BYTE $0x49; BYTE $0xc0
#define TILELOADD_T0     BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x04; BYTE $0x16
#define TILELOADD_T1     BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x0c; BYTE $0x08
#define TILEZERO_T2      BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xd0
#define TDPBSSD_T2_T0_T1 BYTE $0xc4; BYTE $0xe2; BYTE $0x73; BYTE $0x5e; BYTE $0xd0
#define TILESTORED_T2    BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x14; BYTE $0x0b
#define TILELOADD_T3     BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x4b; BYTE $0x1c; BYTE $0x16
#define TILELOADD_T4     BYTE $0xc4; BYTE $0x82; BYTE $0x7b; BYTE $0x4b; BYTE $0x24; BYTE $0x08
#define TILEZERO_T5      BYTE $0xc4; BYTE $0xe2; BYTE $0x7b; BYTE $0x49; BYTE $0xe8
#define TDPBSSD_T5_T3_T4 BYTE $0xc4; BYTE $0xe2; BYTE $0x5b; BYTE $0x5e; BYTE $0xeb
#define TILESTORED_T5    BYTE $0xc4; BYTE $0x82; BYTE $0x7a; BYTE $0x4b; BYTE $0x2c; BYTE $0x0c

// PRODUCT0, PRODUCT1: the next scale group's 16×16 sums on tile set 0
// (into c) or 1 (into c + 1024); SI and R8 then step to the group after.
#define PRODUCT0 \
	TILELOADD_T0          \
	TILELOADD_T1          \
	TILEZERO_T2           \
	TDPBSSD_T2_T0_T1      \
	TILESTORED_T2         \
	ADDQ W_GS(R13), SI    \
	ADDQ W_YSTEP(R13), R8

#define PRODUCT1 \
	TILELOADD_T3          \
	TILELOADD_T4          \
	TILEZERO_T5           \
	TDPBSSD_T5_T3_T4      \
	TILESTORED_T5         \
	ADDQ W_GS(R13), SI    \
	ADDQ W_YSTEP(R13), R8

// GSUM(c, r64, r4, z): row r's 16 sums of a scale group (at c) times its
// scale (AX: the group's 16 row scales), added to z (S1 of row r).
#define GSUM(c, r64, r4, z) \
	VMOVDQU32    r64(c), Z30       \
	VPMULLD.BCST r4(AX), Z30, Z30  \
	VPADDD       Z30, z, z

// S2(r4): Z28 = S2 of row r: Σ_p its min pair p (BX: this superblock's
// [8][16] pairs) times the block sums of p (Z16+p), in int16 pairs.
#define S2(r4) \
	VPBROADCASTD r4(BX), Z31         \
	VPMADDWD     Z31, Z16, Z28       \
	VPBROADCASTD 64+r4(BX), Z31      \
	VPMADDWD     Z31, Z17, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 128+r4(BX), Z31     \
	VPMADDWD     Z31, Z18, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 192+r4(BX), Z31     \
	VPMADDWD     Z31, Z19, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 256+r4(BX), Z31     \
	VPMADDWD     Z31, Z20, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 320+r4(BX), Z31     \
	VPMADDWD     Z31, Z21, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 384+r4(BX), Z31     \
	VPMADDWD     Z31, Z22, Z31       \
	VPADDD       Z31, Z28, Z28       \
	VPBROADCASTD 448+r4(BX), Z31     \
	VPMADDWD     Z31, Z23, Z31       \
	VPADDD       Z31, Z28, Z28

// ACC(r4, r64, z): Z29 = row r's accumulators (R14) + float32(S1)·(A·d),
// A from CX, d in Z24: tileI8Generic's first float step.
#define ACC(r4, r64, z) \
	VMULPS.BCST r4(CX), Z24, Z26 \
	VCVTDQ2PS   z, Z27           \
	VMULPS      Z26, Z27, Z27    \
	VMOVUPS     r64(R14), Z29    \
	VADDPS      Z27, Z29, Z29

// ROWPLAIN(r4, r64, z): acc += S1·(A·d), stored back.
#define ROWPLAIN(r4, r64, z) \
	ACC(r4, r64, z) \
	VMOVUPS Z29, r64(R14)

// ROWMINS(r4, r64, z): acc += S1·(A·d); acc −= S2·(B·d).
#define ROWMINS(r4, r64, z) \
	S2(r4)                          \
	ACC(r4, r64, z)                 \
	VMULPS.BCST 64+r4(CX), Z24, Z26 \
	VCVTDQ2PS   Z28, Z27            \
	VMULPS      Z26, Z27, Z27       \
	VSUBPS      Z27, Z29, Z29       \
	VMOVUPS     Z29, r64(R14)

// ROWOFFK(r4, z): S1 −= S2 (then ROWPLAIN).
#define ROWOFFK(r4, z) \
	S2(r4) \
	VPSUBD Z28, z, z

// ROWLEGACY(r4, r64, z): acc += S1·(A·d); acc += B·s (s in Z25).
#define ROWLEGACY(r4, r64, z) \
	ACC(r4, r64, z)                 \
	VMULPS.BCST 64+r4(CX), Z25, Z26 \
	VADDPS      Z26, Z29, Z29       \
	VMOVUPS     Z29, r64(R14)

// LOADBS: Z16+p = the pair's block sums p of this superblock (bs at 8·DI).
#define LOADBS \
	MOVQ          W_BS0(R13), R11            \
	MOVQ          W_BS1(R13), R12            \
	VMOVDQU32     0(R11)(DI*8), Y16          \
	VINSERTI32X8  $1, 0(R12)(DI*8), Z16, Z16 \
	VMOVDQU32     32(R11)(DI*8), Y17          \
	VINSERTI32X8  $1, 32(R12)(DI*8), Z17, Z17 \
	VMOVDQU32     64(R11)(DI*8), Y18          \
	VINSERTI32X8  $1, 64(R12)(DI*8), Z18, Z18 \
	VMOVDQU32     96(R11)(DI*8), Y19          \
	VINSERTI32X8  $1, 96(R12)(DI*8), Z19, Z19 \
	VMOVDQU32     128(R11)(DI*8), Y20          \
	VINSERTI32X8  $1, 128(R12)(DI*8), Z20, Z20 \
	VMOVDQU32     160(R11)(DI*8), Y21          \
	VINSERTI32X8  $1, 160(R12)(DI*8), Z21, Z21 \
	VMOVDQU32     192(R11)(DI*8), Y22          \
	VINSERTI32X8  $1, 192(R12)(DI*8), Z22, Z22 \
	VMOVDQU32     224(R11)(DI*8), Y23          \
	VINSERTI32X8  $1, 224(R12)(DI*8), Z23, Z23

// ZERO16: Z0…Z15 = 0.
#define ZERO16 \
	VPXORD Z0, Z0, Z0 \
	VPXORD Z1, Z1, Z1 \
	VPXORD Z2, Z2, Z2 \
	VPXORD Z3, Z3, Z3 \
	VPXORD Z4, Z4, Z4 \
	VPXORD Z5, Z5, Z5 \
	VPXORD Z6, Z6, Z6 \
	VPXORD Z7, Z7, Z7 \
	VPXORD Z8, Z8, Z8 \
	VPXORD Z9, Z9, Z9 \
	VPXORD Z10, Z10, Z10 \
	VPXORD Z11, Z11, Z11 \
	VPXORD Z12, Z12, Z12 \
	VPXORD Z13, Z13, Z13 \
	VPXORD Z14, Z14, Z14 \
	VPXORD Z15, Z15, Z15

// GSUMS(c): GSUM for the 16 rows.
#define GSUMS(c) \
	GSUM(c, 0, 0, Z0) \
	GSUM(c, 64, 4, Z1) \
	GSUM(c, 128, 8, Z2) \
	GSUM(c, 192, 12, Z3) \
	GSUM(c, 256, 16, Z4) \
	GSUM(c, 320, 20, Z5) \
	GSUM(c, 384, 24, Z6) \
	GSUM(c, 448, 28, Z7) \
	GSUM(c, 512, 32, Z8) \
	GSUM(c, 576, 36, Z9) \
	GSUM(c, 640, 40, Z10) \
	GSUM(c, 704, 44, Z11) \
	GSUM(c, 768, 48, Z12) \
	GSUM(c, 832, 52, Z13) \
	GSUM(c, 896, 56, Z14) \
	GSUM(c, 960, 60, Z15)

// AMXENTRY: both kernels' entry: R13 = t, the tiles configured, the frame
// slots at the first pair, R9 = 64.
#define AMXENTRY \
	MOVQ t+0(FP), R13        \
	MOVQ W_CFG(R13), AX      \
	LDTILECFG_AX             \
	MOVQ W_PAIRS(R13), AX    \
	MOVQ AX, S_NPAIR         \
	MOVQ $0, S_OFFY          \
	MOVQ $0, S_OFFD          \
	MOVQ W_OUT(R13), AX      \
	MOVQ AX, S_OUTP          \
	MOVQ $64, R9

// PAIRPTRS: the pair's first weights and codes (SI, R8), the row stride
// DX and the sums' buffers R11, R12.
#define PAIRPTRS \
	MOVQ W_Q(R13), SI        \
	MOVQ W_COLS(R13), DX     \
	MOVQ W_Y(R13), R8        \
	ADDQ S_OFFY, R8          \
	MOVQ W_C(R13), R11       \
	LEAQ 1024(R11), R12

// NEXTPAIR(again): the frame slots step to the next pair; back to again
// while pairs are left.
#define NEXTPAIR(again) \
	MOVQ W_YSTR(R13), R11    \
	ADDQ R11, S_OFFY         \
	MOVQ W_DSTR(R13), R11    \
	ADDQ R11, S_OFFD         \
	ADDQ $1024, S_OUTP       \
	DECQ S_NPAIR             \
	JNZ  again

// Frame slots of tileI8AMX.
#define S_NPAIR npair-8(SP)  // group pairs left
#define S_NG    ng-16(SP)    // scale groups left in this superblock
#define S_OFFY  offy-24(SP)  // byte offset of the pair in y
#define S_OFFD  offd-32(SP)  // … in d, s and sy (in bs: 8 times as much)
#define S_OUTP  outp-40(SP)  // the pair's out[16][16]
#define S_RET   ret-48(SP)   // where the epilogue returns: 0 even, 1 odd

// Registers: R13 the tile; SI, R8 the weights and codes of the next scale
// group to multiply (row stride DX = cols, step stride R9 = 64); R11, R12
// the two sets' sums (c, c + 1024); AX the row scales of the group being
// summed; R10 the groups after it; BX, CX the superblock's min pairs and
// A, B factors; DI its offset in d, s, sy; R14 the accumulators (out) in
// the epilogue. Z0…Z15 S1 of rows 0…15; Z16…Z23 block sums; Z24 d;
// Z25 s or off·Σy.
//
// The groups alternate between the two tile sets: while one group's sums
// are scaled and added in zmm registers, the next group's product runs on
// the other set (the matrix unit's latency would otherwise serialize
// them: one set only measured slower than the VNNI tile).

// func tileI8AMX(t *i8TileW)
TEXT ·tileI8AMX(SB), NOSPLIT, $48-8
	AMXENTRY

pair:
	MOVQ    S_OUTP, R14
	VPXORD  Z29, Z29, Z29
	VMOVUPS Z29, 0(R14)
	VMOVUPS Z29, 64(R14)
	VMOVUPS Z29, 128(R14)
	VMOVUPS Z29, 192(R14)
	VMOVUPS Z29, 256(R14)
	VMOVUPS Z29, 320(R14)
	VMOVUPS Z29, 384(R14)
	VMOVUPS Z29, 448(R14)
	VMOVUPS Z29, 512(R14)
	VMOVUPS Z29, 576(R14)
	VMOVUPS Z29, 640(R14)
	VMOVUPS Z29, 704(R14)
	VMOVUPS Z29, 768(R14)
	VMOVUPS Z29, 832(R14)
	VMOVUPS Z29, 896(R14)
	VMOVUPS Z29, 960(R14)
	ZERO16
	PAIRPTRS
	MOVQ W_SC(R13), AX
	MOVQ W_MIN(R13), BX
	MOVQ W_AB(R13), CX
	MOVQ S_OFFD, DI
	MOVQ W_GPB(R13), R10
	MOVQ R10, S_NG
	MOVQ W_NGS(R13), R10
	DECQ R10
	PRODUCT0

even: // the group on set 0 is summed; the next one runs on set 1
	TESTQ R10, R10
	JZ    evensum
	PRODUCT1
evensum:
	GSUMS(R11)
	ADDQ  $64, AX
	MOVQ  $0, S_RET
	DECQ  S_NG
	JZ    epilogue
evenback:
	TESTQ R10, R10
	JZ    pairdone
	DECQ  R10

	// odd: the group on set 1 is summed; the next one runs on set 0
	TESTQ R10, R10
	JZ    oddsum
	PRODUCT0
oddsum:
	GSUMS(R12)
	ADDQ  $64, AX
	MOVQ  $1, S_RET
	DECQ  S_NG
	JZ    epilogue
oddback:
	TESTQ R10, R10
	JZ    pairdone
	DECQ  R10
	JMP   even

	// The superblock's epilogue (tileI8Generic), per row; then S1 = 0 for
	// the next superblock, and back to where the last group was summed.
epilogue:
	MOVQ          W_D0(R13), R11
	MOVQ          W_D1(R13), R12
	VMOVUPS       (R11)(DI*1), Y24
	VINSERTF32X8  $1, (R12)(DI*1), Z24, Z24
	MOVQ          S_OUTP, R14
	MOVQ          W_EPI(R13), R12
	CMPQ          R12, $1
	JEQ           mins
	CMPQ          R12, $4
	JEQ           offk
	CMPQ          R12, $5
	JEQ           off0
	CMPQ          R12, $2
	JEQ           legacy

plain:
	ROWPLAIN(0, 0, Z0)
	ROWPLAIN(4, 64, Z1)
	ROWPLAIN(8, 128, Z2)
	ROWPLAIN(12, 192, Z3)
	ROWPLAIN(16, 256, Z4)
	ROWPLAIN(20, 320, Z5)
	ROWPLAIN(24, 384, Z6)
	ROWPLAIN(28, 448, Z7)
	ROWPLAIN(32, 512, Z8)
	ROWPLAIN(36, 576, Z9)
	ROWPLAIN(40, 640, Z10)
	ROWPLAIN(44, 704, Z11)
	ROWPLAIN(48, 768, Z12)
	ROWPLAIN(52, 832, Z13)
	ROWPLAIN(56, 896, Z14)
	ROWPLAIN(60, 960, Z15)
	JMP sbdone

off0: // S1 −= off·Σy
	MOVQ          W_SY0(R13), R11
	MOVQ          W_SY1(R13), R12
	VMOVDQU32     (R11)(DI*1), Y25
	VINSERTI32X8  $1, (R12)(DI*1), Z25, Z25
	VPMULLD.BCST  W_OFF(R13), Z25, Z25
	VPSUBD Z25, Z0, Z0
	VPSUBD Z25, Z1, Z1
	VPSUBD Z25, Z2, Z2
	VPSUBD Z25, Z3, Z3
	VPSUBD Z25, Z4, Z4
	VPSUBD Z25, Z5, Z5
	VPSUBD Z25, Z6, Z6
	VPSUBD Z25, Z7, Z7
	VPSUBD Z25, Z8, Z8
	VPSUBD Z25, Z9, Z9
	VPSUBD Z25, Z10, Z10
	VPSUBD Z25, Z11, Z11
	VPSUBD Z25, Z12, Z12
	VPSUBD Z25, Z13, Z13
	VPSUBD Z25, Z14, Z14
	VPSUBD Z25, Z15, Z15
	JMP plain

offk: // S1 −= S2
	LOADBS
	ROWOFFK(0, Z0)
	ROWOFFK(4, Z1)
	ROWOFFK(8, Z2)
	ROWOFFK(12, Z3)
	ROWOFFK(16, Z4)
	ROWOFFK(20, Z5)
	ROWOFFK(24, Z6)
	ROWOFFK(28, Z7)
	ROWOFFK(32, Z8)
	ROWOFFK(36, Z9)
	ROWOFFK(40, Z10)
	ROWOFFK(44, Z11)
	ROWOFFK(48, Z12)
	ROWOFFK(52, Z13)
	ROWOFFK(56, Z14)
	ROWOFFK(60, Z15)
	JMP plain

mins:
	LOADBS
	ROWMINS(0, 0, Z0)
	ROWMINS(4, 64, Z1)
	ROWMINS(8, 128, Z2)
	ROWMINS(12, 192, Z3)
	ROWMINS(16, 256, Z4)
	ROWMINS(20, 320, Z5)
	ROWMINS(24, 384, Z6)
	ROWMINS(28, 448, Z7)
	ROWMINS(32, 512, Z8)
	ROWMINS(36, 576, Z9)
	ROWMINS(40, 640, Z10)
	ROWMINS(44, 704, Z11)
	ROWMINS(48, 768, Z12)
	ROWMINS(52, 832, Z13)
	ROWMINS(56, 896, Z14)
	ROWMINS(60, 960, Z15)
	JMP sbdone

legacy:
	MOVQ          W_S0(R13), R11
	MOVQ          W_S1(R13), R12
	VMOVUPS       (R11)(DI*1), Y25
	VINSERTF32X8  $1, (R12)(DI*1), Z25, Z25
	ROWLEGACY(0, 0, Z0)
	ROWLEGACY(4, 64, Z1)
	ROWLEGACY(8, 128, Z2)
	ROWLEGACY(12, 192, Z3)
	ROWLEGACY(16, 256, Z4)
	ROWLEGACY(20, 320, Z5)
	ROWLEGACY(24, 384, Z6)
	ROWLEGACY(28, 448, Z7)
	ROWLEGACY(32, 512, Z8)
	ROWLEGACY(36, 576, Z9)
	ROWLEGACY(40, 640, Z10)
	ROWLEGACY(44, 704, Z11)
	ROWLEGACY(48, 768, Z12)
	ROWLEGACY(52, 832, Z13)
	ROWLEGACY(56, 896, Z14)
	ROWLEGACY(60, 960, Z15)

sbdone:
	ZERO16
	ADDQ $32, DI
	ADDQ $512, BX
	ADDQ $128, CX
	MOVQ W_GPB(R13), R11
	MOVQ R11, S_NG
	MOVQ W_C(R13), R11
	LEAQ 1024(R11), R12
	CMPQ S_RET, $0
	JEQ  evenback
	JMP  oddback

pairdone:
	NEXTPAIR(pair)

	TILERELEASE
	VZEROUPPER
	RET

// BLOCK(r64, r4, z): row r's accumulators z += float32(S1)·(A·d), S1 the
// block's sums at BX (one scale group per block, scale 1), A from CX, d
// in Z24: tileI8Generic's first float step.
#define BLOCK(r64, r4, z) \
	VCVTDQ2PS   r64(BX), Z27     \
	VMULPS.BCST r4(CX), Z24, Z26 \
	VMULPS      Z26, Z27, Z27    \
	VADDPS      Z27, z, z

// BLOCKOFF0(r64, r4, z): BLOCK with S1 − off·Σy (Z25).
#define BLOCKOFF0(r64, r4, z) \
	VMOVDQU32   r64(BX), Z30     \
	VPSUBD      Z25, Z30, Z30    \
	VCVTDQ2PS   Z30, Z27         \
	VMULPS.BCST r4(CX), Z24, Z26 \
	VMULPS      Z26, Z27, Z27    \
	VADDPS      Z27, z, z

// BLOCKLEGACY(r64, r4, z): BLOCK, then z += B·s (s in Z25).
#define BLOCKLEGACY(r64, r4, z) \
	BLOCK(r64, r4, z)               \
	VMULPS.BCST 64+r4(CX), Z25, Z26 \
	VADDPS      Z26, z, z

// func tileI8AMX1(t *i8TileW)
//
// tileI8AMX for kinds with one scale group per block, of scale 1 (Q8_0,
// Q4_0, Q5_0, Q4_1, Q5_1): each block's sums go straight into the float
// epilogue, and the 16 rows' accumulators stay in Z0…Z15 for the whole
// pair. Registers as tileI8AMX, but BX the sums being used (R11 or R12),
// R14 a pointer scratch; S_RET says which set to go back to.
TEXT ·tileI8AMX1(SB), NOSPLIT, $48-8
	AMXENTRY

pair1:
	ZERO16
	PAIRPTRS
	MOVQ W_AB(R13), CX
	MOVQ S_OFFD, DI
	MOVQ W_NGS(R13), R10
	DECQ R10
	PRODUCT0

even1: // the block on set 0 is used; the next one runs on set 1
	TESTQ R10, R10
	JZ    evenuse
	PRODUCT1
evenuse:
	MOVQ  R11, BX
	MOVQ  $0, S_RET
	JMP   block
evenback1:
	TESTQ R10, R10
	JZ    pairdone1
	DECQ  R10

	// odd: the block on set 1 is used; the next one runs on set 0
	TESTQ R10, R10
	JZ    odduse
	PRODUCT0
odduse:
	MOVQ  R12, BX
	MOVQ  $1, S_RET
	JMP   block
oddback1:
	TESTQ R10, R10
	JZ    pairdone1
	DECQ  R10
	JMP   even1

block:
	MOVQ          W_D0(R13), R14
	VMOVUPS       (R14)(DI*1), Y24
	MOVQ          W_D1(R13), R14
	VINSERTF32X8  $1, (R14)(DI*1), Z24, Z24
	MOVQ          W_EPI(R13), R14
	CMPQ          R14, $5
	JEQ           blockoff0
	CMPQ          R14, $2
	JEQ           blocklegacy
	BLOCK(0, 0, Z0)
	BLOCK(64, 4, Z1)
	BLOCK(128, 8, Z2)
	BLOCK(192, 12, Z3)
	BLOCK(256, 16, Z4)
	BLOCK(320, 20, Z5)
	BLOCK(384, 24, Z6)
	BLOCK(448, 28, Z7)
	BLOCK(512, 32, Z8)
	BLOCK(576, 36, Z9)
	BLOCK(640, 40, Z10)
	BLOCK(704, 44, Z11)
	BLOCK(768, 48, Z12)
	BLOCK(832, 52, Z13)
	BLOCK(896, 56, Z14)
	BLOCK(960, 60, Z15)
	JMP blockdone

blockoff0:
	MOVQ          W_SY0(R13), R14
	VMOVDQU32     (R14)(DI*1), Y25
	MOVQ          W_SY1(R13), R14
	VINSERTI32X8  $1, (R14)(DI*1), Z25, Z25
	VPMULLD.BCST  W_OFF(R13), Z25, Z25
	BLOCKOFF0(0, 0, Z0)
	BLOCKOFF0(64, 4, Z1)
	BLOCKOFF0(128, 8, Z2)
	BLOCKOFF0(192, 12, Z3)
	BLOCKOFF0(256, 16, Z4)
	BLOCKOFF0(320, 20, Z5)
	BLOCKOFF0(384, 24, Z6)
	BLOCKOFF0(448, 28, Z7)
	BLOCKOFF0(512, 32, Z8)
	BLOCKOFF0(576, 36, Z9)
	BLOCKOFF0(640, 40, Z10)
	BLOCKOFF0(704, 44, Z11)
	BLOCKOFF0(768, 48, Z12)
	BLOCKOFF0(832, 52, Z13)
	BLOCKOFF0(896, 56, Z14)
	BLOCKOFF0(960, 60, Z15)
	JMP blockdone

blocklegacy:
	MOVQ          W_S0(R13), R14
	VMOVUPS       (R14)(DI*1), Y25
	MOVQ          W_S1(R13), R14
	VINSERTF32X8  $1, (R14)(DI*1), Z25, Z25
	BLOCKLEGACY(0, 0, Z0)
	BLOCKLEGACY(64, 4, Z1)
	BLOCKLEGACY(128, 8, Z2)
	BLOCKLEGACY(192, 12, Z3)
	BLOCKLEGACY(256, 16, Z4)
	BLOCKLEGACY(320, 20, Z5)
	BLOCKLEGACY(384, 24, Z6)
	BLOCKLEGACY(448, 28, Z7)
	BLOCKLEGACY(512, 32, Z8)
	BLOCKLEGACY(576, 36, Z9)
	BLOCKLEGACY(640, 40, Z10)
	BLOCKLEGACY(704, 44, Z11)
	BLOCKLEGACY(768, 48, Z12)
	BLOCKLEGACY(832, 52, Z13)
	BLOCKLEGACY(896, 56, Z14)
	BLOCKLEGACY(960, 60, Z15)

blockdone:
	ADDQ $32, DI
	ADDQ $128, CX
	CMPQ S_RET, $0
	JEQ  evenback1
	JMP  oddback1

pairdone1:
	MOVQ S_OUTP, R14
	VMOVUPS Z0, 0(R14)
	VMOVUPS Z1, 64(R14)
	VMOVUPS Z2, 128(R14)
	VMOVUPS Z3, 192(R14)
	VMOVUPS Z4, 256(R14)
	VMOVUPS Z5, 320(R14)
	VMOVUPS Z6, 384(R14)
	VMOVUPS Z7, 448(R14)
	VMOVUPS Z8, 512(R14)
	VMOVUPS Z9, 576(R14)
	VMOVUPS Z10, 640(R14)
	VMOVUPS Z11, 704(R14)
	VMOVUPS Z12, 768(R14)
	VMOVUPS Z13, 832(R14)
	VMOVUPS Z14, 896(R14)
	VMOVUPS Z15, 960(R14)
	NEXTPAIR(pair1)

	TILERELEASE
	VZEROUPPER
	RET
