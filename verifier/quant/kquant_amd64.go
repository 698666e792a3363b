//go:build !noasm

package quant

import "golang.org/x/sys/cpu"

// kqAsm selects the assembly K-quant fitting passes (decided once; tests
// may switch it off): AVX2 on each half of kLanes, and the candidate loop
// (the bulk of the work) in AVX-512 when kqAVX512; the same float32
// operations per lane, no fused multiply-add. The passes are called
// directly, not through function values, so that a kLanes on the stack
// does not escape.
var (
	kqAsm    = cpu.X86.HasAVX2
	kqAVX512 = kqAsm && cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
)

func kqPrep(k *kLanes, st *kqState) {
	if !kqAsm {
		kqPrepGeneric(k, st)
		return
	}
	kqPrepAVX2(k, st, 0)
	kqPrepAVX2(k, st, 1)
}

func kqFinal(k *kLanes, dj, dm *[kl]float32, nmax int32) {
	if !kqAsm {
		kqFinalGeneric(k, dj, dm, nmax)
		return
	}
	for h := range 2 {
		kqFinalAVX2(k, h, (*[8]float32)(dj[8*h:]), (*[8]float32)(dm[8*h:]), nmax)
	}
}

func kqStep(k *kLanes, iscale, lo *[kl]float32, nmax int32, sums *[3][kl]float32) {
	if !kqAsm {
		kqStepGeneric(k, iscale, lo, nmax, sums)
		return
	}
	for h := range 2 {
		var s [3][8]float32
		kqStepAVX2(k, h, (*[8]float32)(iscale[8*h:]), (*[8]float32)(lo[8*h:]), nmax, &s)
		for i := range s {
			copy(sums[i][8*h:8*h+8], s[i][:])
		}
	}
}

func kqErr(k *kLanes, scale, theMin *[kl]float32, errs *[kl]float32) {
	if !kqAsm {
		kqErrGeneric(k, scale, theMin, errs)
		return
	}
	for h := range 2 {
		kqErrAVX2(k, h, (*[8]float32)(scale[8*h:]), (*[8]float32)(theMin[8*h:]), (*[8]float32)(errs[8*h:]))
	}
}

func kqLoop(k *kLanes, st *kqState) {
	switch {
	case kqAsm && kqAVX512:
		kqLoopAVX512(k, st)
	case kqAsm:
		kqLoopAVX2(k, st, 0)
		kqLoopAVX2(k, st, 1)
	default:
		kqLoopGeneric(k, st)
	}
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
func kqPrepAVX2(k *kLanes, st *kqState, h int)

//go:noescape
func kqFinalAVX2(k *kLanes, h int, dj, dm *[8]float32, nmax int32)

//go:noescape
func kqStepAVX2(k *kLanes, h int, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32)

//go:noescape
func kqErrAVX2(k *kLanes, h int, scale, theMin *[8]float32, errs *[8]float32)

//go:noescape
func kqLoopAVX2(k *kLanes, st *kqState, h int)

//go:noescape
func kqLoopAVX512(k *kLanes, st *kqState)
