//go:build !noasm

#include "textflag.h"

// Field offsets of i8Tile (checked by TestTileLayout).
#define T_Q0   0
#define T_Q1   24
#define T_SC0  48
#define T_SC1  72
#define T_MIN0 96
#define T_MIN1 120
#define T_AB0  144
#define T_AB1  168
#define T_Y0   192
#define T_Y1   216
#define T_D0   240
#define T_D1   264
#define T_S0   288
#define T_S1   312
#define T_BS0  336
#define T_BS1  360
#define T_OUT  384
#define T_NSB  408
#define T_GPB  416
#define T_SPM  432
#define T_EPI  440
#define T_CPG  448
#define T_PAIRS 456
#define T_YSTR 464
#define T_DSTR 472
#define T_BSTR 480
#define T_SY0  488
#define T_SY1  512
#define T_OFF  536
#define T_QA   544
#define T_PF   568
#define T_PFEND 576

// Registers of tileI8AVX2.
#define tile R13  // *i8Tile
#define wq   SI   // weight codes of row 0, advancing 4 bytes a step
#define dwq  R8   // row 1 codes − row 0 codes
#define yq   DI   // activation codes of group 0, advancing 32 bytes a step
#define dyq  R9   // group 1 codes − group 0 codes
#define wsc  R10  // group scales of row 0, advancing 4 bytes a group
#define dwsc R11  // row 1 scales − row 0 scales
#define sblk R12  // superblock index b
// Y0..Y3: int32 S1 for (row, group) = (0,0) (0,1) (1,0) (1,1).

// IPF(skip): ask for the next line of the prefetch range [R14, pfEnd),
// if any: once per block (one-group loop) or scale group (general loop),
// so that the rows two chunks ahead arrive while this tile computes.
#define IPF(skip) \
	CMPQ       R14, T_PFEND(tile) \
	JAE        skip               \
	PREFETCHT1 (R14)              \
	ADDQ       $64, R14

// PROD(ws, wa, ya, t): t = int16 pairs of w·y = |w|·sign(y, w).
#define PROD(ws, wa, ya, t) \
	VPSIGNB    ws, ya, t \ // t = y with the sign of w (0 where w = 0)
	VPMADDUBSW t, wa, t    // t[k] = |w|[2k]·t[2k] + |w|[2k+1]·t[2k+1] (no saturation: bounded)

// Frame slots of tileI8AVX2.
#define S_SAVEWQ  savewq-8(SP)    // streaming pointers spilled by the mins epilogue
#define S_SAVEDWQ savedwq-16(SP)
#define S_SAVEYQ  saveyq-24(SP)
#define S_SAVEDYQ savedyq-32(SP)
#define S_NPAIR   npair-40(SP)    // group pairs left
#define S_OFFY    offy-48(SP)     // byte offset of the current pair in y
#define S_OFFD    offd-56(SP)     // … in d and s
#define S_OFFBS   offbs-64(SP)    // … in bs
#define S_OUTP    outp-72(SP)     // this pair's out[2][16]

// func tileI8AVX2(t *i8Tile)
TEXT ·tileI8AVX2(SB), NOSPLIT, $72-8
	MOVQ t+0(FP), tile
	MOVQ T_Q1(tile), dwq
	SUBQ T_Q0(tile), dwq
	MOVQ T_Y1(tile), dyq
	SUBQ T_Y0(tile), dyq
	MOVQ T_SC1(tile), dwsc
	SUBQ T_SC0(tile), dwsc
	MOVQ T_PAIRS(tile), AX
	MOVQ AX, S_NPAIR
	MOVQ $0, S_OFFY
	MOVQ $0, S_OFFD
	MOVQ $0, S_OFFBS
	MOVQ T_OUT(tile), AX
	MOVQ AX, S_OUTP

pair:
	MOVQ    T_Q0(tile), wq
	MOVQ    T_Y0(tile), yq
	ADDQ    S_OFFY, yq
	MOVQ    T_SC0(tile), wsc
	MOVQ    S_OUTP, AX               // out = 0
	VPXOR   Y0, Y0, Y0
	VMOVDQU Y0, 0(AX)
	VMOVDQU Y0, 32(AX)
	VMOVDQU Y0, 64(AX)
	VMOVDQU Y0, 96(AX)
	XORQ    sblk, sblk

superblock:
	CMPQ  sblk, T_NSB(tile)
	JGE   nextpair
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  T_GPB(tile), BX         // groups left in this superblock
	CMPQ  T_SPM(tile), $1
	JNE   group16

group1: // spm = 1: widen every step. Y4, Y5 = scale pairs of rows 0, 1.
	VPBROADCASTD (wsc), Y4
	VPBROADCASTD (wsc)(dwsc*1), Y5
	ADDQ         $4, wsc
	MOVQ         T_CPG(tile), CX   // steps in this group (cpg·spm, spm = 1)
	MOVQ         T_QA(tile), AX
	SUBQ         T_Q0(tile), AX    // AX = |codes| − codes (same row stride)
	LEAQ         (AX)(dwq*1), DX   // DX = AX + row 1 − row 0

step1:
	VPBROADCASTD (wq), Y8          // w0[e:e+4]
	VPBROADCASTD (wq)(dwq*1), Y9   // w1[e:e+4]
	VPBROADCASTD (wq)(AX*1), Y10   // |w0|
	VPBROADCASTD (wq)(DX*1), Y11   // |w1|
	VMOVDQU      (yq), Y12         // y[g0]
	VMOVDQU      (yq)(dyq*1), Y13  // y[g1]
	ADDQ         $4, wq
	ADDQ         $32, yq
	PROD(Y8, Y10, Y12, Y14)
	VPMADDWD Y4, Y14, Y14          // int32: sc0·(pair sums)
	VPADDD   Y14, Y0, Y0           // S1[0][0] += …
	PROD(Y8, Y10, Y13, Y15)
	VPMADDWD Y4, Y15, Y15
	VPADDD   Y15, Y1, Y1           // S1[0][1]
	PROD(Y9, Y11, Y12, Y6)
	VPMADDWD Y5, Y6, Y6
	VPADDD   Y6, Y2, Y2            // S1[1][0]
	PROD(Y9, Y11, Y13, Y7)
	VPMADDWD Y5, Y7, Y7
	VPADDD   Y7, Y3, Y3            // S1[1][1]
	DECQ     CX
	JNZ      step1
	DECQ     BX
	JNZ      group1
	JMP      epilogue

group16: // spm > 1, unsigned codes (0..63): vpmaddubsw takes them directly, no
	// sign trick; sum spm steps in int16 (Y4..Y7), then widen with the group scale.
	MOVQ T_CPG(tile), CX           // int16 partial sums in this group

chunku:
	// first step of the partial sum: P = products (no zeroing, no add)
	VPBROADCASTD (wq), Y8          // w0[e:e+4] (unsigned)
	VPBROADCASTD (wq)(dwq*1), Y9   // w1[e:e+4]
	VMOVDQU      (yq), Y12         // y[g0]
	VMOVDQU      (yq)(dyq*1), Y13  // y[g1]
	ADDQ         $4, wq
	ADDQ         $32, yq
	VPMADDUBSW   Y12, Y8, Y4       // P[0][0] = w0·y0 pairs
	VPMADDUBSW   Y13, Y8, Y5       // P[0][1] = w0·y1
	VPMADDUBSW   Y12, Y9, Y6       // P[1][0] = w1·y0
	VPMADDUBSW   Y13, Y9, Y7       // P[1][1] = w1·y1
	MOVQ         T_SPM(tile), DX
	DECQ         DX                // spm−1 more steps (spm ≥ 2)

stepu:
	VPBROADCASTD (wq), Y8          // w0[e:e+4] (unsigned)
	VPBROADCASTD (wq)(dwq*1), Y9   // w1[e:e+4]
	VMOVDQU      (yq), Y12         // y[g0]
	VMOVDQU      (yq)(dyq*1), Y13  // y[g1]
	ADDQ         $4, wq
	ADDQ         $32, yq
	VPMADDUBSW   Y12, Y8, Y14      // w0·y0 pairs
	VPADDW       Y14, Y4, Y4
	VPMADDUBSW   Y13, Y8, Y15      // w0·y1
	VPADDW       Y15, Y5, Y5
	VPMADDUBSW   Y12, Y9, Y14      // w1·y0
	VPADDW       Y14, Y6, Y6
	VPMADDUBSW   Y13, Y9, Y15      // w1·y1
	VPADDW       Y15, Y7, Y7
	DECQ         DX
	JNZ          stepu
	VPBROADCASTD (wsc), Y14        // (sc0, sc0)
	VPBROADCASTD (wsc)(dwsc*1), Y15 // (sc1, sc1)
	VPMADDWD     Y14, Y4, Y4
	VPADDD       Y4, Y0, Y0
	VPMADDWD     Y14, Y5, Y5
	VPADDD       Y5, Y1, Y1
	VPMADDWD     Y15, Y6, Y6
	VPADDD       Y6, Y2, Y2
	VPMADDWD     Y15, Y7, Y7
	VPADDD       Y7, Y3, Y3
	DECQ         CX
	JNZ          chunku
	ADDQ         $4, wsc
	DECQ         BX
	JNZ          group16

epilogue:
	// Integer corrections first (S2 for mins and K offsets, off·Σy for Q4_0/Q5_0),
	// then acc[r][g] = acc + float32(S1)·(A_r·dy_g) [− float32(S2)·(B_r·dy_g)] [+ B_r·s_g].
	MOVQ T_EPI(tile), BX
	CMPQ BX, $1
	JEQ  sums2
	CMPQ BX, $4
	JEQ  sums2
	CMPQ BX, $5
	JEQ  offy0
	JMP  fmain

sums2:
	// S2[r][g] = Σ_p (m_2p, m_2p+1)·(bsum_2p, bsum_2p+1) into Y4..Y7.
	// SI, DI, R8, R9 are borrowed: save the streaming pointers.
	MOVQ  wq, S_SAVEWQ
	MOVQ  dwq, S_SAVEDWQ
	MOVQ  yq, S_SAVEYQ
	MOVQ  dyq, S_SAVEDYQ
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  sblk, AX
	SHLQ  $5, AX                   // 32b
	MOVQ  T_MIN0(tile), SI
	ADDQ  AX, SI                   // SI = mins0 + 32b
	MOVQ  T_MIN1(tile), DI
	ADDQ  AX, DI                   // DI = mins1 + 32b
	MOVQ  T_BS0(tile), R8
	MOVQ  T_BS1(tile), R9
	SHLQ  $3, AX                   // 256b
	ADDQ  S_OFFBS, AX
	ADDQ  AX, R8                   // bs0 + pair offset + 256b
	ADDQ  AX, R9                   // bs1 + pair offset + 256b
	MOVQ  $8, AX

minpair:
	VPBROADCASTD (SI), Y8          // (m_2p, m_2p+1) of row 0
	VPBROADCASTD (DI), Y9          // of row 1
	VMOVDQU      (R8), Y10         // (bsum_2p, bsum_2p+1) of group 0's lanes
	VMOVDQU      (R9), Y11         // of group 1
	VPMADDWD     Y10, Y8, Y12
	VPADDD       Y12, Y4, Y4
	VPMADDWD     Y11, Y8, Y12
	VPADDD       Y12, Y5, Y5
	VPMADDWD     Y10, Y9, Y12
	VPADDD       Y12, Y6, Y6
	VPMADDWD     Y11, Y9, Y12
	VPADDD       Y12, Y7, Y7
	ADDQ         $4, SI
	ADDQ         $4, DI
	ADDQ         $32, R8
	ADDQ         $32, R9
	DECQ         AX
	JNZ          minpair
	MOVQ         S_SAVEWQ, wq
	MOVQ         S_SAVEDWQ, dwq
	MOVQ         S_SAVEYQ, yq
	MOVQ         S_SAVEDYQ, dyq
	CMPQ         BX, $4            // epiOffK: S1 −= S2 in int32
	JNE          fmain
	VPSUBD       Y4, Y0, Y0
	VPSUBD       Y5, Y1, Y1
	VPSUBD       Y6, Y2, Y2
	VPSUBD       Y7, Y3, Y3
	JMP          fmain

offy0:
	// S1[r][g] −= off·Σy_g (the block sums of the Q8_0 codes)
	MOVQ         sblk, AX
	SHLQ         $5, AX
	ADDQ         S_OFFD, AX        // pair offset + 32b (sy has d's layout)
	VPBROADCASTD T_OFF(tile), Y8   // off
	MOVQ         T_SY0(tile), CX
	VPMULLD      (CX)(AX*1), Y8, Y10 // off·Σy of group 0
	MOVQ         T_SY1(tile), CX
	VPMULLD      (CX)(AX*1), Y8, Y11 // of group 1
	VPSUBD       Y10, Y0, Y0
	VPSUBD       Y11, Y1, Y1
	VPSUBD       Y10, Y2, Y2
	VPSUBD       Y11, Y3, Y3

fmain:
	MOVQ         sblk, AX
	SHLQ         $3, AX            // AX = 8b: byte offset of (A, B) in ab
	MOVQ         sblk, DX
	SHLQ         $5, DX
	ADDQ         S_OFFD, DX        // DX = pair offset + 32b: d[b][0:8] of the pair
	MOVQ         T_AB0(tile), CX
	VBROADCASTSS (CX)(AX*1), Y8    // A0
	MOVQ         T_AB1(tile), CX
	VBROADCASTSS (CX)(AX*1), Y9    // A1
	MOVQ         T_D0(tile), CX
	VMOVUPS      (CX)(DX*1), Y10   // dy of group 0
	MOVQ         T_D1(tile), CX
	VMOVUPS      (CX)(DX*1), Y11   // dy of group 1
	MOVQ         S_OUTP, CX

#define FACC(a, dy, s, off) \
	VMULPS    dy, a, Y12         \ // A·dy
	VCVTDQ2PS s, Y13             \ // float32(S1)
	VMULPS    Y12, Y13, Y13      \
	VADDPS    off(CX), Y13, Y13  \ // acc + …
	VMOVUPS   Y13, off(CX)

	FACC(Y8, Y10, Y0, 0)
	FACC(Y8, Y11, Y1, 32)
	FACC(Y9, Y10, Y2, 64)
	FACC(Y9, Y11, Y3, 96)
	CMPQ         BX, $1
	JEQ          fmins
	CMPQ         BX, $2
	JEQ          legacy
	INCQ         sblk
	JMP          superblock

fmins:
	// acc −= float32(S2)·(B_r·dy_g)
	MOVQ         T_AB0(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y8   // B0
	MOVQ         T_AB1(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y9   // B1

#define FSUB(b, dy, s, off) \
	VMULPS    dy, b, Y12         \ // B·dy
	VCVTDQ2PS s, Y13             \
	VMULPS    Y12, Y13, Y13      \
	VMOVUPS   off(CX), Y14       \
	VSUBPS    Y13, Y14, Y14      \ // acc − …
	VMOVUPS   Y14, off(CX)

	FSUB(Y8, Y10, Y4, 0)
	FSUB(Y8, Y11, Y5, 32)
	FSUB(Y9, Y10, Y6, 64)
	FSUB(Y9, Y11, Y7, 96)
	INCQ         sblk
	JMP          superblock

legacy:
	// acc += B_r·s_g
	MOVQ         T_AB0(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y8   // B0
	MOVQ         T_AB1(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y9   // B1
	MOVQ         T_S0(tile), BX
	VMOVUPS      (BX)(DX*1), Y10   // s of group 0
	MOVQ         T_S1(tile), BX
	VMOVUPS      (BX)(DX*1), Y11   // s of group 1
	VMULPS       Y10, Y8, Y12
	VADDPS       0(CX), Y12, Y12
	VMOVUPS      Y12, 0(CX)
	VMULPS       Y11, Y8, Y12
	VADDPS       32(CX), Y12, Y12
	VMOVUPS      Y12, 32(CX)
	VMULPS       Y10, Y9, Y12
	VADDPS       64(CX), Y12, Y12
	VMOVUPS      Y12, 64(CX)
	VMULPS       Y11, Y9, Y12
	VADDPS       96(CX), Y12, Y12
	VMOVUPS      Y12, 96(CX)
	INCQ         sblk
	JMP          superblock

nextpair:
	MOVQ T_YSTR(tile), AX
	ADDQ AX, S_OFFY
	MOVQ T_DSTR(tile), AX
	ADDQ AX, S_OFFD
	MOVQ T_BSTR(tile), AX
	ADDQ AX, S_OFFBS
	ADDQ $128, S_OUTP
	DECQ S_NPAIR
	JNZ  pair
	VZEROUPPER
	RET

// func tileI8VNNI(t *i8Tile)
// tileI8AVX2 with the group sums done by vpdpbusd (AVX512-VNNI on ymm
// registers): exact int32 sums of u8·s8 products per group, then times the
// group scale; the epilogue is tileI8AVX2's.
TEXT ·tileI8VNNI(SB), NOSPLIT, $72-8
	MOVQ t+0(FP), tile
	MOVQ T_PF(tile), R14           // walks the prefetch range (IPF)
	MOVQ T_Q1(tile), dwq
	SUBQ T_Q0(tile), dwq
	MOVQ T_Y1(tile), dyq
	SUBQ T_Y0(tile), dyq
	MOVQ T_SC1(tile), dwsc
	SUBQ T_SC0(tile), dwsc
	MOVQ T_PAIRS(tile), AX
	MOVQ AX, S_NPAIR
	MOVQ $0, S_OFFY
	MOVQ $0, S_OFFD
	MOVQ $0, S_OFFBS
	MOVQ T_OUT(tile), AX
	MOVQ AX, S_OUTP
	CMPQ T_GPB(tile), $1
	JNE  pair
	CMPQ T_EPI(tile), $5           // epiOff0
	JEQ  lprologue
	CMPQ T_EPI(tile), $0           // epiPlain
	JEQ  lprologue

pair:
	MOVQ    T_Q0(tile), wq
	MOVQ    T_Y0(tile), yq
	ADDQ    S_OFFY, yq
	MOVQ    T_SC0(tile), wsc
	MOVQ    S_OUTP, AX               // out = 0
	VPXOR   Y0, Y0, Y0
	VMOVDQU Y0, 0(AX)
	VMOVDQU Y0, 32(AX)
	VMOVDQU Y0, 64(AX)
	VMOVDQU Y0, 96(AX)
	XORQ    sblk, sblk

superblock:
	CMPQ  sblk, T_NSB(tile)
	JGE   nextpair
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  T_GPB(tile), BX         // groups left in this superblock
	CMPQ  T_SPM(tile), $1
	JNE   group16

group1: // spm = 1 (Q8_0, signed codes): w XOR 0x80 is w + 128 as an unsigned
	// byte, so vpdpbusd sums (w + 128)·y exactly and the epilogue subtracts
	// 128·Σy (one group of scale 1 per block: TestKindBounds). Two steps at a
	// time into two accumulator sets (Y16..Y19, Y20..Y23) to hide the latency.
	MOVQ         T_CPG(tile), CX
	SHRQ         $1, CX            // step pairs in this group (cpg even: TestKindBounds)
	VPBROADCASTD c128b<>(SB), Y4   // (a legacy-SSE MOVD here cost 8×: SSE/AVX mixing)
	VPXORD       Y16, Y16, Y16
	VPXORD       Y17, Y17, Y17
	VPXORD       Y18, Y18, Y18
	VPXORD       Y19, Y19, Y19
	VPXORD       Y20, Y20, Y20
	VPXORD       Y21, Y21, Y21
	VPXORD       Y22, Y22, Y22
	VPXORD       Y23, Y23, Y23

vstep1:
	VPBROADCASTD (wq), Y8          // w0[e:e+4]
	VPXOR        Y4, Y8, Y8        // + 128
	VPBROADCASTD (wq)(dwq*1), Y9   // w1[e:e+4]
	VPXOR        Y4, Y9, Y9
	VMOVDQU      (yq), Y12         // y[g0]
	VMOVDQU      (yq)(dyq*1), Y13  // y[g1]
	VPBROADCASTD 4(wq), Y10        // next step
	VPXOR        Y4, Y10, Y10
	VPBROADCASTD 4(wq)(dwq*1), Y11
	VPXOR        Y4, Y11, Y11
	VMOVDQU      32(yq), Y14
	VMOVDQU      32(yq)(dyq*1), Y15
	ADDQ         $8, wq
	ADDQ         $64, yq
	VPDPBUSD     Y12, Y8, Y16
	VPDPBUSD     Y13, Y8, Y17
	VPDPBUSD     Y12, Y9, Y18
	VPDPBUSD     Y13, Y9, Y19
	VPDPBUSD     Y14, Y10, Y20
	VPDPBUSD     Y15, Y10, Y21
	VPDPBUSD     Y14, Y11, Y22
	VPDPBUSD     Y15, Y11, Y23
	DECQ         CX
	JNZ          vstep1
	JMP          vscale

group16: // unsigned codes: vpdpbusd takes them directly; two steps at a time
	// into two accumulator sets, as group1.
	MOVQ   T_CPG(tile), CX
	IMULQ  T_SPM(tile), CX
	SHRQ   $1, CX                  // step pairs in this group: gs/8
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	VPXORD Y20, Y20, Y20
	VPXORD Y21, Y21, Y21
	VPXORD Y22, Y22, Y22
	VPXORD Y23, Y23, Y23

vstepu:
	VPBROADCASTD (wq), Y8          // w0[e:e+4] (unsigned)
	VPBROADCASTD (wq)(dwq*1), Y9   // w1[e:e+4]
	VMOVDQU      (yq), Y12         // y[g0]
	VMOVDQU      (yq)(dyq*1), Y13  // y[g1]
	VPBROADCASTD 4(wq), Y10        // w0[e+4:e+8]
	VPBROADCASTD 4(wq)(dwq*1), Y11 // w1[e+4:e+8]
	VMOVDQU      32(yq), Y14
	VMOVDQU      32(yq)(dyq*1), Y15
	ADDQ         $8, wq
	ADDQ         $64, yq
	VPDPBUSD     Y12, Y8, Y16      // [0][0] += w0·y0
	VPDPBUSD     Y13, Y8, Y17      // [0][1]
	VPDPBUSD     Y12, Y9, Y18      // [1][0]
	VPDPBUSD     Y13, Y9, Y19      // [1][1]
	VPDPBUSD     Y14, Y10, Y20
	VPDPBUSD     Y15, Y10, Y21
	VPDPBUSD     Y14, Y11, Y22
	VPDPBUSD     Y15, Y11, Y23
	DECQ         CX
	JNZ          vstepu

vscale: // S1[r][g] += sc_r·(group sum), then the next group
	IPF(vpfdone)
vpfdone:
	VPADDD       Y20, Y16, Y16
	VPADDD       Y21, Y17, Y17
	VPADDD       Y22, Y18, Y18
	VPADDD       Y23, Y19, Y19
	VPBROADCASTD (wsc), Y14        // (sc0, sc0) int16 pair
	VPSRAD       $16, Y14, Y14     // sc0 as int32
	VPBROADCASTD (wsc)(dwsc*1), Y15
	VPSRAD       $16, Y15, Y15
	ADDQ         $4, wsc
	VPMULLD      Y14, Y16, Y16
	VPADDD       Y16, Y0, Y0
	VPMULLD      Y14, Y17, Y17
	VPADDD       Y17, Y1, Y1
	VPMULLD      Y15, Y18, Y18
	VPADDD       Y18, Y2, Y2
	VPMULLD      Y15, Y19, Y19
	VPADDD       Y19, Y3, Y3
	DECQ         BX
	JZ           epilogue
	CMPQ         T_SPM(tile), $1
	JEQ          group1
	JMP          group16

epilogue:
	CMPQ         T_SPM(tile), $1
	JNE          epidispatch
	// Q8_0: S1[r][g] −= 128·Σy_g (the block sums of the Q8_0 codes)
	MOVQ         sblk, AX
	SHLQ         $5, AX
	ADDQ         S_OFFD, AX        // pair offset + 32b (sy has d's layout)
	MOVQ         T_SY0(tile), CX
	VMOVDQU      (CX)(AX*1), Y10
	VPSLLD       $7, Y10, Y10
	MOVQ         T_SY1(tile), CX
	VMOVDQU      (CX)(AX*1), Y11
	VPSLLD       $7, Y11, Y11
	VPSUBD       Y10, Y0, Y0
	VPSUBD       Y11, Y1, Y1
	VPSUBD       Y10, Y2, Y2
	VPSUBD       Y11, Y3, Y3

epidispatch:
	// Integer corrections first (S2 for mins and K offsets, off·Σy for Q4_0/Q5_0),
	// then acc[r][g] = acc + float32(S1)·(A_r·dy_g) [− float32(S2)·(B_r·dy_g)] [+ B_r·s_g].
	MOVQ T_EPI(tile), BX
	CMPQ BX, $1
	JEQ  sums2
	CMPQ BX, $4
	JEQ  sums2
	CMPQ BX, $5
	JEQ  offy0
	JMP  fmain

sums2:
	// S2[r][g] = Σ_p (m_2p, m_2p+1)·(bsum_2p, bsum_2p+1) into Y4..Y7.
	// SI, DI, R8, R9 are borrowed: save the streaming pointers.
	MOVQ  wq, S_SAVEWQ
	MOVQ  dwq, S_SAVEDWQ
	MOVQ  yq, S_SAVEYQ
	MOVQ  dyq, S_SAVEDYQ
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  sblk, AX
	SHLQ  $5, AX                   // 32b
	MOVQ  T_MIN0(tile), SI
	ADDQ  AX, SI                   // SI = mins0 + 32b
	MOVQ  T_MIN1(tile), DI
	ADDQ  AX, DI                   // DI = mins1 + 32b
	MOVQ  T_BS0(tile), R8
	MOVQ  T_BS1(tile), R9
	SHLQ  $3, AX                   // 256b
	ADDQ  S_OFFBS, AX
	ADDQ  AX, R8                   // bs0 + pair offset + 256b
	ADDQ  AX, R9                   // bs1 + pair offset + 256b
	MOVQ  $8, AX

minpair:
	VPBROADCASTD (SI), Y8          // (m_2p, m_2p+1) of row 0
	VPBROADCASTD (DI), Y9          // of row 1
	VMOVDQU      (R8), Y10         // (bsum_2p, bsum_2p+1) of group 0's lanes
	VMOVDQU      (R9), Y11         // of group 1
	VPMADDWD     Y10, Y8, Y12
	VPADDD       Y12, Y4, Y4
	VPMADDWD     Y11, Y8, Y12
	VPADDD       Y12, Y5, Y5
	VPMADDWD     Y10, Y9, Y12
	VPADDD       Y12, Y6, Y6
	VPMADDWD     Y11, Y9, Y12
	VPADDD       Y12, Y7, Y7
	ADDQ         $4, SI
	ADDQ         $4, DI
	ADDQ         $32, R8
	ADDQ         $32, R9
	DECQ         AX
	JNZ          minpair
	MOVQ         S_SAVEWQ, wq
	MOVQ         S_SAVEDWQ, dwq
	MOVQ         S_SAVEYQ, yq
	MOVQ         S_SAVEDYQ, dyq
	CMPQ         BX, $4            // epiOffK: S1 −= S2 in int32
	JNE          fmain
	VPSUBD       Y4, Y0, Y0
	VPSUBD       Y5, Y1, Y1
	VPSUBD       Y6, Y2, Y2
	VPSUBD       Y7, Y3, Y3
	JMP          fmain

offy0:
	// S1[r][g] −= off·Σy_g (the block sums of the Q8_0 codes)
	MOVQ         sblk, AX
	SHLQ         $5, AX
	ADDQ         S_OFFD, AX        // pair offset + 32b (sy has d's layout)
	VPBROADCASTD T_OFF(tile), Y8   // off
	MOVQ         T_SY0(tile), CX
	VPMULLD      (CX)(AX*1), Y8, Y10 // off·Σy of group 0
	MOVQ         T_SY1(tile), CX
	VPMULLD      (CX)(AX*1), Y8, Y11 // of group 1
	VPSUBD       Y10, Y0, Y0
	VPSUBD       Y11, Y1, Y1
	VPSUBD       Y10, Y2, Y2
	VPSUBD       Y11, Y3, Y3

fmain:
	MOVQ         sblk, AX
	SHLQ         $3, AX            // AX = 8b: byte offset of (A, B) in ab
	MOVQ         sblk, DX
	SHLQ         $5, DX
	ADDQ         S_OFFD, DX        // DX = pair offset + 32b: d[b][0:8] of the pair
	MOVQ         T_AB0(tile), CX
	VBROADCASTSS (CX)(AX*1), Y8    // A0
	MOVQ         T_AB1(tile), CX
	VBROADCASTSS (CX)(AX*1), Y9    // A1
	MOVQ         T_D0(tile), CX
	VMOVUPS      (CX)(DX*1), Y10   // dy of group 0
	MOVQ         T_D1(tile), CX
	VMOVUPS      (CX)(DX*1), Y11   // dy of group 1
	MOVQ         S_OUTP, CX


	FACC(Y8, Y10, Y0, 0)
	FACC(Y8, Y11, Y1, 32)
	FACC(Y9, Y10, Y2, 64)
	FACC(Y9, Y11, Y3, 96)
	CMPQ         BX, $1
	JEQ          fmins
	CMPQ         BX, $2
	JEQ          legacy
	INCQ         sblk
	JMP          superblock

fmins:
	// acc −= float32(S2)·(B_r·dy_g)
	MOVQ         T_AB0(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y8   // B0
	MOVQ         T_AB1(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y9   // B1


	FSUB(Y8, Y10, Y4, 0)
	FSUB(Y8, Y11, Y5, 32)
	FSUB(Y9, Y10, Y6, 64)
	FSUB(Y9, Y11, Y7, 96)
	INCQ         sblk
	JMP          superblock

legacy:
	// acc += B_r·s_g
	MOVQ         T_AB0(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y8   // B0
	MOVQ         T_AB1(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y9   // B1
	MOVQ         T_S0(tile), BX
	VMOVUPS      (BX)(DX*1), Y10   // s of group 0
	MOVQ         T_S1(tile), BX
	VMOVUPS      (BX)(DX*1), Y11   // s of group 1
	VMULPS       Y10, Y8, Y12
	VADDPS       0(CX), Y12, Y12
	VMOVUPS      Y12, 0(CX)
	VMULPS       Y11, Y8, Y12
	VADDPS       32(CX), Y12, Y12
	VMOVUPS      Y12, 32(CX)
	VMULPS       Y10, Y9, Y12
	VADDPS       64(CX), Y12, Y12
	VMOVUPS      Y12, 64(CX)
	VMULPS       Y11, Y9, Y12
	VADDPS       96(CX), Y12, Y12
	VMOVUPS      Y12, 96(CX)
	INCQ         sblk
	JMP          superblock

nextpair:
	MOVQ T_YSTR(tile), AX
	ADDQ AX, S_OFFY
	MOVQ T_DSTR(tile), AX
	ADDQ AX, S_OFFD
	MOVQ T_BSTR(tile), AX
	ADDQ AX, S_OFFBS
	ADDQ $128, S_OUTP
	DECQ S_NPAIR
	JNZ  pair
	VZEROUPPER
	RET

// The one-group kinds Q4_0, Q5_0 (epiOff0) and Q8_0 (epiPlain) in their own
// loop of tileI8VNNI: their group scale is 1 (TestKindBounds) and every
// superblock is one 32-element block, so the general loop's per-group
// scale multiply, its superblock bookkeeping in the tile struct and its
// accumulators in memory cost more than the block's 32 vpdpbusd. Here the
// four step pairs of a block are unrolled, the pointers and the float
// accumulators stay in registers, and the integer result is the same:
// S1 = Σ u·y − c·Σy with u = q (offset c = off) or u = q XOR 0x80 = q + 128
// (c = 128), c a power of two, then acc = acc + float32(S1)·(A·dy) in
// tileI8Generic's operations and order.
//
// Registers: wq, dwq, yq, dyq as in the general loop; R10 = A of row 0
// (ab, 8 bytes a block), R11 = row 1's ab − row 0's; R12 = dy of group 0
// (32 bytes a block), DX = group 1's d − group 0's, BX and CX = Σy of
// groups 0 and 1 − d of group 0; AX = blocks left; Y24..Y27 = acc for
// (row, group) = (0,0) (0,1) (1,0) (1,1); Y28 = 0x80 bytes; X29 = log2 c.

// LSTEP(o, yo, w0, w1, a0, a1, a2, a3): one 4-element step of both rows and
// groups at code offset o and activation offset yo into a0..a3.
#define LSTEP(o, yo, w0, w1, a0, a1, a2, a3) \
	VPBROADCASTD o(wq), w0          \
	VPBROADCASTD o(wq)(dwq*1), w1   \
	VMOVDQU      yo(yq), Y12        \
	VMOVDQU      yo(yq)(dyq*1), Y13 \
	VPDPBUSD     Y12, w0, a0        \
	VPDPBUSD     Y13, w0, a1        \
	VPDPBUSD     Y12, w1, a2        \
	VPDPBUSD     Y13, w1, a3

// LSTEPX is LSTEP for signed codes: u = q XOR 0x80.
#define LSTEPX(o, yo, w0, w1, a0, a1, a2, a3) \
	VPBROADCASTD o(wq), w0          \
	VPXORD       Y28, w0, w0        \
	VPBROADCASTD o(wq)(dwq*1), w1   \
	VPXORD       Y28, w1, w1        \
	VMOVDQU      yo(yq), Y12        \
	VMOVDQU      yo(yq)(dyq*1), Y13 \
	VPDPBUSD     Y12, w0, a0        \
	VPDPBUSD     Y13, w0, a1        \
	VPDPBUSD     Y12, w1, a2        \
	VPDPBUSD     Y13, w1, a3

// LBLOCK(step): the eight steps of one block into two accumulator sets
// (Y16..Y19, Y20..Y23), alternating, so that each chain waits less.
#define LBLOCK(step) \
	VPXORD Y16, Y16, Y16 \
	VPXORD Y17, Y17, Y17 \
	VPXORD Y18, Y18, Y18 \
	VPXORD Y19, Y19, Y19 \
	VPXORD Y20, Y20, Y20 \
	VPXORD Y21, Y21, Y21 \
	VPXORD Y22, Y22, Y22 \
	VPXORD Y23, Y23, Y23 \
	step(0, 0, Y8, Y9, Y16, Y17, Y18, Y19)       \
	step(4, 32, Y10, Y11, Y20, Y21, Y22, Y23)    \
	step(8, 64, Y8, Y9, Y16, Y17, Y18, Y19)      \
	step(12, 96, Y10, Y11, Y20, Y21, Y22, Y23)   \
	step(16, 128, Y8, Y9, Y16, Y17, Y18, Y19)    \
	step(20, 160, Y10, Y11, Y20, Y21, Y22, Y23)  \
	step(24, 192, Y8, Y9, Y16, Y17, Y18, Y19)    \
	step(28, 224, Y10, Y11, Y20, Y21, Y22, Y23)  \
	ADDQ $32, wq                                 \
	ADDQ $256, yq

// LFACC(a, dy, s, acc): acc = acc + float32(s)·(a·dy), FACC's operations
// and operand order with acc in a register.
#define LFACC(a, dy, s, acc) \
	VMULPS    dy, a, Y12 \
	VCVTDQ2PS s, Y13     \
	VMULPS    Y12, Y13, Y13 \
	VADDPS    acc, Y13, acc

// LEPI: S1 = sums − c·Σy, then the float steps; next block.
#define LEPI \
	VPADDD       Y20, Y16, Y16      \
	VPADDD       Y21, Y17, Y17      \
	VPADDD       Y22, Y18, Y18      \
	VPADDD       Y23, Y19, Y19      \
	VMOVDQU      (R12)(BX*1), Y10   \ // Σy of group 0
	VMOVDQU      (R12)(CX*1), Y11   \ // of group 1
	VPSLLD       X29, Y10, Y10      \
	VPSLLD       X29, Y11, Y11      \
	VPSUBD       Y10, Y16, Y16      \
	VPSUBD       Y11, Y17, Y17      \
	VPSUBD       Y10, Y18, Y18      \
	VPSUBD       Y11, Y19, Y19      \
	VBROADCASTSS (R10), Y8          \ // A0
	VBROADCASTSS (R10)(R11*1), Y9   \ // A1
	VMOVUPS      (R12), Y10         \ // dy of group 0
	VMOVUPS      (R12)(DX*1), Y11   \ // of group 1
	LFACC(Y8, Y10, Y16, Y24)        \
	LFACC(Y8, Y11, Y17, Y25)        \
	LFACC(Y9, Y10, Y18, Y26)        \
	LFACC(Y9, Y11, Y19, Y27)        \
	ADDQ         $8, R10            \
	ADDQ         $32, R12

lprologue:
	MOVQ         $7, AX            // c = 128 for signed codes
	CMPQ         T_SPM(tile), $1
	JEQ          lshift
	BSFQ         T_OFF(tile), AX   // c = off (8 or 16)

lshift:
	VMOVQ        AX, X29
	VPBROADCASTD c128b<>(SB), Y28
	MOVQ         T_AB1(tile), R11
	SUBQ         T_AB0(tile), R11
	MOVQ         T_D1(tile), DX
	SUBQ         T_D0(tile), DX
	MOVQ         T_SY0(tile), BX
	SUBQ         T_D0(tile), BX
	MOVQ         T_SY1(tile), CX
	SUBQ         T_D0(tile), CX

lpair:
	MOVQ    T_Q0(tile), wq
	MOVQ    T_Y0(tile), yq
	ADDQ    S_OFFY, yq
	MOVQ    T_AB0(tile), R10
	MOVQ    T_D0(tile), R12
	ADDQ    S_OFFD, R12
	VPXORD  Y24, Y24, Y24
	VPXORD  Y25, Y25, Y25
	VPXORD  Y26, Y26, Y26
	VPXORD  Y27, Y27, Y27
	MOVQ    T_NSB(tile), AX
	TESTQ   AX, AX
	JZ      lstore
	CMPQ    T_SPM(tile), $1
	JEQ     lsigned

lunsigned:
	IPF(lpfu)
lpfu:
	LBLOCK(LSTEP)
	LEPI
	DECQ AX
	JNZ  lunsigned
	JMP  lstore

lsigned:
	IPF(lpfs)
lpfs:
	LBLOCK(LSTEPX)
	LEPI
	DECQ AX
	JNZ  lsigned

lstore:
	MOVQ    S_OUTP, AX
	VMOVUPS Y24, 0(AX)
	VMOVUPS Y25, 32(AX)
	VMOVUPS Y26, 64(AX)
	VMOVUPS Y27, 96(AX)
	ADDQ    $128, S_OUTP
	MOVQ    T_YSTR(tile), AX
	ADDQ    AX, S_OFFY
	MOVQ    T_DSTR(tile), AX
	ADDQ    AX, S_OFFD
	DECQ    S_NPAIR
	JNZ     lpair
	VZEROUPPER
	RET


// Field offsets of fTile (checked by TestTileLayout).
#define F_W0   0
#define F_W0N  8
#define F_W1   24
#define F_X0   48
#define F_X1   72
#define F_OUT  96
#define F_PAIRS 120
#define F_XSTR 128
#define F_FMA  136
#define F_PF   144
#define F_PFEND 152

// FMAC(w, x, acc): acc += w·x, the product rounded first (no FMA), as tileF32Generic.
#define FMAC(w, x, tmp, acc) \
	VMULPS w, x, tmp \
	VADDPS tmp, acc, acc

// FUSED(w, x, acc): acc += w·x in one rounding, the same when w·x is exact.
// The operands are in FMAC's order (acc, then x, then w), so that a NaN
// operand propagates as there.
#define FUSED(w, x, acc) \
	VFMADD231PS w, x, acc

// FPF(skip): every fourth step pair, ask for the next line of
// [BX, pfEnd), if any (aheadRange). (Every other one was 5% slower at 64
// tokens, every eighth 3%.)
#define FPF(skip) \
	TESTQ      $6, CX            \
	JNE        skip              \
	CMPQ       BX, F_PFEND(AX)   \
	JAE        skip              \
	PREFETCHT1 (BX)              \
	ADDQ       $64, BX

// func tileF32AVX2(t *fTile)
// BX walks the prefetch range.
TEXT ·tileF32AVX2(SB), NOSPLIT, $0-8
	MOVQ t+0(FP), AX
	MOVQ F_PF(AX), BX
	MOVQ F_W1(AX), R8
	SUBQ F_W0(AX), R8              // R8 = w1 − w0
	MOVQ F_X1(AX), R9
	SUBQ F_X0(AX), R9              // R9 = x1 − x0
	MOVQ F_OUT(AX), DX             // out of this pair
	MOVQ F_PAIRS(AX), R10          // pairs left
	MOVQ F_X0(AX), R11             // x0 of this pair

fnext:
	MOVQ   F_W0(AX), SI            // w0
	MOVQ   R11, DI                 // x0 (element e of 8 lanes at 32e)
	MOVQ   F_W0N(AX), CX           // cols
	VXORPS Y0, Y0, Y0              // r0 g0 even
	VXORPS Y1, Y1, Y1              // r0 g0 odd
	VXORPS Y2, Y2, Y2              // r0 g1 even
	VXORPS Y3, Y3, Y3              // r0 g1 odd
	VXORPS Y4, Y4, Y4              // r1 g0 even
	VXORPS Y5, Y5, Y5              // r1 g0 odd
	VXORPS Y6, Y6, Y6              // r1 g1 even
	VXORPS Y7, Y7, Y7              // r1 g1 odd
	SUBQ   $2, CX
	JL     ftail
	CMPB   F_FMA(AX), $0
	JNE    ffused

fpair:
	FPF(fpair1)

fpair1:
	VMOVUPS      (DI), Y8          // x[g0][e]
	VMOVUPS      32(DI), Y9        // x[g0][e+1]
	VMOVUPS      (DI)(R9*1), Y10   // x[g1][e]
	VMOVUPS      32(DI)(R9*1), Y11 // x[g1][e+1]
	VBROADCASTSS (SI), Y12         // w0[e]
	VBROADCASTSS 4(SI), Y13        // w0[e+1]
	FMAC(Y12, Y8, Y14, Y0)
	FMAC(Y13, Y9, Y15, Y1)
	FMAC(Y12, Y10, Y14, Y2)
	FMAC(Y13, Y11, Y15, Y3)
	VBROADCASTSS (SI)(R8*1), Y12   // w1[e]
	VBROADCASTSS 4(SI)(R8*1), Y13  // w1[e+1]
	FMAC(Y12, Y8, Y14, Y4)
	FMAC(Y13, Y9, Y15, Y5)
	FMAC(Y12, Y10, Y14, Y6)
	FMAC(Y13, Y11, Y15, Y7)
	ADDQ         $8, SI
	ADDQ         $64, DI
	SUBQ         $2, CX
	JGE          fpair
	JMP          ftail

ffused:                                // fpair with FUSED
	FPF(ffused1)

ffused1:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VMOVUPS      (DI)(R9*1), Y10
	VMOVUPS      32(DI)(R9*1), Y11
	VBROADCASTSS (SI), Y12
	VBROADCASTSS 4(SI), Y13
	FUSED(Y12, Y8, Y0)
	FUSED(Y13, Y9, Y1)
	FUSED(Y12, Y10, Y2)
	FUSED(Y13, Y11, Y3)
	VBROADCASTSS (SI)(R8*1), Y12
	VBROADCASTSS 4(SI)(R8*1), Y13
	FUSED(Y12, Y8, Y4)
	FUSED(Y13, Y9, Y5)
	FUSED(Y12, Y10, Y6)
	FUSED(Y13, Y11, Y7)
	ADDQ         $8, SI
	ADDQ         $64, DI
	SUBQ         $2, CX
	JGE          ffused

ftail:
	CMPQ         CX, $-1           // one element left (odd cols): it goes to even
	JNE          fsum
	VMOVUPS      (DI), Y8
	VMOVUPS      (DI)(R9*1), Y10
	VBROADCASTSS (SI), Y12
	VBROADCASTSS (SI)(R8*1), Y13
	CMPB         F_FMA(AX), $0
	JNE          ftailfused
	FMAC(Y12, Y8, Y14, Y0)
	FMAC(Y12, Y10, Y14, Y2)
	FMAC(Y13, Y8, Y14, Y4)
	FMAC(Y13, Y10, Y14, Y6)
	JMP          fsum

ftailfused:
	FUSED(Y12, Y8, Y0)
	FUSED(Y12, Y10, Y2)
	FUSED(Y13, Y8, Y4)
	FUSED(Y13, Y10, Y6)

fsum:
	VADDPS  Y1, Y0, Y0             // even + odd
	VADDPS  Y3, Y2, Y2
	VADDPS  Y5, Y4, Y4
	VADDPS  Y7, Y6, Y6
	VMOVUPS Y0, 0(DX)              // out[0][0:8]
	VMOVUPS Y2, 32(DX)             // out[0][8:16]
	VMOVUPS Y4, 64(DX)             // out[1][0:8]
	VMOVUPS Y6, 96(DX)             // out[1][8:16]
	ADDQ    $128, DX
	ADDQ    F_XSTR(AX), R11
	DECQ    R10
	JNZ     fnext
	VZEROUPPER
	RET

// func dot16AVX2(a, b []float32, p *[16]float32)
TEXT ·dot16AVX2(SB), NOSPLIT, $0-56
	MOVQ    a_base+0(FP), SI
	MOVQ    a_len+8(FP), CX
	MOVQ    b_base+24(FP), DI
	MOVQ    p+48(FP), DX
	VMOVUPS 0(DX), Y0              // p[0:8]
	VMOVUPS 32(DX), Y1             // p[8:16]
	SHRQ    $4, CX                 // chunks of 16

dotloop:
	VMOVUPS (SI), Y2
	VMULPS  (DI), Y2, Y2           // a[i:i+8]·b[i:i+8]
	VADDPS  Y2, Y0, Y0             // p[0:8] += …
	VMOVUPS 32(SI), Y3
	VMULPS  32(DI), Y3, Y3
	VADDPS  Y3, Y1, Y1             // p[8:16] += …
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     dotloop
	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VZEROUPPER
	RET

// func axpy8AVX2(alpha float32, x, y []float32)
TEXT ·axpy8AVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	SHRQ         $3, CX

axpyloop:
	VMULPS  (SI), Y0, Y1           // alpha·x[i:i+8]
	VADDPS  (DI), Y1, Y1           // y + …
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     axpyloop
	VZEROUPPER
	RET

// func scatter16AVX512(y, out *float32, nr, rows, dg int, mask uint16)
TEXT ·scatter16AVX512(SB), NOSPLIT, $0-42
	MOVQ         y+0(FP), DI
	MOVQ         out+8(FP), DX
	MOVQ         nr+16(FP), CX
	MOVWLZX      mask+40(FP), AX
	KMOVW        AX, K2
	VPMOVZXBD    scatterLanes<>(SB), Z1  // 0..7, 0..7
	MOVQ         dg+32(FP), AX
	SHLQ         $3, AX
	VPBROADCASTD AX, Z3
	MOVW         $0xff00, AX
	KMOVW        AX, K3
	VPADDD       Z3, Z1, K3, Z1          // 8·dg + l in the upper half
	MOVQ         rows+24(FP), AX
	VPBROADCASTD AX, Z3
	VPMULLD      Z3, Z1, Z1              // idx

scatterloop:
	KMOVW       K2, K1              // the scatter clears its mask
	VMOVUPS     (DX), Z0            // out[r][0:16]
	VSCATTERDPS Z0, K1, (DI)(Z1*4)  // y[idx[l] + r]
	ADDQ        $4, DI
	ADDQ        $64, DX
	DECQ        CX
	JNZ         scatterloop
	VZEROUPPER
	RET

// TSTORE(w, l, skip): store vector l's nr outputs (w, masked by K1) at
// y + l·R8 (DI for l < 8, R9 for the second group), unless bit l of BX
// is clear.
#define TSTORE(w, l, base, skip) \
	BTL      $l, BX         \
	JCC      skip           \
	IMUL3Q   $l, R8, AX     \
	ADDQ     base, AX       \
	VMOVUPS  w, K1, (AX)

// TBLOCKS(t): the four vectors 4j+t, j < 4, from U_t, U_4+t, U_8+t and
// U_12+t (rows 0–15): a 4×4 transpose of 128-bit blocks, into Z20..Z23
// (j = 0..3).
#define TBLOCKS(ut, u4t, u8t, u12t) \
	VSHUFF32X4 $0x44, u4t, ut, Z16   \ // ut.b0 ut.b1 u4t.b0 u4t.b1
	VSHUFF32X4 $0xEE, u4t, ut, Z17   \ // ut.b2 ut.b3 u4t.b2 u4t.b3
	VSHUFF32X4 $0x44, u12t, u8t, Z18 \ // u8t.b0 u8t.b1 u12t.b0 u12t.b1
	VSHUFF32X4 $0xEE, u12t, u8t, Z19 \ // u8t.b2 u8t.b3 u12t.b2 u12t.b3
	VSHUFF32X4 $0x88, Z18, Z16, Z20  \ // block 0 of each: vector t
	VSHUFF32X4 $0xDD, Z18, Z16, Z21  \ // block 1: vector 4+t
	VSHUFF32X4 $0x88, Z19, Z17, Z22  \ // block 2: vector 8+t
	VSHUFF32X4 $0xDD, Z19, Z17, Z23    // block 3: vector 12+t

// func transpose16AVX512(y, out *float32, nr, rows, dg int, mask uint16)
// scatterRows for the wide tiles: out[r][0:16] for r < nr ≤ 16 transposed
// in registers, so that each of the 16 vectors gets its nr outputs with
// one masked store instead of nr scattered ones. out holds at least 12
// rows (the wide float tile's; rows from nr on are stale, never stored),
// 16 when nr > 12 (the matrix integer tile's). Vector l < 8 goes to
// y + l·rows, l ≥ 8 to y + (8·dg + l − 8)·rows (elements); bit l of mask
// says whether to store.
TEXT ·transpose16AVX512(SB), NOSPLIT, $0-42
	MOVQ    y+0(FP), DI
	MOVQ    out+8(FP), DX
	MOVQ    nr+16(FP), CX
	MOVQ    rows+24(FP), R8
	SHLQ    $2, R8                // bytes between two vectors' rows of y
	MOVQ    dg+32(FP), R9
	SUBQ    $1, R9
	IMULQ   R8, R9
	SHLQ    $3, R9
	ADDQ    DI, R9                // R9 + l·R8 = y + (8·dg + l − 8)·rows·4
	MOVWLZX mask+40(FP), BX
	MOVL    $1, AX
	SHLL    CX, AX
	SUBL    $1, AX
	KMOVW   AX, K1                // the nr rows
	VMOVUPS 0(DX), Z0
	VMOVUPS 64(DX), Z1
	VMOVUPS 128(DX), Z2
	VMOVUPS 192(DX), Z3
	VMOVUPS 256(DX), Z4
	VMOVUPS 320(DX), Z5
	VMOVUPS 384(DX), Z6
	VMOVUPS 448(DX), Z7
	VMOVUPS 512(DX), Z8
	VMOVUPS 576(DX), Z9
	VMOVUPS 640(DX), Z10
	VMOVUPS 704(DX), Z11
	CMPQ    CX, $12
	JGT     rows16
	VPXORD  Z12, Z12, Z12
	VPXORD  Z13, Z13, Z13
	VPXORD  Z14, Z14, Z14
	VPXORD  Z15, Z15, Z15
	JMP     loaded
rows16:
	VMOVUPS 768(DX), Z12
	VMOVUPS 832(DX), Z13
	VMOVUPS 896(DX), Z14
	VMOVUPS 960(DX), Z15
loaded:
	// 32-bit interleave of row pairs: per 128-bit block (vectors 4j..4j+3),
	// T = [a0 b0 a1 b1], T' = [a2 b2 a3 b3].
	VUNPCKLPS Z1, Z0, Z16
	VUNPCKHPS Z1, Z0, Z17
	VUNPCKLPS Z3, Z2, Z18
	VUNPCKHPS Z3, Z2, Z19
	VUNPCKLPS Z5, Z4, Z20
	VUNPCKHPS Z5, Z4, Z21
	VUNPCKLPS Z7, Z6, Z22
	VUNPCKHPS Z7, Z6, Z23
	VUNPCKLPS Z9, Z8, Z24
	VUNPCKHPS Z9, Z8, Z25
	VUNPCKLPS Z11, Z10, Z26
	VUNPCKHPS Z11, Z10, Z27
	VUNPCKLPS Z13, Z12, Z28
	VUNPCKHPS Z13, Z12, Z29
	VUNPCKLPS Z15, Z14, Z30
	VUNPCKHPS Z15, Z14, Z31
	// 64-bit interleave: U(4R+t) holds, per block j, rows 4R..4R+3 of
	// vector 4j+t.
	VUNPCKLPD Z18, Z16, Z0
	VUNPCKHPD Z18, Z16, Z1
	VUNPCKLPD Z19, Z17, Z2
	VUNPCKHPD Z19, Z17, Z3
	VUNPCKLPD Z22, Z20, Z4
	VUNPCKHPD Z22, Z20, Z5
	VUNPCKLPD Z23, Z21, Z6
	VUNPCKHPD Z23, Z21, Z7
	VUNPCKLPD Z26, Z24, Z8
	VUNPCKHPD Z26, Z24, Z9
	VUNPCKLPD Z27, Z25, Z10
	VUNPCKHPD Z27, Z25, Z11
	VUNPCKLPD Z30, Z28, Z12
	VUNPCKHPD Z30, Z28, Z13
	VUNPCKLPD Z31, Z29, Z14
	VUNPCKHPD Z31, Z29, Z15
	TBLOCKS(Z0, Z4, Z8, Z12)
	TSTORE(Z20, 0, DI, t0a)
t0a:
	TSTORE(Z21, 4, DI, t0b)
t0b:
	TSTORE(Z22, 8, R9, t0c)
t0c:
	TSTORE(Z23, 12, R9, t0d)
t0d:
	TBLOCKS(Z1, Z5, Z9, Z13)
	TSTORE(Z20, 1, DI, t1a)
t1a:
	TSTORE(Z21, 5, DI, t1b)
t1b:
	TSTORE(Z22, 9, R9, t1c)
t1c:
	TSTORE(Z23, 13, R9, t1d)
t1d:
	TBLOCKS(Z2, Z6, Z10, Z14)
	TSTORE(Z20, 2, DI, t2a)
t2a:
	TSTORE(Z21, 6, DI, t2b)
t2b:
	TSTORE(Z22, 10, R9, t2c)
t2c:
	TSTORE(Z23, 14, R9, t2d)
t2d:
	TBLOCKS(Z3, Z7, Z11, Z15)
	TSTORE(Z20, 3, DI, t3a)
t3a:
	TSTORE(Z21, 7, DI, t3b)
t3b:
	TSTORE(Z22, 11, R9, t3c)
t3c:
	TSTORE(Z23, 15, R9, t3d)
t3d:
	VZEROUPPER
	RET

// func scatter2AVX512(y, out *float32, rows, dg int, mask uint16)
// scatter16AVX512 for a two-row output (the integer tile's): the rows are
// interleaved so that each vector's two outputs are one qword, and two
// eight-qword scatters store them (16 elements scattered instead of 32).
// After the unpacks Z2 holds vectors 0,1,4,5,8,9,12,13 and Z3 vectors
// 2,3,6,7,10,11,14,15; their indices and mask bits are picked alike.
TEXT ·scatter2AVX512(SB), NOSPLIT, $0-34
	MOVQ         y+0(FP), DI
	MOVQ         out+8(FP), DX
	MOVWLZX      mask+32(FP), AX
	MOVL         $0x3333, CX
	PEXTL        CX, AX, CX
	KMOVW        CX, K1                  // mask bits of Z2's vectors
	MOVL         $0xcccc, CX
	PEXTL        CX, AX, CX
	KMOVW        CX, K2                  // of Z3's
	VPMOVZXBD    scatterLanes<>(SB), Z1  // 0..7, 0..7
	MOVQ         dg+24(FP), AX
	SHLQ         $3, AX
	VPBROADCASTD AX, Z3
	MOVW         $0xff00, AX
	KMOVW        AX, K3
	VPADDD       Z3, Z1, K3, Z1          // 8·dg + l in the upper half
	MOVQ         rows+16(FP), AX
	VPBROADCASTD AX, Z3
	VPMULLD      Z3, Z1, Z1              // idx of vectors 0..15
	VPMOVZXBD    scatter2Even<>(SB), Y4
	VPERMD       Z1, Z4, Z4              // idx of Z2's vectors (low 8 dwords)
	VPMOVZXBD    scatter2Odd<>(SB), Y5
	VPERMD       Z1, Z5, Z5              // of Z3's
	VMOVUPS      (DX), Z0                // row 0
	VMOVUPS      64(DX), Z6              // row 1
	VUNPCKLPS    Z6, Z0, Z2              // per block: (r0, r1) of vectors 4j, 4j+1
	VUNPCKHPS    Z6, Z0, Z3              // of vectors 4j+2, 4j+3
	VSCATTERDPD  Z2, K1, (DI)(Y4*4)
	VSCATTERDPD  Z3, K2, (DI)(Y5*4)
	VZEROUPPER
	RET

DATA scatter2Even<>+0(SB)/8, $0x0d0c090805040100 // vectors 0 1 4 5 8 9 12 13
GLOBL scatter2Even<>(SB), RODATA|NOPTR, $8
DATA scatter2Odd<>+0(SB)/8, $0x0f0e0b0a07060302  // vectors 2 3 6 7 10 11 14 15
GLOBL scatter2Odd<>(SB), RODATA|NOPTR, $8

DATA scatterLanes<>+0(SB)/8, $0x0706050403020100
DATA scatterLanes<>+8(SB)/8, $0x0706050403020100
GLOBL scatterLanes<>(SB), RODATA|NOPTR, $16

// func codes8AVX2(q, row []byte, nblk int)
TEXT ·codes8AVX2(SB), NOSPLIT, $0-56
	MOVQ q_base+0(FP), DI
	MOVQ row_base+24(FP), SI
	MOVQ nblk+48(FP), CX

c8loop:
	VMOVDQU 2(SI), Y0
	VMOVDQU Y0, (DI)
	ADDQ    $34, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     c8loop
	VZEROUPPER
	RET

// func nibblesAVX2(q, row []byte, nblk, bsize, qoff, hoff int)
// Y15: 0x0f bytes; with fifth bits: Y14 the shuffle taking byte k/8 of the
// u32 to byte k, Y13 the bit of byte k (1 << k%8), Y12 0x10 bytes.
TEXT ·nibblesAVX2(SB), NOSPLIT, $0-80
	MOVQ         q_base+0(FP), DI
	MOVQ         row_base+24(FP), SI
	MOVQ         nblk+48(FP), CX
	MOVQ         bsize+56(FP), R8
	MOVQ         qoff+64(FP), R9
	MOVQ         hoff+72(FP), R10
	VPBROADCASTB nibLo<>(SB), Y15
	TESTQ        R10, R10
	JS           nib4

	VMOVDQU      nibShuf<>(SB), Y14
	VPBROADCASTQ nibBits<>(SB), Y13
	VPBROADCASTB nibFive<>(SB), Y12

nib5:
	VMOVDQU      (SI)(R9*1), X0
	VPSRLW       $4, X0, X1
	VPAND        X15, X0, X0          // low nibbles: elements 0..15
	VPAND        X15, X1, X1          // high nibbles: elements 16..31
	VINSERTI128  $1, X1, Y0, Y0
	VPBROADCASTD (SI)(R10*1), Y2      // fifth bits
	VPSHUFB      Y14, Y2, Y2
	VPAND        Y13, Y2, Y2
	VPCMPEQB     Y13, Y2, Y2          // 0xff where bit k is set
	VPAND        Y12, Y2, Y2
	VPOR         Y2, Y0, Y0
	VMOVDQU      Y0, (DI)
	ADDQ         R8, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          nib5
	VZEROUPPER
	RET

nib4:
	VMOVDQU     (SI)(R9*1), X0
	VPSRLW      $4, X0, X1
	VPAND       X15, X0, X0
	VPAND       X15, X1, X1
	VMOVDQU     X0, (DI)
	VMOVDQU     X1, 16(DI)
	ADDQ        R8, SI
	ADDQ        $32, DI
	DECQ        CX
	JNZ         nib4
	VZEROUPPER
	RET

DATA nibLo<>+0(SB)/1, $0x0f
GLOBL nibLo<>(SB), RODATA|NOPTR, $1
DATA nibFive<>+0(SB)/1, $0x10
GLOBL nibFive<>(SB), RODATA|NOPTR, $1
DATA nibBits<>+0(SB)/8, $0x8040201008040201
GLOBL nibBits<>(SB), RODATA|NOPTR, $8
DATA nibShuf<>+0(SB)/8, $0x0000000000000000
DATA nibShuf<>+8(SB)/8, $0x0101010101010101
DATA nibShuf<>+16(SB)/8, $0x0202020202020202
DATA nibShuf<>+24(SB)/8, $0x0303030303030303
GLOBL nibShuf<>(SB), RODATA|NOPTR, $32

// func expSum8AVX2(e, x []float32, m float32, p *[8]float64)
// expSum8Generic eight lanes at a time, the same float32 operations per
// lane (exp32), the lanes' float64 sums in Y8 (p[0:4]) and Y7 (p[4:8]).
// Y9..Y15: 1, C2, C1, magic, log2e, lo, m; Y0: t, then r; Y1: t < lo;
// Y2: f; Y3: n; Y4: 2^n bits; Y5: polynomial; Y6: r², then float64 lanes.
TEXT ·expSum8AVX2(SB), NOSPLIT, $0-64
	MOVQ         e_base+0(FP), DI
	MOVQ         x_base+24(FP), SI
	MOVQ         x_len+32(FP), CX
	VBROADCASTSS m+48(FP), Y15
	MOVQ         p+56(FP), DX
	VBROADCASTSS expLo<>(SB), Y14
	VBROADCASTSS expLog2e<>(SB), Y13
	VBROADCASTSS expMagic<>(SB), Y12
	VBROADCASTSS expC1<>(SB), Y11
	VBROADCASTSS expC2<>(SB), Y10
	VBROADCASTSS expOne<>(SB), Y9
	VMOVUPD      (DX), Y8
	VMOVUPD      32(DX), Y7
	SHRQ         $3, CX

exploop:
	VMOVUPS      (SI), Y0
	VSUBPS       Y15, Y0, Y0       // t = x − m
	VCMPPS       $1, Y14, Y0, Y1   // t < lo (ordered, signalling)
	VMULPS       Y13, Y0, Y2       // t·log2e
	VADDPS       Y12, Y2, Y2       // f = … + magic
	VSUBPS       Y12, Y2, Y3       // n = f − magic
	VPSUBD       Y12, Y2, Y4       // n as int32
	VMULPS       Y11, Y3, Y5
	VSUBPS       Y5, Y0, Y0        // r = t − n·C1
	VMULPS       Y10, Y3, Y5
	VSUBPS       Y5, Y0, Y0        // r −= n·C2
	VMULPS       Y0, Y0, Y6        // r²
	VMULPS       expP0<>(SB), Y0, Y5
	VADDPS       expP1<>(SB), Y5, Y5
	VMULPS       Y0, Y5, Y5
	VADDPS       expP2<>(SB), Y5, Y5
	VMULPS       Y0, Y5, Y5
	VADDPS       expP3<>(SB), Y5, Y5
	VMULPS       Y0, Y5, Y5
	VADDPS       expP4<>(SB), Y5, Y5
	VMULPS       Y0, Y5, Y5
	VADDPS       expP5<>(SB), Y5, Y5
	VMULPS       Y6, Y5, Y5        // p·r²
	VADDPS       Y0, Y5, Y5        // + r
	VADDPS       Y9, Y5, Y5        // + 1
	VPADDD       exp127<>(SB), Y4, Y4
	VPSLLD       $23, Y4, Y4       // 2^n
	VMULPS       Y4, Y5, Y5
	VANDNPS      Y5, Y1, Y5        // 0 where t < lo
	VMOVUPS      Y5, (DI)
	VCVTPS2PD    X5, Y6
	VADDPD       Y6, Y8, Y8
	VEXTRACTF128 $1, Y5, X5
	VCVTPS2PD    X5, Y6
	VADDPD       Y6, Y7, Y7
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          exploop
	VMOVUPD      Y8, (DX)
	VMOVUPD      Y7, 32(DX)
	VZEROUPPER
	RET

// SPLAT8(sym, v): a 32-byte constant of eight copies of the 32-bit v.
#define SPLAT8(sym, v) \
	DATA sym+0(SB)/4, v; \
	DATA sym+4(SB)/4, v; \
	DATA sym+8(SB)/4, v; \
	DATA sym+12(SB)/4, v; \
	DATA sym+16(SB)/4, v; \
	DATA sym+20(SB)/4, v; \
	DATA sym+24(SB)/4, v; \
	DATA sym+28(SB)/4, v; \
	GLOBL sym(SB), RODATA|NOPTR, $32

SPLAT8(expP0<>, $0x39506967)
SPLAT8(expP1<>, $0x3ab743ce)
SPLAT8(expP2<>, $0x3c088908)
SPLAT8(expP3<>, $0x3d2aa9c1)
SPLAT8(expP4<>, $0x3e2aaaaa)
SPLAT8(expP5<>, $0x3f000000)
SPLAT8(exp127<>, $0x0000007f)
DATA expLo<>+0(SB)/4, $0xc2ae0000
GLOBL expLo<>(SB), RODATA|NOPTR, $4
DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b
GLOBL expLog2e<>(SB), RODATA|NOPTR, $4
DATA expMagic<>+0(SB)/4, $0x4b400000
GLOBL expMagic<>(SB), RODATA|NOPTR, $4
DATA expC1<>+0(SB)/4, $0x3f318000
GLOBL expC1<>(SB), RODATA|NOPTR, $4
DATA expC2<>+0(SB)/4, $0xb95e8083
GLOBL expC2<>(SB), RODATA|NOPTR, $4
DATA expOne<>+0(SB)/4, $0x3f800000
GLOBL expOne<>(SB), RODATA|NOPTR, $4

DATA c128b<>+0(SB)/4, $0x80808080   // 128 in every byte
GLOBL c128b<>(SB), RODATA|NOPTR, $4
DATA absmask<>+0(SB)/4, $0x7fffffff
GLOBL absmask<>(SB), RODATA|NOPTR, $4
DATA c127<>+0(SB)/4, $0x42fe0000    // 127.0
GLOBL c127<>(SB), RODATA|NOPTR, $4
DATA cm127<>+0(SB)/4, $0xc2fe0000   // -127.0
GLOBL cm127<>(SB), RODATA|NOPTR, $4
DATA permq<>+0(SB)/4, $0
DATA permq<>+4(SB)/4, $4
DATA permq<>+8(SB)/4, $1
DATA permq<>+12(SB)/4, $5
DATA permq<>+16(SB)/4, $2
DATA permq<>+20(SB)/4, $6
DATA permq<>+24(SB)/4, $3
DATA permq<>+28(SB)/4, $7
GLOBL permq<>(SB), RODATA|NOPTR, $32

// func absMaxAVX2(x []float32) float32
TEXT ·absMaxAVX2(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	SHRQ         $3, CX
	VBROADCASTSS absmask<>(SB), Y1
	VXORPS       Y0, Y0, Y0        // m = 0

amaxloop:
	VANDPS  (SI), Y1, Y2           // |x[i:i+8]|
	VMAXPS  Y0, Y2, Y0             // m = max(|x|, m): m when |x| is NaN
	ADDQ    $32, SI
	DECQ    CX
	JNZ     amaxloop
	VEXTRACTF128 $1, Y0, X2
	VMAXPS  X0, X2, X0             // m is never NaN, so order is free
	VMOVHLPS X0, X0, X2
	VMAXPS  X0, X2, X0
	VMOVSHDUP X0, X2
	VMAXSS  X0, X2, X0
	VMOVSS  X0, ret+24(FP)
	VZEROUPPER
	RET

// func quantScaleAVX2(x []float32, scale float32, q []int8) int32
TEXT ·quantScaleAVX2(SB), NOSPLIT, $0-60
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	SHRQ         $5, CX
	VBROADCASTSS scale+24(FP), Y15
	MOVQ         q_base+32(FP), DI
	VBROADCASTSS cm127<>(SB), Y13
	VBROADCASTSS c127<>(SB), Y14
	VMOVDQU      permq<>(SB), Y12
	VPXOR        Y11, Y11, Y11     // int32 sums

#define CODE(off, r) \
	VMULPS    off(SI), Y15, r  \ // x·scale
	VROUNDPS  $0, r, r         \ // nearest, ties to even
	VMAXPS    Y13, r, r        \ // max(r, −127); NaN → −127
	VMINPS    Y14, r, r        \ // min(r, 127)
	VCVTPS2DQ r, r             \
	VPADDD    r, Y11, Y11

qsloop:
	CODE(0, Y0)
	CODE(32, Y1)
	CODE(64, Y2)
	CODE(96, Y3)
	VPACKSSDW Y1, Y0, Y0           // int16: x0[0:4] x1[0:4] | x0[4:8] x1[4:8]
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0           // dwords: 0-3 of x0 x1 x2 x3 | 4-7 of x0 x1 x2 x3
	VPERMD    Y0, Y12, Y0          // back to element order
	VMOVDQU   Y0, (DI)
	ADDQ      $128, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       qsloop
	VEXTRACTI128 $1, Y11, X0
	VPADDD    X11, X0, X0
	VPSHUFD   $0x4e, X0, X1
	VPADDD    X1, X0, X0
	VPSHUFD   $0xb1, X0, X1
	VPADDD    X1, X0, X0
	VMOVD     X0, AX
	VZEROUPPER
	MOVL      AX, ret+56(FP)
	RET

// Field offsets of fTileW (checked by TestTileLayout).
#define FW_W     0
#define FW_X     24
#define FW_OUT   48
#define FW_COLS  72
#define FW_PAIRS 80
#define FW_XSTR  88
#define FW_DX    96
#define FW_FMA   104
#define FW_PF    112
#define FW_PFEND 120

// WROW(a0, a1, ev, od): one row's step over elements e (even sum) and e+1
// (odd sum): w[e] and w[e+1] broadcast from memory into the multiplies, the
// product rounded before the add (no FMA), as tileF32Generic.
#define WROW(a0, a1, ev, od) \
	VMULPS.BCST a0, Z24, Z26 \
	VADDPS      Z26, ev, ev \
	VMULPS.BCST a1, Z25, Z27 \
	VADDPS      Z27, od, od

// WFUSED(a0, a1, ev, od): WROW with vfmadd231ps, the same when every
// product is exact; operands in WROW's order (acc, x, w) for NaN propagation.
#define WFUSED(a0, a1, ev, od) \
	VFMADD231PS.BCST a0, Z24, ev \
	VFMADD231PS.BCST a1, Z25, od

// WONE(a0, ev): the even step of a last odd element.
#define WONE(a0, ev) \
	VMULPS.BCST a0, Z24, Z26 \
	VADDPS      Z26, ev, ev

// WONEF(a0, ev): WONE with vfmadd231ps.
#define WONEF(a0, ev) \
	VFMADD231PS.BCST a0, Z24, ev

// WPF(skip): every other step pair, ask for the next line of [DX, pfEnd),
// if any: the range arrives while the tile computes. (One line every step
// pair was 5% slower at 64 tokens, every fourth 6%, two lines 8%.)
#define WPF(skip) \
	TESTQ      $2, CX           \
	JNE        skip             \
	CMPQ       DX, FW_PFEND(AX) \
	JAE        skip             \
	PREFETCHT1 (DX)             \
	ADDQ       $64, DX

// func tileF32WAVX512(t *fTileW)
// Z0..Z23: even/odd sums of rows 0..11 (Z2r even, Z2r+1 odd), lanes 0..7
// the pair's first group, 8..15 its second. Rows 0..3 are addressed from SI,
// 4..7 from BX, 8..11 from R13, with R8 = row stride and R12 = 3·stride.
// DX walks the prefetch range; R10 counts the pairs left.
TEXT ·tileF32WAVX512(SB), NOSPLIT, $0-8
	MOVQ t+0(FP), AX
	MOVQ FW_COLS(AX), R8
	SHLQ $2, R8                    // row stride in bytes
	LEAQ (R8)(R8*2), R12           // 3·stride
	MOVQ FW_DX(AX), R9             // second group − first group, bytes
	MOVQ FW_PF(AX), DX
	MOVQ FW_PAIRS(AX), R10
	MOVQ FW_X(AX), R11             // first group of this pair

wnext:
	MOVQ   FW_W(AX), SI
	LEAQ   (SI)(R8*4), BX
	LEAQ   (BX)(R8*4), R13
	MOVQ   R11, DI
	MOVQ   FW_COLS(AX), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	SUBQ   $2, CX
	JL     wtail
	CMPB   FW_FMA(AX), $0
	JNE    wfused

wpair:
	WPF(wpair1)

wpair1:
	VMOVUPS      (DI), Y24                 // x[g0][e]
	VINSERTF64X4 $1, (DI)(R9*1), Z24, Z24  // | x[g1][e]
	VMOVUPS      32(DI), Y25               // x[g0][e+1]
	VINSERTF64X4 $1, 32(DI)(R9*1), Z25, Z25
	WROW((SI), 4(SI), Z0, Z1)
	WROW((SI)(R8*1), 4(SI)(R8*1), Z2, Z3)
	WROW((SI)(R8*2), 4(SI)(R8*2), Z4, Z5)
	WROW((SI)(R12*1), 4(SI)(R12*1), Z6, Z7)
	WROW((BX), 4(BX), Z8, Z9)
	WROW((BX)(R8*1), 4(BX)(R8*1), Z10, Z11)
	WROW((BX)(R8*2), 4(BX)(R8*2), Z12, Z13)
	WROW((BX)(R12*1), 4(BX)(R12*1), Z14, Z15)
	WROW((R13), 4(R13), Z16, Z17)
	WROW((R13)(R8*1), 4(R13)(R8*1), Z18, Z19)
	WROW((R13)(R8*2), 4(R13)(R8*2), Z20, Z21)
	WROW((R13)(R12*1), 4(R13)(R12*1), Z22, Z23)
	ADDQ         $8, SI
	ADDQ         $8, BX
	ADDQ         $8, R13
	ADDQ         $64, DI
	SUBQ         $2, CX
	JGE          wpair
	JMP          wtail

wfused:                                        // wpair with WFUSED
	WPF(wfused1)

wfused1:
	VMOVUPS      (DI), Y24
	VINSERTF64X4 $1, (DI)(R9*1), Z24, Z24
	VMOVUPS      32(DI), Y25
	VINSERTF64X4 $1, 32(DI)(R9*1), Z25, Z25
	WFUSED((SI), 4(SI), Z0, Z1)
	WFUSED((SI)(R8*1), 4(SI)(R8*1), Z2, Z3)
	WFUSED((SI)(R8*2), 4(SI)(R8*2), Z4, Z5)
	WFUSED((SI)(R12*1), 4(SI)(R12*1), Z6, Z7)
	WFUSED((BX), 4(BX), Z8, Z9)
	WFUSED((BX)(R8*1), 4(BX)(R8*1), Z10, Z11)
	WFUSED((BX)(R8*2), 4(BX)(R8*2), Z12, Z13)
	WFUSED((BX)(R12*1), 4(BX)(R12*1), Z14, Z15)
	WFUSED((R13), 4(R13), Z16, Z17)
	WFUSED((R13)(R8*1), 4(R13)(R8*1), Z18, Z19)
	WFUSED((R13)(R8*2), 4(R13)(R8*2), Z20, Z21)
	WFUSED((R13)(R12*1), 4(R13)(R12*1), Z22, Z23)
	ADDQ         $8, SI
	ADDQ         $8, BX
	ADDQ         $8, R13
	ADDQ         $64, DI
	SUBQ         $2, CX
	JGE          wfused

wtail:
	CMPQ         CX, $-1                   // one element left (odd cols): it goes to even
	JNE          wsum
	VMOVUPS      (DI), Y24
	VINSERTF64X4 $1, (DI)(R9*1), Z24, Z24
	CMPB         FW_FMA(AX), $0
	JNE          wtailfused
	WONE((SI), Z0)
	WONE((SI)(R8*1), Z2)
	WONE((SI)(R8*2), Z4)
	WONE((SI)(R12*1), Z6)
	WONE((BX), Z8)
	WONE((BX)(R8*1), Z10)
	WONE((BX)(R8*2), Z12)
	WONE((BX)(R12*1), Z14)
	WONE((R13), Z16)
	WONE((R13)(R8*1), Z18)
	WONE((R13)(R8*2), Z20)
	WONE((R13)(R12*1), Z22)
	JMP          wsum

wtailfused:
	WONEF((SI), Z0)
	WONEF((SI)(R8*1), Z2)
	WONEF((SI)(R8*2), Z4)
	WONEF((SI)(R12*1), Z6)
	WONEF((BX), Z8)
	WONEF((BX)(R8*1), Z10)
	WONEF((BX)(R8*2), Z12)
	WONEF((BX)(R12*1), Z14)
	WONEF((R13), Z16)
	WONEF((R13)(R8*1), Z18)
	WONEF((R13)(R8*2), Z20)
	WONEF((R13)(R12*1), Z22)

wsum:
	VADDPS  Z1, Z0, Z0                     // even + odd
	VADDPS  Z3, Z2, Z2
	VADDPS  Z5, Z4, Z4
	VADDPS  Z7, Z6, Z6
	VADDPS  Z9, Z8, Z8
	VADDPS  Z11, Z10, Z10
	VADDPS  Z13, Z12, Z12
	VADDPS  Z15, Z14, Z14
	VADDPS  Z17, Z16, Z16
	VADDPS  Z19, Z18, Z18
	VADDPS  Z21, Z20, Z20
	VADDPS  Z23, Z22, Z22
	MOVQ    FW_PAIRS(AX), CX               // CX = out of this pair:
	SUBQ    R10, CX
	IMULQ   $768, CX
	ADDQ    FW_OUT(AX), CX                 // out + 768·(pairs done)
	VMOVUPS Z0, 0(CX)                      // out[row][16]
	VMOVUPS Z2, 64(CX)
	VMOVUPS Z4, 128(CX)
	VMOVUPS Z6, 192(CX)
	VMOVUPS Z8, 256(CX)
	VMOVUPS Z10, 320(CX)
	VMOVUPS Z12, 384(CX)
	VMOVUPS Z14, 448(CX)
	VMOVUPS Z16, 512(CX)
	VMOVUPS Z18, 576(CX)
	VMOVUPS Z20, 640(CX)
	VMOVUPS Z22, 704(CX)
	ADDQ    FW_XSTR(AX), R11
	DECQ    R10
	JNZ     wnext
	VZEROUPPER
	RET

DATA c7fff<>+0(SB)/4, $0x7fff      // F16/BF16 magnitude bits
GLOBL c7fff<>(SB), RODATA|NOPTR, $4

// Magnitude range (magRange, absRange) of 8 values per step: Y6 the least
// nonzero magnitude per lane (±0 counts as 0xffffffff), Y7 the greatest;
// mask clears the sign bit.
#define RANGE_INIT(mask) \
	VPBROADCASTD mask, Y5 \
	VPXOR        Y4, Y4, Y4 \
	VPCMPEQD     Y6, Y6, Y6 \
	VPXOR        Y7, Y7, Y7

// RANGE_ADD(h, tmp, tmp2): h (register or memory) holds 8 halves
// zero-extended to 32 bits, or 8 float32.
#define RANGE_ADD(h, tmp, tmp2) \
	VPAND    h, Y5, tmp \
	VPMAXUD  tmp, Y7, Y7 \
	VPCMPEQD Y4, tmp, tmp2 \
	VPOR     tmp2, tmp, tmp \
	VPMINUD  tmp, Y6, Y6

// RANGE_RET(lo, hi): lo, hi = min of Y6, max of Y7 across lanes; ends the kernel.
#define RANGE_RET(lo, hi) \
	VEXTRACTI128 $1, Y6, X1 \
	VPMINUD      X1, X6, X6 \
	VPSHUFD      $0x4e, X6, X1 \
	VPMINUD      X1, X6, X6 \
	VPSHUFD      $0xb1, X6, X1 \
	VPMINUD      X1, X6, X6 \
	VEXTRACTI128 $1, Y7, X1 \
	VPMAXUD      X1, X7, X7 \
	VPSHUFD      $0x4e, X7, X1 \
	VPMAXUD      X1, X7, X7 \
	VPSHUFD      $0xb1, X7, X1 \
	VPMAXUD      X1, X7, X7 \
	VMOVD        X6, AX \
	VMOVD        X7, DX \
	VZEROUPPER \
	MOVL         AX, lo \
	MOVL         DX, hi \
	RET

DATA cw7fff<>+0(SB)/4, $0x7fff7fff  // two F16/BF16 magnitude masks
GLOBL cw7fff<>(SB), RODATA|NOPTR, $4

// Magnitude range of halves, 16 per step in 16-bit lanes: Y7 the greatest
// magnitude per lane, Y6 the least of magnitude − 1 (so that ±0, as
// 0xffff, never wins); Y5 = 0x7fff, Y4 = all ones (−1).
#define HRANGE_INIT \
	VPBROADCASTD cw7fff<>(SB), Y5 \
	VPCMPEQW     Y4, Y4, Y4 \
	VPCMPEQW     Y6, Y6, Y6 \
	VPXOR        Y7, Y7, Y7

// HRANGE_ADD(h, t): h (register or memory) holds 16 halves.
#define HRANGE_ADD(h, t) \
	VPAND   h, Y5, t \
	VPMAXUW t, Y7, Y7 \
	VPADDW  Y4, t, t \
	VPMINUW t, Y6, Y6

// HRANGE_RET(lo, hi): the magRange of all lanes (vphminposuw finds the
// least word; the greatest is the complement of the least complement);
// ends the kernel.
#define HRANGE_RET(lo, hi) \
	VEXTRACTI128 $1, Y6, X1 \
	VPMINUW      X1, X6, X6 \
	VPHMINPOSUW  X6, X6 \
	VEXTRACTI128 $1, Y7, X1 \
	VPMAXUW      X1, X7, X7 \
	VPXOR        X4, X7, X7 \
	VPHMINPOSUW  X7, X7 \
	VMOVD        X6, AX \
	VMOVD        X7, DX \
	VZEROUPPER \
	ANDL         $0xffff, AX \
	INCL         AX \              // least magnitude, 0x10000 if all were ±0 …
	MOVL         AX, CX \
	SHRL         $16, CX \
	NEGL         CX \
	ORL          CX, AX \          // … then MaxUint32
	NOTL         DX \
	ANDL         $0xffff, DX \
	MOVL         AX, lo \
	MOVL         DX, hi \
	RET

// The half-to-float kernels are bound by reading the weights from memory
// (each call streams the whole matrix once): 32 halves per step with a
// software prefetch 2 KiB ahead (into the next rows, which come next) read
// ~40% faster than 8 per step without.
// HTAIL8_RET: the F16 unpack kernels' last R8&24 halves, 8 a step (SI, DI
// advanced; the 128-bit load zeroes the upper lanes, which count as ±0 and
// are ignored), then HRANGE_RET; used once per kernel (its labels are
// local to the function).
#define HTAIL8_RET \
	ANDQ $24, R8 \
	JZ   htdone \
htstep: \
	VMOVDQU   (SI), X1 \
	HRANGE_ADD(Y1, Y1) \
	VCVTPH2PS (SI), Y0 \
	VMOVUPS   Y0, (DI) \
	ADDQ      $16, SI \
	ADDQ      $32, DI \
	SUBQ      $8, R8 \
	JNZ       htstep \
htdone: \
	HRANGE_RET(lo+48(FP), hi+52(FP))

#define PREFETCH_AHEAD 2048

// func unpackF16AVX2(row []byte, f []float32) (lo, hi uint32)
TEXT ·unpackF16AVX2(SB), NOSPLIT, $0-56
	MOVQ row_base+0(FP), SI
	MOVQ f_base+24(FP), DI
	MOVQ f_len+32(FP), CX
	HRANGE_INIT
	MOVQ CX, R8
	SHRQ $5, CX                    // steps of 32
	JZ   h16tail

h16loop:
	PREFETCHT0 PREFETCH_AHEAD(SI)
	HRANGE_ADD((SI), Y1)
	HRANGE_ADD(32(SI), Y2)
	VCVTPH2PS  (SI), Y0
	VCVTPH2PS  16(SI), Y1
	VCVTPH2PS  32(SI), Y2
	VCVTPH2PS  48(SI), Y3
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	VMOVUPS    Y2, 64(DI)
	VMOVUPS    Y3, 96(DI)
	ADDQ       $64, SI
	ADDQ       $128, DI
	DECQ       CX
	JNZ        h16loop

h16tail:
	HTAIL8_RET

// func unpackF16AVX512(row []byte, f []float32) (lo, hi uint32)
// unpackF16AVX2 on zmm registers: 32 halves a step, the range in Z6/Z7
// folded to Y6/Y7 before the AVX2 tail of 8-half steps.
TEXT ·unpackF16AVX512(SB), NOSPLIT, $0-56
	MOVQ         row_base+0(FP), SI
	MOVQ         f_base+24(FP), DI
	MOVQ         f_len+32(FP), CX
	VPBROADCASTD cw7fff<>(SB), Z5
	VPTERNLOGD   $0xff, Z4, Z4, Z4
	VPTERNLOGD   $0xff, Z6, Z6, Z6
	VPXORD       Z7, Z7, Z7
	MOVQ         CX, R8
	SHRQ         $5, CX            // steps of 32
	JZ           z16fold

z16loop:
	PREFETCHT0 PREFETCH_AHEAD(SI)
	VPANDD     (SI), Z5, Z1
	VPMAXUW    Z1, Z7, Z7
	VPADDW     Z4, Z1, Z1
	VPMINUW    Z1, Z6, Z6
	VCVTPH2PS  (SI), Z0
	VCVTPH2PS  32(SI), Z2
	VMOVUPS    Z0, (DI)
	VMOVUPS    Z2, 64(DI)
	ADDQ       $64, SI
	ADDQ       $128, DI
	DECQ       CX
	JNZ        z16loop

z16fold:
	VEXTRACTI64X4 $1, Z6, Y1
	VPMINUW       Y1, Y6, Y6
	VEXTRACTI64X4 $1, Z7, Y1
	VPMAXUW       Y1, Y7, Y7
	HTAIL8_RET

// func unpackBF16AVX2(row []byte, f []float32) (lo, hi uint32)
TEXT ·unpackBF16AVX2(SB), NOSPLIT, $0-56
	MOVQ row_base+0(FP), SI
	MOVQ f_base+24(FP), DI
	MOVQ f_len+32(FP), CX
	HRANGE_INIT
	MOVQ CX, R8
	SHRQ $5, CX
	JZ   b16tail

b16loop:
	PREFETCHT0 PREFETCH_AHEAD(SI)
	HRANGE_ADD((SI), Y1)
	HRANGE_ADD(32(SI), Y2)
	VPMOVZXWD  (SI), Y0
	VPMOVZXWD  16(SI), Y1
	VPMOVZXWD  32(SI), Y2
	VPMOVZXWD  48(SI), Y3
	VPSLLD     $16, Y0, Y0
	VPSLLD     $16, Y1, Y1
	VPSLLD     $16, Y2, Y2
	VPSLLD     $16, Y3, Y3
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	VMOVUPS    Y2, 64(DI)
	VMOVUPS    Y3, 96(DI)
	ADDQ       $64, SI
	ADDQ       $128, DI
	DECQ       CX
	JNZ        b16loop

b16tail:
	ANDQ $24, R8
	JZ   b16done

b16t8:
	VMOVDQU   (SI), X1
	HRANGE_ADD(Y1, Y1)
	VPMOVZXWD (SI), Y0
	VPSLLD    $16, Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, R8
	JNZ       b16t8

b16done:
	HRANGE_RET(lo+48(FP), hi+52(FP))

DATA csign<>+0(SB)/4, $0x80000000
GLOBL csign<>(SB), RODATA|NOPTR, $4
DATA cqnan<>+0(SB)/4, $0x7fc00000     // F16ToF32(0x7e00)
GLOBL cqnan<>(SB), RODATA|NOPTR, $4
DATA cone<>+0(SB)/4, $1
GLOBL cone<>(SB), RODATA|NOPTR, $4
DATA chi16<>+0(SB)/4, $0xffff0000
GLOBL chi16<>(SB), RODATA|NOPTR, $4
DATA cbfq<>+0(SB)/4, $0x00400000      // bit 6 of a bfloat16 (F32ToBF16's quiet bit)
GLOBL cbfq<>(SB), RODATA|NOPTR, $4

// RF16(r): r = F16ToF32(F32ToF16(r)) per lane; Y12 sign mask, Y13 the quiet NaN.
#define RF16(r) \
	VCVTPS2PH $0, r, X8 \
	VCVTPH2PS X8, Y8 \
	VCMPPS    $3, r, r, Y9 \     // unordered: NaN
	VANDPS    Y12, r, Y10 \
	VORPS     Y13, Y10, Y10 \
	VBLENDVPS Y9, Y10, Y8, r

// RBF16(r): r = BF16ToF32(F32ToBF16(r)): (u + 0x7fff + (u>>16 & 1)) &^ 0xffff,
// NaN: u &^ 0xffff | 0x400000; Y12 = 1, Y13 = 0x7fff, Y14 = 0xffff0000, Y15 = 0x400000.
#define RBF16(r) \
	VPSRLD    $16, r, Y8 \
	VPAND     Y12, Y8, Y8 \
	VPADDD    Y13, r, Y9 \
	VPADDD    Y8, Y9, Y9 \
	VPAND     Y14, Y9, Y9 \
	VPAND     Y14, r, Y10 \
	VPOR      Y15, Y10, Y10 \
	VCMPPS    $3, r, r, Y11 \
	VBLENDVPS Y11, Y10, Y9, r

// LOAD8: rows 0..7 of the current 8 elements into Y0..Y7 (SI: row 0, BX:
// row 4, R8 = row stride, R9 = 3·stride).
#define LOAD8 \
	VMOVUPS (SI), Y0 \
	VMOVUPS (SI)(R8*1), Y1 \
	VMOVUPS (SI)(R8*2), Y2 \
	VMOVUPS (SI)(R9*1), Y3 \
	VMOVUPS (BX), Y4 \
	VMOVUPS (BX)(R8*1), Y5 \
	VMOVUPS (BX)(R8*2), Y6 \
	VMOVUPS (BX)(R9*1), Y7

// TSTORE8: transpose Y0..Y7 (row l = lane l) and store element j's eight
// lanes at 32j(DI); clobbers Y0..Y11.
#define TSTORE8 \
	VUNPCKLPS Y1, Y0, Y8 \              // r0 r1 interleaved: elements 0 1 | 4 5
	VUNPCKHPS Y1, Y0, Y1 \              // 2 3 | 6 7
	VUNPCKLPS Y3, Y2, Y9 \
	VUNPCKHPS Y3, Y2, Y3 \
	VUNPCKLPS Y5, Y4, Y10 \
	VUNPCKHPS Y5, Y4, Y5 \
	VUNPCKLPS Y7, Y6, Y11 \
	VUNPCKHPS Y7, Y6, Y7 \
	VSHUFPS   $0x44, Y9, Y8, Y0 \       // rows 0-3 of element 0 | 4
	VSHUFPS   $0xee, Y9, Y8, Y2 \       // 1 | 5
	VSHUFPS   $0x44, Y3, Y1, Y4 \       // 2 | 6
	VSHUFPS   $0xee, Y3, Y1, Y6 \       // 3 | 7
	VSHUFPS   $0x44, Y11, Y10, Y8 \     // rows 4-7 of element 0 | 4
	VSHUFPS   $0xee, Y11, Y10, Y9 \
	VSHUFPS   $0x44, Y7, Y5, Y1 \
	VSHUFPS   $0xee, Y7, Y5, Y3 \
	VPERM2F128 $0x20, Y8, Y0, Y10 \
	VMOVUPS   Y10, 0(DI) \
	VPERM2F128 $0x20, Y9, Y2, Y10 \
	VMOVUPS   Y10, 32(DI) \
	VPERM2F128 $0x20, Y1, Y4, Y10 \
	VMOVUPS   Y10, 64(DI) \
	VPERM2F128 $0x20, Y3, Y6, Y10 \
	VMOVUPS   Y10, 96(DI) \
	VPERM2F128 $0x31, Y8, Y0, Y10 \
	VMOVUPS   Y10, 128(DI) \
	VPERM2F128 $0x31, Y9, Y2, Y10 \
	VMOVUPS   Y10, 160(DI) \
	VPERM2F128 $0x31, Y1, Y4, Y10 \
	VMOVUPS   Y10, 192(DI) \
	VPERM2F128 $0x31, Y3, Y6, Y10 \
	VMOVUPS   Y10, 224(DI)

// func interleave8AVX2(x []float32, cols int, f []float32, mode int)
TEXT ·interleave8AVX2(SB), NOSPLIT, $0-64
	MOVQ x_base+0(FP), SI
	MOVQ cols+24(FP), R8
	SHLQ $2, R8                    // row stride, bytes
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), BX
	MOVQ f_base+32(FP), DI
	MOVQ f_len+40(FP), CX
	SHRQ $6, CX                    // steps of 8 elements × 8 lanes
	JZ   ildone
	MOVQ mode+56(FP), AX
	CMPQ AX, $1
	JEQ  ilf16
	JGT  ilbf16

ilf32:
	LOAD8
	TSTORE8
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $256, DI
	DECQ CX
	JNZ  ilf32
	JMP  ildone

ilf16:
	VPBROADCASTD csign<>(SB), Y12
	VPBROADCASTD cqnan<>(SB), Y13

ilf16loop:
	LOAD8
	RF16(Y0)
	RF16(Y1)
	RF16(Y2)
	RF16(Y3)
	RF16(Y4)
	RF16(Y5)
	RF16(Y6)
	RF16(Y7)
	TSTORE8
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $256, DI
	DECQ CX
	JNZ  ilf16loop
	JMP  ildone

ilbf16:
	VPBROADCASTD cone<>(SB), Y12
	VPBROADCASTD c7fff<>(SB), Y13
	VPBROADCASTD chi16<>(SB), Y14
	VPBROADCASTD cbfq<>(SB), Y15

ilbf16loop:
	LOAD8
	RBF16(Y0)
	RBF16(Y1)
	RBF16(Y2)
	RBF16(Y3)
	RBF16(Y4)
	RBF16(Y5)
	RBF16(Y6)
	RBF16(Y7)
	TSTORE8
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $256, DI
	DECQ CX
	JNZ  ilbf16loop

ildone:
	VZEROUPPER
	RET

// func absRangeAVX2(x []float32) (lo, hi uint32)
TEXT ·absRangeAVX2(SB), NOSPLIT, $0-32
	MOVQ x_base+0(FP), SI
	MOVQ x_len+8(FP), CX
	RANGE_INIT(absmask<>(SB))
	SHRQ $3, CX
	JZ   ardone

arloop:
	RANGE_ADD((SI), Y1, Y2)
	ADDQ $32, SI
	DECQ CX
	JNZ  arloop

ardone:
	RANGE_RET(lo+24(FP), hi+28(FP))

// func absBytesAVX2(dst, src []byte)
TEXT ·absBytesAVX2(SB), NOSPLIT, $0-48
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	SHRQ $5, CX
	JZ   absdone

absloop:
	VPABSB  (SI), Y0
	VMOVDQU Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     absloop

absdone:
	VZEROUPPER
	RET

// func legacyScalesAVX2(row []byte, bsize, moff int, sc []uint32, ab []float32)
// Four blocks per step: their d (and m) halves inserted into one xmm,
// widened by vcvtph2ps, then interleaved with m (or zero-extended, which
// puts a 0 beside each d) into ab; X9 holds pair(1) for sc.
TEXT ·legacyScalesAVX2(SB), NOSPLIT, $0-88
	MOVQ         row_base+0(FP), SI
	MOVQ         bsize+24(FP), R8
	MOVQ         moff+32(FP), R9
	MOVQ         sc_base+40(FP), DI
	MOVQ         sc_len+48(FP), CX
	MOVQ         ab_base+64(FP), DX
	LEAQ         (R8)(R8*2), R11 // 3·bsize
	MOVL         $0x00010001, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, X9

ls4:
	CMPQ      CX, $4
	JLT       ls1
	MOVWLZX   (SI), AX
	VMOVD     AX, X0
	VPINSRW   $1, (SI)(R8*1), X0, X0
	VPINSRW   $2, (SI)(R8*2), X0, X0
	VPINSRW   $3, (SI)(R11*1), X0, X0
	VCVTPH2PS X0, X0                 // d0 d1 d2 d3
	TESTQ     R9, R9
	JS        ls4d
	LEAQ      (SI)(R9*1), R12
	MOVWLZX   (R12), AX
	VMOVD     AX, X1
	VPINSRW   $1, (R12)(R8*1), X1, X1
	VPINSRW   $2, (R12)(R8*2), X1, X1
	VPINSRW   $3, (R12)(R11*1), X1, X1
	VCVTPH2PS X1, X1                 // m0 m1 m2 m3
	VUNPCKLPS X1, X0, X2             // d0 m0 d1 m1
	VUNPCKHPS X1, X0, X3             // d2 m2 d3 m3
	VMOVUPS   X2, (DX)
	VMOVUPS   X3, 16(DX)
	JMP       ls4next

ls4d:
	VPMOVZXDQ X0, Y2 // d0 0 d1 0 d2 0 d3 0
	VMOVDQU   Y2, (DX)

ls4next:
	VMOVDQU X9, (DI)
	LEAQ    (SI)(R8*4), SI
	ADDQ    $16, DI
	ADDQ    $32, DX
	SUBQ    $4, CX
	JMP     ls4

ls1:
	TESTQ     CX, CX
	JZ        lsdone
	MOVWLZX   (SI), AX
	VMOVD     AX, X0
	VCVTPH2PS X0, X0
	VXORPS    X1, X1, X1
	TESTQ     R9, R9
	JS        ls1d
	MOVWLZX   (SI)(R9*1), AX
	VMOVD     AX, X1
	VCVTPH2PS X1, X1

ls1d:
	VUNPCKLPS X1, X0, X2 // d m
	VMOVQ     X2, (DX)
	MOVL      $0x00010001, (DI)
	ADDQ      R8, SI
	ADDQ      $4, DI
	ADDQ      $8, DX
	DECQ      CX
	JMP       ls1

lsdone:
	VZEROUPPER
	RET

// EXPF_STEPS(R): Expf's float64 steps on the lanes of R2 (x), in the order
// of the Go code: R3 = t = x·(32/ln2) + 1.5·2^52 (k in its low dword),
// R4 = r = x − kf·(ln2/32), R5 = p = 1 + r·(1 + r·(1/2 + r·(1/6 + r/24))),
// with expfConst in R8..R14. R is Y (siluMulAVX2) or Z (siluMulAVX512).
#define EXPF_STEPS(R2, R3, R4, R5, R8, R9, R10, R11, R12, R13, R14) \
	VMULPD R8, R2, R3   \
	VADDPD R9, R3, R3   \ // t
	VSUBPD R9, R3, R4   \ // kf
	VMULPD R10, R4, R4  \
	VSUBPD R4, R2, R4   \ // r = x − kf·ln2N
	VMULPD R11, R4, R5  \ // p = r/24 (r·(1/24))
	VADDPD R12, R5, R5  \
	VMULPD R5, R4, R5   \ // p = r·(1/6 + p)
	VADDPD R13, R5, R5  \
	VMULPD R5, R4, R5   \ // p = r·(1/2 + p)
	VADDPD R14, R5, R5  \
	VMULPD R5, R4, R5   \ // p = r·(1 + p)
	VADDPD R14, R5, R5     // p = 1 + p

// func siluMulAVX2(g, u []float32)
// Four elements per step, Expf's float64 operations in ymm lanes: x = −z,
// t = x·(32/ln2) + 1.5·2^52 (its low dword is k), kf = t − 1.5·2^52,
// r = x − kf·(ln2/32), the Taylor steps, p·2^((k&31)/32) (gathered from
// exp2Table) ·2^(k>>5) (built in the exponent field), rounded to float32;
// then x < −104 → 0, x > 88.8 → +Inf, NaN → x; g = z/(1+e)·u in float32.
// Y8..Y14 hold expfConst, Y7 the dword permutation {0,2,4,6}, X15 −0.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-72
	MOVQ         g_base+0(FP), DI
	MOVQ         u_base+24(FP), SI
	MOVQ         rows+48(FP), R9
	MOVQ         width+56(FP), R10
	MOVQ         stride+64(FP), R11
	SHLQ         $2, R11           // stride in bytes
	LEAQ         ·exp2Table(SB), R8
	SHRQ         $2, R10           // steps per row
	JZ           sdone
	TESTQ        R9, R9
	JZ           sdone
	VBROADCASTSD ·expfConst+0(SB), Y8  // 32/ln2
	VBROADCASTSD ·expfConst+8(SB), Y9  // 1.5·2^52
	VBROADCASTSD ·expfConst+16(SB), Y10 // ln2/32
	VBROADCASTSD ·expfConst+24(SB), Y11 // 1/24
	VBROADCASTSD ·expfConst+32(SB), Y12 // 1/6
	VBROADCASTSD ·expfConst+40(SB), Y13 // 1/2
	VBROADCASTSD ·expfConst+48(SB), Y14 // 1
	VMOVDQU      sPerm<>(SB), Y7
	VMOVUPS      sNeg0<>(SB), X15

srow:
	MOVQ         DI, R12           // row starts
	MOVQ         SI, R13
	MOVQ         R10, CX

sloop:
	VMOVUPS   (DI), X0            // z
	VXORPS    X15, X0, X1         // x = −z (float32)
	VCVTPS2PD X1, Y2              // x as float64
	EXPF_STEPS(Y2, Y3, Y4, Y5, Y8, Y9, Y10, Y11, Y12, Y13, Y14)
	VPERMD    Y3, Y7, Y6          // low dwords of the four lanes: k (X6)
	VPSRAD    $5, X6, X4
	VPADDD    sBias<>(SB), X4, X4 // (k>>5) + 1023
	VPMOVZXDQ X4, Y4
	VPSLLQ    $52, Y4, Y4         // 2^(k>>5)
	VPAND     sMask31<>(SB), X6, X6
	VPCMPEQD  Y3, Y3, Y3
	VGATHERDPD Y3, (R8)(X6*8), Y2 // 2^((k&31)/32)
	VMULPD    Y2, Y5, Y5
	VMULPD    Y4, Y5, Y5
	VCVTPD2PSY Y5, X5             // e^x rounded to float32
	VCMPPS    $1, sLo<>(SB), X1, X2 // x < −104
	VANDNPS   X5, X2, X5
	VMOVUPS   sHi<>(SB), X3
	VCMPPS    $1, X1, X3, X2      // 88.8 < x
	VBROADCASTSS sInf<>(SB), X3
	VBLENDVPS X2, X3, X5, X5
	VCMPPS    $3, X1, X1, X2      // x unordered: NaN
	VBLENDVPS X2, X1, X5, X5
	VADDPS    sOne<>(SB), X5, X5  // 1 + e
	VDIVPS    X5, X0, X0          // z/(1+e)
	VMULPS    (SI), X0, X0
	VMOVUPS   X0, (DI)
	ADDQ      $16, DI
	ADDQ      $16, SI
	DECQ      CX
	JNZ       sloop
	LEAQ      (R12)(R11*1), DI
	LEAQ      (R13)(R11*1), SI
	DECQ      R9
	JNZ       srow

sdone:
	VZEROUPPER
	RET

// func siluMulAVX512(g, u []float32)
// siluMulAVX2 with eight elements per step: Expf's float64 operations in
// zmm lanes (k from the low dword of each lane by vpmovqd, the table by an
// eight-lane gather), then the float32 steps in ymm.
TEXT ·siluMulAVX512(SB), NOSPLIT, $0-72
	MOVQ         g_base+0(FP), DI
	MOVQ         u_base+24(FP), SI
	MOVQ         rows+48(FP), R9
	MOVQ         width+56(FP), R10
	MOVQ         stride+64(FP), R11
	SHLQ         $2, R11           // stride in bytes
	LEAQ         ·exp2Table(SB), R8
	SHRQ         $3, R10           // steps per row
	JZ           s8done
	TESTQ        R9, R9
	JZ           s8done
	VBROADCASTSD ·expfConst+0(SB), Z8  // 32/ln2
	VBROADCASTSD ·expfConst+8(SB), Z9  // 1.5·2^52
	VBROADCASTSD ·expfConst+16(SB), Z10 // ln2/32
	VBROADCASTSD ·expfConst+24(SB), Z11 // 1/24
	VBROADCASTSD ·expfConst+32(SB), Z12 // 1/6
	VBROADCASTSD ·expfConst+40(SB), Z13 // 1/2
	VBROADCASTSD ·expfConst+48(SB), Z14 // 1
	VBROADCASTSS sNeg0<>(SB), Y15
	VBROADCASTSS sInf<>(SB), Y7

s8row:
	MOVQ         DI, R12           // row starts
	MOVQ         SI, R13
	MOVQ         R10, CX

s8loop:
	VMOVUPS    (DI), Y0            // z
	VXORPS     Y15, Y0, Y1         // x = −z (float32)
	VCVTPS2PD  Y1, Z2              // x as float64
	EXPF_STEPS(Z2, Z3, Z4, Z5, Z8, Z9, Z10, Z11, Z12, Z13, Z14)
	VPMOVQD    Z3, Y6              // k
	VPSRAD     $5, Y6, Y4
	VPADDD     sBias<>(SB), Y4, Y4 // (k>>5) + 1023
	VPMOVZXDQ  Y4, Z4
	VPSLLQ     $52, Z4, Z4         // 2^(k>>5)
	VPAND      sMask31<>(SB), Y6, Y6
	KXNORW     K1, K1, K1
	VGATHERDPD (R8)(Y6*8), K1, Z2  // 2^((k&31)/32)
	VMULPD     Z2, Z5, Z5
	VMULPD     Z4, Z5, Z5
	VCVTPD2PS  Z5, Y5              // e^x rounded to float32
	VCMPPS     $1, sLo<>(SB), Y1, Y2 // x < −104
	VANDNPS    Y5, Y2, Y5
	VMOVUPS    sHi<>(SB), Y3
	VCMPPS     $1, Y1, Y3, Y2      // 88.8 < x
	VBLENDVPS  Y2, Y7, Y5, Y5
	VCMPPS     $3, Y1, Y1, Y2      // x unordered: NaN
	VBLENDVPS  Y2, Y1, Y5, Y5
	VADDPS     sOne<>(SB), Y5, Y5  // 1 + e
	VDIVPS     Y5, Y0, Y0          // z/(1+e)
	VMULPS     (SI), Y0, Y0
	VMOVUPS    Y0, (DI)
	ADDQ       $32, DI
	ADDQ       $32, SI
	DECQ       CX
	JNZ        s8loop
	LEAQ       (R12)(R11*1), DI
	LEAQ       (R13)(R11*1), SI
	DECQ       R9
	JNZ        s8row

s8done:
	VZEROUPPER
	RET

DATA sPerm<>+0(SB)/4, $0
DATA sPerm<>+4(SB)/4, $2
DATA sPerm<>+8(SB)/4, $4
DATA sPerm<>+12(SB)/4, $6
DATA sPerm<>+16(SB)/4, $0
DATA sPerm<>+20(SB)/4, $2
DATA sPerm<>+24(SB)/4, $4
DATA sPerm<>+28(SB)/4, $6
GLOBL sPerm<>(SB), RODATA|NOPTR, $32
DATA sNeg0<>+0(SB)/4, $0x80000000
DATA sNeg0<>+4(SB)/4, $0x80000000
DATA sNeg0<>+8(SB)/4, $0x80000000
DATA sNeg0<>+12(SB)/4, $0x80000000
GLOBL sNeg0<>(SB), RODATA|NOPTR, $16 // −0: the sign bit
DATA sBias<>+0(SB)/4, $1023
DATA sBias<>+4(SB)/4, $1023
DATA sBias<>+8(SB)/4, $1023
DATA sBias<>+12(SB)/4, $1023
DATA sBias<>+16(SB)/4, $1023
DATA sBias<>+20(SB)/4, $1023
DATA sBias<>+24(SB)/4, $1023
DATA sBias<>+28(SB)/4, $1023
GLOBL sBias<>(SB), RODATA|NOPTR, $32 // the float64 exponent bias
DATA sMask31<>+0(SB)/4, $31
DATA sMask31<>+4(SB)/4, $31
DATA sMask31<>+8(SB)/4, $31
DATA sMask31<>+12(SB)/4, $31
DATA sMask31<>+16(SB)/4, $31
DATA sMask31<>+20(SB)/4, $31
DATA sMask31<>+24(SB)/4, $31
DATA sMask31<>+28(SB)/4, $31
GLOBL sMask31<>(SB), RODATA|NOPTR, $32 // k&31
DATA sLo<>+0(SB)/4, $0xc2d00000
DATA sLo<>+4(SB)/4, $0xc2d00000
DATA sLo<>+8(SB)/4, $0xc2d00000
DATA sLo<>+12(SB)/4, $0xc2d00000
DATA sLo<>+16(SB)/4, $0xc2d00000
DATA sLo<>+20(SB)/4, $0xc2d00000
DATA sLo<>+24(SB)/4, $0xc2d00000
DATA sLo<>+28(SB)/4, $0xc2d00000
GLOBL sLo<>(SB), RODATA|NOPTR, $32 // float32 −104
DATA sHi<>+0(SB)/4, $0x42b1999a
DATA sHi<>+4(SB)/4, $0x42b1999a
DATA sHi<>+8(SB)/4, $0x42b1999a
DATA sHi<>+12(SB)/4, $0x42b1999a
DATA sHi<>+16(SB)/4, $0x42b1999a
DATA sHi<>+20(SB)/4, $0x42b1999a
DATA sHi<>+24(SB)/4, $0x42b1999a
DATA sHi<>+28(SB)/4, $0x42b1999a
GLOBL sHi<>(SB), RODATA|NOPTR, $32 // float32 88.8
DATA sOne<>+0(SB)/4, $0x3f800000
DATA sOne<>+4(SB)/4, $0x3f800000
DATA sOne<>+8(SB)/4, $0x3f800000
DATA sOne<>+12(SB)/4, $0x3f800000
DATA sOne<>+16(SB)/4, $0x3f800000
DATA sOne<>+20(SB)/4, $0x3f800000
DATA sOne<>+24(SB)/4, $0x3f800000
DATA sOne<>+28(SB)/4, $0x3f800000
GLOBL sOne<>(SB), RODATA|NOPTR, $32 // float32 1
DATA sInf<>+0(SB)/4, $0x7f800000
GLOBL sInf<>(SB), RODATA|NOPTR, $4

// func prefetchX86(b []byte)
TEXT ·prefetchX86(SB), NOSPLIT, $0-24
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), CX
	ADDQ SI, CX

pfloop:
	CMPQ       SI, CX
	JAE        pfdone
	PREFETCHT0 (SI)
	ADDQ       $64, SI
	JMP        pfloop

pfdone:
	RET
