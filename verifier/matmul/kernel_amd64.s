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
#define T_NSB  392
#define T_GPB  400
#define T_SPM  416
#define T_EPI  424
#define T_CPG  432

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

// LOADSTEP: Y8, Y9 = the 4 signed codes of rows 0, 1 broadcast to every lane;
// Y10, Y11 = their absolute values (as unsigned bytes); Y12, Y13 = the codes of
// the same 4 elements of the 8 vectors of groups 0, 1.
#define LOADSTEP \
	VPBROADCASTD (wq), Y8          \ // Y8 = w0[e:e+4] in every lane
	VPBROADCASTD (wq)(dwq*1), Y9   \ // Y9 = w1[e:e+4]
	VPABSB       Y8, Y10           \ // Y10 = |w0| (128 stays 0x80 = 128 unsigned)
	VPABSB       Y9, Y11           \ // Y11 = |w1|
	VMOVDQU      (yq), Y12         \ // Y12 = y[g0][lane][e:e+4]
	VMOVDQU      (yq)(dyq*1), Y13  \ // Y13 = y[g1][lane][e:e+4]
	ADDQ         $4, wq            \
	ADDQ         $32, yq

// PROD(ws, wa, ya, t): t = int16 pairs of w·y = |w|·sign(y, w).
#define PROD(ws, wa, ya, t) \
	VPSIGNB    ws, ya, t \ // t = y with the sign of w (0 where w = 0)
	VPMADDUBSW t, wa, t    // t[k] = |w|[2k]·t[2k] + |w|[2k+1]·t[2k+1] (no saturation: bounded)

// func tileI8AVX2(t *i8Tile)
TEXT ·tileI8AVX2(SB), NOSPLIT, $32-8
	MOVQ t+0(FP), tile
	MOVQ T_Q0(tile), wq
	MOVQ T_Q1(tile), dwq
	SUBQ wq, dwq
	MOVQ T_Y0(tile), yq
	MOVQ T_Y1(tile), dyq
	SUBQ yq, dyq
	MOVQ T_SC0(tile), wsc
	MOVQ T_SC1(tile), dwsc
	SUBQ wsc, dwsc
	// out = 0
	MOVQ    T_OUT(tile), AX
	VPXOR   Y0, Y0, Y0
	VMOVDQU Y0, 0(AX)
	VMOVDQU Y0, 32(AX)
	VMOVDQU Y0, 64(AX)
	VMOVDQU Y0, 96(AX)
	XORQ    sblk, sblk

superblock:
	CMPQ  sblk, T_NSB(tile)
	JGE   done
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

step1:
	LOADSTEP
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

group16: // spm > 1: sum spm steps in int16 (Y4..Y7), then widen with the group scale.
	MOVQ T_CPG(tile), CX           // int16 partial sums in this group

chunk16:
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  T_SPM(tile), DX

step16:
	LOADSTEP
	PROD(Y8, Y10, Y12, Y14)
	VPADDW Y14, Y4, Y4             // P[0][0] += … (int16, bounded by spm)
	PROD(Y8, Y10, Y13, Y15)
	VPADDW Y15, Y5, Y5
	PROD(Y9, Y11, Y12, Y14)
	VPADDW Y14, Y6, Y6
	PROD(Y9, Y11, Y13, Y15)
	VPADDW Y15, Y7, Y7
	DECQ   DX
	JNZ    step16
	VPBROADCASTD (wsc), Y14        // (sc0, sc0)
	VPBROADCASTD (wsc)(dwsc*1), Y15 // (sc1, sc1)
	VPMADDWD     Y14, Y4, Y4       // int32 sc0·(P pair sums)
	VPADDD       Y4, Y0, Y0
	VPMADDWD     Y14, Y5, Y5
	VPADDD       Y5, Y1, Y1
	VPMADDWD     Y15, Y6, Y6
	VPADDD       Y6, Y2, Y2
	VPMADDWD     Y15, Y7, Y7
	VPADDD       Y7, Y3, Y3
	DECQ         CX
	JNZ          chunk16
	ADDQ         $4, wsc
	DECQ         BX
	JNZ          group16

epilogue:
	// acc[r][g] = acc + float32(S1[r][g])·(A_r·dy_g), in memory at out.
	MOVQ         sblk, AX
	SHLQ         $3, AX            // AX = 8b: byte offset of (A, B) in ab
	MOVQ         sblk, DX
	SHLQ         $5, DX            // DX = 32b: byte offset of d[b][0:8]
	MOVQ         T_AB0(tile), CX
	VBROADCASTSS (CX)(AX*1), Y8    // A0
	MOVQ         T_AB1(tile), CX
	VBROADCASTSS (CX)(AX*1), Y9    // A1
	MOVQ         T_D0(tile), CX
	VMOVUPS      (CX)(DX*1), Y10   // dy of group 0
	MOVQ         T_D1(tile), CX
	VMOVUPS      (CX)(DX*1), Y11   // dy of group 1
	MOVQ         T_OUT(tile), CX
	VMULPS       Y10, Y8, Y12      // A0·dy0
	VCVTDQ2PS    Y0, Y13           // float32(S1[0][0])
	VMULPS       Y12, Y13, Y13
	VADDPS       0(CX), Y13, Y13   // acc + …
	VMOVUPS      Y13, 0(CX)
	VMULPS       Y11, Y8, Y12      // A0·dy1
	VCVTDQ2PS    Y1, Y13
	VMULPS       Y12, Y13, Y13
	VADDPS       32(CX), Y13, Y13
	VMOVUPS      Y13, 32(CX)
	VMULPS       Y10, Y9, Y12      // A1·dy0
	VCVTDQ2PS    Y2, Y13
	VMULPS       Y12, Y13, Y13
	VADDPS       64(CX), Y13, Y13
	VMOVUPS      Y13, 64(CX)
	VMULPS       Y11, Y9, Y12      // A1·dy1
	VCVTDQ2PS    Y3, Y13
	VMULPS       Y12, Y13, Y13
	VADDPS       96(CX), Y13, Y13
	VMOVUPS      Y13, 96(CX)
	MOVQ         T_EPI(tile), BX
	CMPQ         BX, $1
	JEQ          mins
	CMPQ         BX, $2
	JEQ          legacy
	INCQ         sblk
	JMP          superblock

mins:
	// S2[r][g] = Σ_p (m_2p, m_2p+1)·(bsum_2p, bsum_2p+1); acc -= float32(S2)·(B_r·dy_g).
	// SI, DI, R8, R9 are borrowed: save the streaming pointers.
	MOVQ  wq, savewq-8(SP)
	MOVQ  dwq, savedwq-16(SP)
	MOVQ  yq, saveyq-24(SP)
	MOVQ  dyq, savedyq-32(SP)
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	MOVQ  T_MIN0(tile), SI
	MOVQ  T_MIN1(tile), DI
	ADDQ  AX, SI
	ADDQ  AX, SI
	ADDQ  AX, SI
	ADDQ  AX, SI                   // SI = mins0 + 32b
	ADDQ  AX, DI
	ADDQ  AX, DI
	ADDQ  AX, DI
	ADDQ  AX, DI                   // DI = mins1 + 32b
	MOVQ  T_BS0(tile), R8
	MOVQ  T_BS1(tile), R9
	MOVQ  DX, BX
	SHLQ  $3, BX                   // BX = 256b
	ADDQ  BX, R8                   // bs0 + 256b
	ADDQ  BX, R9                   // bs1 + 256b
	MOVQ  $8, BX

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
	DECQ         BX
	JNZ          minpair
	MOVQ         T_AB0(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y8   // B0
	MOVQ         T_AB1(tile), BX
	VBROADCASTSS 4(BX)(AX*1), Y9   // B1
	JMP          minsfloat

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

minsfloat:
	// restore the clobbered row/group pointers, then acc -= float32(S2)·(B·dy)
	MOVQ      T_D0(tile), BX
	VMOVUPS   (BX)(DX*1), Y10      // dy0
	MOVQ      T_D1(tile), BX
	VMOVUPS   (BX)(DX*1), Y11      // dy1
	VMULPS    Y10, Y8, Y12         // B0·dy0
	VCVTDQ2PS Y4, Y13
	VMULPS    Y12, Y13, Y13
	VMOVUPS   0(CX), Y14
	VSUBPS    Y13, Y14, Y14        // acc − …
	VMOVUPS   Y14, 0(CX)
	VMULPS    Y11, Y8, Y12         // B0·dy1
	VCVTDQ2PS Y5, Y13
	VMULPS    Y12, Y13, Y13
	VMOVUPS   32(CX), Y14
	VSUBPS    Y13, Y14, Y14
	VMOVUPS   Y14, 32(CX)
	VMULPS    Y10, Y9, Y12         // B1·dy0
	VCVTDQ2PS Y6, Y13
	VMULPS    Y12, Y13, Y13
	VMOVUPS   64(CX), Y14
	VSUBPS    Y13, Y14, Y14
	VMOVUPS   Y14, 64(CX)
	VMULPS    Y11, Y9, Y12         // B1·dy1
	VCVTDQ2PS Y7, Y13
	VMULPS    Y12, Y13, Y13
	VMOVUPS   96(CX), Y14
	VSUBPS    Y13, Y14, Y14
	VMOVUPS   Y14, 96(CX)
	MOVQ      savewq-8(SP), wq
	MOVQ      savedwq-16(SP), dwq
	MOVQ      saveyq-24(SP), yq
	MOVQ      savedyq-32(SP), dyq
	INCQ      sblk
	JMP       superblock

done:
	VZEROUPPER
	RET
