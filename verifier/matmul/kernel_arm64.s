//go:build !noasm

#include "textflag.h"

// NEON (+ FEAT_DotProd) twin of tileI8Generic, the arm64 counterpart of
// tileI8AVX2 in kernel_amd64.s. Instructions the Go assembler does not know
// are emitted as WORDs by the macros below (encodings from the Arm
// Architecture Reference Manual, register numbers as arguments); the
// per-register repetitions are written out, as Go assembly has no loops.
#define SDOT(d, n, m)   WORD $(0x4E809400 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S += Σ4 Vn.16B·Vm.16B (int8)
#define MLA4S(d, n, m)  WORD $(0x4EA09400 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S += Vn.4S·Vm.4S
#define MUL4S(d, n, m)  WORD $(0x4EA09C00 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn.4S·Vm.4S
#define SSHR16(d, n)    WORD $(0x4F300400 | ((n)<<5) | (d))             // Vd.4S = Vn.4S >> 16 (arithmetic)
#define SMULL(d, n, m)  WORD $(0x0E60C000 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn.4H·Vm.4H (low halves)
#define SMULL2(d, n, m) WORD $(0x4E60C000 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn.8H·Vm.8H (high halves)
#define SCVTF(d, n)     WORD $(0x4E21D800 | ((n)<<5) | (d))             // Vd.4S = float32(Vn.4S)
#define FMUL(d, n, m)   WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn·Vm
#define FADD(d, n, m)   WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn+Vm
#define FMLA(d, n, m)   WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S += Vn·Vm, rounded once
#define FSUB(d, n, m)   WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d)) // Vd.4S = Vn−Vm

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
#define T_GS   424
#define T_EPI  440
#define T_PAIRS 456
#define T_YSTR 464
#define T_DSTR 472
#define T_BSTR 480
#define T_SY0  488
#define T_SY1  512
#define T_OFF  536

// Registers. V0..V7: int32 group sums G[r][g][h] (index 4r+2g+h, h = lanes
// 0..3 or 4..7 of group g); V8..V15: S1 likewise; V16, V17: the 4 codes of
// rows 0, 1 in every lane; V18..V21: activation codes Y[g][h]; V22, V23:
// group scales of rows 0, 1; V24..V31: epilogue temporaries.
#define tile R15
#define wq   R0   // row 0 codes, 4 bytes a step
#define dwq  R1   // row 1 − row 0
#define yq   R2   // group 0 codes of this pair, 32 bytes a step
#define dyq  R3   // group 1 − group 0
#define wsc  R4   // row 0 group scales, 4 bytes a group
#define dwsc R5
#define sblk R6   // superblock index
#define offy R10  // pair offsets: y, d/s/sy, bs
#define offd R11
#define offb R12
#define outp R13  // this pair's out[2][16]
#define npair R14

// func tileI8NEON(t *i8Tile)
TEXT ·tileI8NEON(SB), NOSPLIT, $0-8
	MOVD t+0(FP), tile
	MOVD T_Q0(tile), R16
	MOVD T_Q1(tile), dwq
	SUB  R16, dwq, dwq           // dwq = q1 − q0
	MOVD T_Y0(tile), R16
	MOVD T_Y1(tile), dyq
	SUB  R16, dyq, dyq
	MOVD T_SC0(tile), R16
	MOVD T_SC1(tile), dwsc
	SUB  R16, dwsc, dwsc
	MOVD T_PAIRS(tile), npair
	MOVD $0, offy
	MOVD $0, offd
	MOVD $0, offb
	MOVD T_OUT(tile), outp

pair:
	MOVD T_Q0(tile), wq
	MOVD T_Y0(tile), yq
	ADD  offy, yq, yq
	MOVD T_SC0(tile), wsc
	VEOR V24.B16, V24.B16, V24.B16
	VST1 [V24.S4], (outp)          // out = 0
	ADD  $16, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $32, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $48, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $64, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $80, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $96, outp, R16
	VST1 [V24.S4], (R16)
	ADD  $112, outp, R16
	VST1 [V24.S4], (R16)
	MOVD $0, sblk

superblock:
	MOVD T_NSB(tile), R16
	CMP  R16, sblk
	BGE  nextpair
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	MOVD T_GPB(tile), R8         // groups left in the superblock

group:
	MOVD T_GS(tile), R9
	LSR  $2, R9, R9              // 4-element steps in the group

step:
	VLD1R (wq), [V16.S4]         // w0[e:e+4] in every lane
	ADD   dwq, wq, R16
	VLD1R (R16), [V17.S4]        // w1[e:e+4]
	ADD   $4, wq, wq
	ADD   dyq, yq, R17
	VLD1  (R17), [V20.B16, V21.B16] // y[g1][lanes 0..3], [4..7]
	VLD1.P 32(yq), [V18.B16, V19.B16] // y[g0]
	SDOT(0, 16, 18)
	SDOT(1, 16, 19)
	SDOT(2, 16, 20)
	SDOT(3, 16, 21)
	SDOT(4, 17, 18)
	SDOT(5, 17, 19)
	SDOT(6, 17, 20)
	SDOT(7, 17, 21)
	SUBS  $1, R9, R9
	BNE   step
	VLD1R (wsc), [V22.S4]        // (sc0, sc0) as int16 pair
	ADD   dwsc, wsc, R16
	VLD1R (R16), [V23.S4]
	SSHR16(22, 22)               // sc0 as int32
	SSHR16(23, 23)
	ADD   $4, wsc, wsc
	MLA4S(8, 0, 22)             // S1 += sc_r·G
	MLA4S(9, 1, 22)             // S1 += sc_r·G
	MLA4S(10, 2, 22)             // S1 += sc_r·G
	MLA4S(11, 3, 22)             // S1 += sc_r·G
	MLA4S(12, 4, 23)             // S1 += sc_r·G
	MLA4S(13, 5, 23)             // S1 += sc_r·G
	MLA4S(14, 6, 23)             // S1 += sc_r·G
	MLA4S(15, 7, 23)             // S1 += sc_r·G
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	SUBS  $1, R8, R8
	BNE   group

	// integer corrections
	MOVD T_EPI(tile), R7
	CMP  $1, R7
	BEQ  sums2
	CMP  $4, R7
	BEQ  sums2
	CMP  $5, R7
	BEQ  offy0
	B    fmain

sums2: // S2 (into V0..V7) = Σ_p (m_2p, m_2p+1)·(bsum_2p, bsum_2p+1)
	LSL  $5, sblk, R16
	MOVD T_MIN0(tile), R19
	ADD  R16, R19, R19          // mins0 + 32b
	MOVD T_MIN1(tile), R20
	ADD  R16, R20, R20
	LSL  $8, sblk, R16
	ADD  offb, R16, R16
	MOVD T_BS0(tile), R21
	ADD  R16, R21, R21          // bs0 + pair + 256b
	MOVD T_BS1(tile), R22
	ADD  R16, R22, R22
	MOVD $8, R9

minpair:
	VLD1R (R19), [V24.S4]        // (m_2p, m_2p+1) of row 0 in every lane
	VLD1R (R20), [V25.S4]
	VLD1.P 32(R21), [V26.B16, V27.B16] // bsum pairs of group 0, lanes 0..3, 4..7
	VLD1.P 32(R22), [V28.B16, V29.B16]
	ADD   $4, R19, R19
	ADD   $4, R20, R20
	SMULL(30, 26, 24)
	SMULL2(31, 26, 24)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V0.S4, V0.S4
	SMULL(30, 27, 24)
	SMULL2(31, 27, 24)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V1.S4, V1.S4
	SMULL(30, 28, 24)
	SMULL2(31, 28, 24)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V2.S4, V2.S4
	SMULL(30, 29, 24)
	SMULL2(31, 29, 24)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V3.S4, V3.S4
	SMULL(30, 26, 25)
	SMULL2(31, 26, 25)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V4.S4, V4.S4
	SMULL(30, 27, 25)
	SMULL2(31, 27, 25)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V5.S4, V5.S4
	SMULL(30, 28, 25)
	SMULL2(31, 28, 25)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V6.S4, V6.S4
	SMULL(30, 29, 25)
	SMULL2(31, 29, 25)
	VADDP V31.S4, V30.S4, V30.S4 // pair sums per lane
	VADD  V30.S4, V7.S4, V7.S4
	SUBS  $1, R9, R9
	BNE   minpair
	CMP   $4, R7
	BNE   fmain
	VSUB  V0.S4, V8.S4, V8.S4 // S1 −= S2
	VSUB  V1.S4, V9.S4, V9.S4 // S1 −= S2
	VSUB  V2.S4, V10.S4, V10.S4 // S1 −= S2
	VSUB  V3.S4, V11.S4, V11.S4 // S1 −= S2
	VSUB  V4.S4, V12.S4, V12.S4 // S1 −= S2
	VSUB  V5.S4, V13.S4, V13.S4 // S1 −= S2
	VSUB  V6.S4, V14.S4, V14.S4 // S1 −= S2
	VSUB  V7.S4, V15.S4, V15.S4 // S1 −= S2
	B     fmain

offy0: // S1 −= off·Σy
	MOVD  T_OFF(tile), R16
	VDUP  R16, V24.S4
	LSL   $5, sblk, R16
	ADD   offd, R16, R16
	MOVD  T_SY0(tile), R19
	ADD   R16, R19, R19
	VLD1  (R19), [V26.S4, V27.S4]
	MOVD  T_SY1(tile), R19
	ADD   R16, R19, R19
	VLD1  (R19), [V28.S4, V29.S4]
	MUL4S(26, 26, 24)
	MUL4S(27, 27, 24)
	MUL4S(28, 28, 24)
	MUL4S(29, 29, 24)
	VSUB  V26.S4, V8.S4, V8.S4
	VSUB  V27.S4, V9.S4, V9.S4
	VSUB  V28.S4, V10.S4, V10.S4
	VSUB  V29.S4, V11.S4, V11.S4
	VSUB  V26.S4, V12.S4, V12.S4
	VSUB  V27.S4, V13.S4, V13.S4
	VSUB  V28.S4, V14.S4, V14.S4
	VSUB  V29.S4, V15.S4, V15.S4

fmain: // acc = acc + float32(S1)·(A_r·dy)
	LSL   $3, sblk, R16
	MOVD  T_AB0(tile), R19
	ADD   R16, R19, R19          // &ab0[2b]
	MOVD  T_AB1(tile), R20
	ADD   R16, R20, R20
	VLD1R (R19), [V24.S4]        // A0
	VLD1R (R20), [V25.S4]        // A1
	LSL   $5, sblk, R16
	ADD   offd, R16, R16
	MOVD  T_D0(tile), R21
	ADD   R16, R21, R21
	VLD1  (R21), [V26.S4, V27.S4] // dy of group 0
	MOVD  T_D1(tile), R22
	ADD   R16, R22, R22
	VLD1  (R22), [V28.S4, V29.S4] // dy of group 1
	FMUL(30, 24, 26)
	SCVTF(31, 8)
	FMUL(31, 31, 30)
	ADD   $0, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 27)
	SCVTF(31, 9)
	FMUL(31, 31, 30)
	ADD   $16, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 28)
	SCVTF(31, 10)
	FMUL(31, 31, 30)
	ADD   $32, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 29)
	SCVTF(31, 11)
	FMUL(31, 31, 30)
	ADD   $48, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 26)
	SCVTF(31, 12)
	FMUL(31, 31, 30)
	ADD   $64, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 27)
	SCVTF(31, 13)
	FMUL(31, 31, 30)
	ADD   $80, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 28)
	SCVTF(31, 14)
	FMUL(31, 31, 30)
	ADD   $96, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 29)
	SCVTF(31, 15)
	FMUL(31, 31, 30)
	ADD   $112, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	CMP   $1, R7
	BEQ   fmins
	CMP   $2, R7
	BEQ   flegacy
	ADD   $1, sblk, sblk
	B     superblock

fmins: // acc = acc − float32(S2)·(B_r·dy)
	ADD   $4, R19, R19
	ADD   $4, R20, R20
	VLD1R (R19), [V24.S4]        // B0
	VLD1R (R20), [V25.S4]        // B1
	FMUL(30, 24, 26)
	SCVTF(31, 0)
	FMUL(31, 31, 30)
	ADD   $0, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 27)
	SCVTF(31, 1)
	FMUL(31, 31, 30)
	ADD   $16, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 28)
	SCVTF(31, 2)
	FMUL(31, 31, 30)
	ADD   $32, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 24, 29)
	SCVTF(31, 3)
	FMUL(31, 31, 30)
	ADD   $48, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 26)
	SCVTF(31, 4)
	FMUL(31, 31, 30)
	ADD   $64, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 27)
	SCVTF(31, 5)
	FMUL(31, 31, 30)
	ADD   $80, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 28)
	SCVTF(31, 6)
	FMUL(31, 31, 30)
	ADD   $96, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(30, 25, 29)
	SCVTF(31, 7)
	FMUL(31, 31, 30)
	ADD   $112, outp, R16
	VLD1  (R16), [V30.S4]
	FSUB(30, 30, 31)
	VST1  [V30.S4], (R16)
	ADD   $1, sblk, sblk
	B     superblock

flegacy: // acc = acc + B_r·s
	ADD   $4, R19, R19
	ADD   $4, R20, R20
	VLD1R (R19), [V24.S4]        // B0
	VLD1R (R20), [V25.S4]        // B1
	LSL   $5, sblk, R16
	ADD   offd, R16, R16
	MOVD  T_S0(tile), R21
	ADD   R16, R21, R21
	VLD1  (R21), [V26.S4, V27.S4] // s of group 0
	MOVD  T_S1(tile), R22
	ADD   R16, R22, R22
	VLD1  (R22), [V28.S4, V29.S4]
	FMUL(31, 24, 26)
	ADD   $0, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 24, 27)
	ADD   $16, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 24, 28)
	ADD   $32, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 24, 29)
	ADD   $48, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 25, 26)
	ADD   $64, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 25, 27)
	ADD   $80, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 25, 28)
	ADD   $96, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	FMUL(31, 25, 29)
	ADD   $112, outp, R16
	VLD1  (R16), [V30.S4]
	FADD(30, 30, 31)
	VST1  [V30.S4], (R16)
	ADD   $1, sblk, sblk
	B     superblock

nextpair:
	MOVD  T_YSTR(tile), R16
	ADD   R16, offy, offy
	MOVD  T_DSTR(tile), R16
	ADD   R16, offd, offd
	MOVD  T_BSTR(tile), R16
	ADD   R16, offb, offb
	ADD   $128, outp, outp
	SUBS  $1, npair, npair
	BNE   pair
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

// The float tile's steps, written once for both numerics: MACSEP rounds the
// product, then the sum (tileF32Generic unfused); MACFMA rounds once
// (fma32). acc, w, x are register numbers; V28..V31 hold products.
#define MACSEP(acc, p, w, x) FMUL(p, w, x); FADD(acc, acc, p)
#define MACFMA(acc, p, w, x) FMLA(acc, w, x)

// PAIR: elements e, e+1 of both rows against both groups (x at R2 and
// R2+R3, w0 at R0, w1 at R0+R1); R0 += 8, R2 += 64.
#define PAIR(MAC) \
	ADD   R3, R2, R17; \
	VLD1  (R17), [V20.S4, V21.S4, V22.S4, V23.S4]; \
	VLD1.P 64(R2), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	VLD1R (R0), [V24.S4]; \
	ADD   $4, R0, R16; \
	VLD1R (R16), [V25.S4]; \
	ADD   R1, R0, R16; \
	VLD1R (R16), [V26.S4]; \
	ADD   $4, R16, R16; \
	VLD1R (R16), [V27.S4]; \
	ADD   $8, R0, R0; \
	MAC(0, 28, 24, 16); \
	MAC(1, 29, 25, 18); \
	MAC(2, 30, 24, 17); \
	MAC(3, 31, 25, 19); \
	MAC(4, 28, 24, 20); \
	MAC(5, 29, 25, 22); \
	MAC(6, 30, 24, 21); \
	MAC(7, 31, 25, 23); \
	MAC(8, 28, 26, 16); \
	MAC(9, 29, 27, 18); \
	MAC(10, 30, 26, 17); \
	MAC(11, 31, 27, 19); \
	MAC(12, 28, 26, 20); \
	MAC(13, 29, 27, 22); \
	MAC(14, 30, 26, 21); \
	MAC(15, 31, 27, 23)

// TAIL: the odd last element into the even sums.
#define TAIL(MAC) \
	MAC(0, 28, 24, 16); \
	MAC(2, 28, 24, 17); \
	MAC(4, 28, 24, 20); \
	MAC(6, 28, 24, 21); \
	MAC(8, 28, 26, 16); \
	MAC(10, 28, 26, 17); \
	MAC(12, 28, 26, 20); \
	MAC(14, 28, 26, 21)

// func tileF32NEON(t *fTile)
// V0..V15: accumulators acc[r][g][h][parity] (index 8r+4g+2h+parity, h = lanes
// 0..3 or 4..7); V16..V19: x[g0][e], x[g0][e+1] (two halves each);
// V20..V23: the same for g1; V24..V27: w0[e], w0[e+1], w1[e], w1[e+1];
// V28..V31: products.
TEXT ·tileF32NEON(SB), NOSPLIT, $0-8
	MOVD t+0(FP), R15
	MOVD F_W0(R15), R16
	MOVD F_W1(R15), R1
	SUB  R16, R1, R1               // R1 = w1 − w0
	MOVD F_X0(R15), R16
	MOVD F_X1(R15), R3
	SUB  R16, R3, R3               // R3 = x1 − x0
	MOVD F_OUT(R15), R13           // out of this pair
	MOVD F_PAIRS(R15), R14         // pairs left
	MOVD F_X0(R15), R11            // x0 of this pair

fnext:
	MOVD F_W0(R15), R0             // w0
	MOVD R11, R2                   // x0: element e of 8 lanes at 32e
	MOVD F_W0N(R15), R9            // cols
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	SUBS $2, R9, R9
	BLT  ftail
	MOVBU F_FMA(R15), R17
	CBNZ  R17, fpairf

fpair:
	PAIR(MACSEP)
	SUBS  $2, R9, R9
	BGE   fpair
	B     ftail

fpairf: // fused: every step one FMLA (fma32's bits)
	PAIR(MACFMA)
	SUBS  $2, R9, R9
	BGE   fpairf

ftail:
	CMN   $1, R9                 // one element left (odd cols): it goes to even
	BNE   fsum
	ADD   R3, R2, R17
	VLD1  (R17), [V20.S4, V21.S4]
	VLD1  (R2), [V16.S4, V17.S4]
	VLD1R (R0), [V24.S4]
	ADD   R1, R0, R16
	VLD1R (R16), [V26.S4]
	MOVBU F_FMA(R15), R17
	CBNZ  R17, ftailf
	TAIL(MACSEP)
	B     fsum
ftailf:
	TAIL(MACFMA)

fsum: // out[r][8g+4h ..] = even + odd
	FADD(0, 0, 1)
	ADD   $0, R13, R16
	VST1  [V0.S4], (R16)
	FADD(2, 2, 3)
	ADD   $16, R13, R16
	VST1  [V2.S4], (R16)
	FADD(4, 4, 5)
	ADD   $32, R13, R16
	VST1  [V4.S4], (R16)
	FADD(6, 6, 7)
	ADD   $48, R13, R16
	VST1  [V6.S4], (R16)
	FADD(8, 8, 9)
	ADD   $64, R13, R16
	VST1  [V8.S4], (R16)
	FADD(10, 10, 11)
	ADD   $80, R13, R16
	VST1  [V10.S4], (R16)
	FADD(12, 12, 13)
	ADD   $96, R13, R16
	VST1  [V12.S4], (R16)
	FADD(14, 14, 15)
	ADD   $112, R13, R16
	VST1  [V14.S4], (R16)
	ADD   $128, R13, R13
	MOVD  F_XSTR(R15), R16
	ADD   R16, R11, R11
	SUBS  $1, R14, R14
	BNE   fnext
	RET

// func dot16NEON(a, b []float32, p *[16]float32)
TEXT ·dot16NEON(SB), NOSPLIT, $0-56
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R2
	MOVD b_base+24(FP), R1
	MOVD p+48(FP), R3
	VLD1 (R3), [V0.S4, V1.S4, V2.S4, V3.S4] // p[0:16]
	LSR  $4, R2, R2                // chunks of 16

dotloop:
	VLD1.P 64(R0), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R1), [V16.S4, V17.S4, V18.S4, V19.S4]
	FMUL(20, 4, 16)
	FADD(0, 0, 20)
	FMUL(21, 5, 17)
	FADD(1, 1, 21)
	FMUL(22, 6, 18)
	FADD(2, 2, 22)
	FMUL(23, 7, 19)
	FADD(3, 3, 23)
	SUBS $1, R2, R2
	BNE  dotloop
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R3)
	RET

// func axpy8NEON(alpha float32, x, y []float32)
TEXT ·axpy8NEON(SB), NOSPLIT, $0-56
	FMOVS alpha+0(FP), F0
	VDUP  V0.S[0], V0.S4
	MOVD  x_base+8(FP), R0
	MOVD  x_len+16(FP), R2
	MOVD  y_base+32(FP), R1
	LSR   $3, R2, R2

axpyloop:
	VLD1.P 32(R0), [V1.S4, V2.S4]
	VLD1   (R1), [V3.S4, V4.S4]
	FMUL(1, 0, 1)                  // alpha·x
	FMUL(2, 0, 2)
	FADD(3, 3, 1)                  // y + …
	FADD(4, 4, 2)
	VST1.P [V3.S4, V4.S4], 32(R1)
	SUBS  $1, R2, R2
	BNE   axpyloop
	RET
