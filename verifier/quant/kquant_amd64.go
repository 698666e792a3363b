//go:build !noasm

package quant

import "golang.org/x/sys/cpu"

// kqAsm selects the assembly K-quant passes (decided once; tests may
// switch it off): with kqAVX512 the prep, search and code passes in
// AVX-512, otherwise the prep's sums and the search in AVX2 on each half
// of kLanes; the same float32 operations per lane, no fused multiply-add.
// The passes are called directly, not through function values, so that a
// kLanes on the stack does not escape.
var (
	kqAsm    = cpu.X86.HasAVX2
	kqAVX512 = kqAsm && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
)

// kqPrep and kqLoop work on the lanes of the n super-blocks only (AVX2:
// 8 lanes per super-block; AVX-512: 16 lanes per pair).
func kqPrep(k *kLanes, st *kqState, src []float32, n int) {
	switch {
	case kqAsm && kqAVX512:
		_ = src[n*QK_K-1]
		kqPrepAVX512(k, st, &src[0], min(n, 2), 0)
		if n > 2 {
			kqPrepAVX512(k, st, &src[2*QK_K], n-2, 1)
		}
	case kqAsm:
		kqLoadGeneric(k, src, n)
		for h := range n {
			kqPrepAVX2(k, st, h)
		}
		kqLiveGeneric(st)
	default:
		kqPrepGeneric(k, st, src, n)
	}
}

func kqLoop(k *kLanes, st *kqState, n int) {
	switch {
	case kqAsm && kqAVX512 && n > 2:
		kqLoop2AVX512(k, st)
	case kqAsm && kqAVX512:
		kqLoopAVX512(k, st)
	case kqAsm:
		for h := range n {
			kqLoopAVX2(k, st, h)
		}
	default:
		kqLoopGeneric(k, st)
	}
}

func kqCodes(x *[QK_K]float32, a *kqCodeArgs, L *[QK_K]uint8) {
	if kqAsm && kqAVX512 {
		kqCodesAVX512(x, a, L)
		return
	}
	kqCodesGeneric(x, a, L)
}

// packQ4_K and packQ5_K store a block's codes (at most nmax) in AVX2.
func packQ4_K(L *[QK_K]uint8, dst []byte) {
	if kqAsm {
		packQ4KAVX2(L, (*[128]byte)(dst[16:144]))
		return
	}
	packQ4KGeneric(L, dst)
}

func packQ5_K(L *[QK_K]uint8, dst []byte) {
	if kqAsm {
		packQ5KAVX2(L, (*[160]byte)(dst[16:176]))
		return
	}
	packQ5KGeneric(L, dst)
}

func qxPrep(q *qxLanes, st *qxState, x *[QK_K]float32) (finite bool) {
	if kqAsm && kqAVX512 {
		return qxPrepAVX512(q, st, x)
	}
	return qxPrepGeneric(q, st, x)
}

// qxLoop runs the AVX-512 search only when every x is finite: it rounds
// in the float domain, which equals nearest_int only while |iscale·x| <
// 2^22 (always so for finite x, since |x| ≤ |max|).
func qxLoop(q *qxLanes, st *qxState, finite bool) {
	if kqAsm && kqAVX512 && finite {
		qxLoopAVX512(q, st)
		return
	}
	qxLoopGeneric(q, st)
}

func qxFinal(q *qxLanes, dj *[16]float32) {
	if kqAsm && kqAVX512 {
		qxFinalAVX512(q, dj)
		return
	}
	qxFinalGeneric(q, dj)
}

func qxPack(q *qxLanes, dst *[192]byte) {
	if kqAsm && kqAVX512 {
		qxPackAVX512(q, dst)
		return
	}
	qxPackGeneric(q, dst)
}

//go:noescape
func qxPrepAVX512(q *qxLanes, st *qxState, x *[QK_K]float32) (finite bool)

//go:noescape
func qxPackAVX512(q *qxLanes, dst *[192]byte)

//go:noescape
func qxLoopAVX512(q *qxLanes, st *qxState)

//go:noescape
func qxFinalAVX512(q *qxLanes, dj *[16]float32)

//go:noescape
func kqPrepAVX512(k *kLanes, st *kqState, src *float32, n, h int)

//go:noescape
func kqLoop2AVX512(k *kLanes, st *kqState)

//go:noescape
func kqPrepAVX2(k *kLanes, st *kqState, h int)

//go:noescape
func kqLoopAVX2(k *kLanes, st *kqState, h int)

//go:noescape
func kqLoopAVX512(k *kLanes, st *kqState)

//go:noescape
func kqCodesAVX512(x *[QK_K]float32, a *kqCodeArgs, L *[QK_K]uint8)

//go:noescape
func packQ4KAVX2(L *[QK_K]uint8, qs *[128]byte)

//go:noescape
func packQ5KAVX2(L *[QK_K]uint8, dst *[160]byte)
