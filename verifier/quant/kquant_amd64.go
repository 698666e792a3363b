//go:build !noasm

package quant

import "golang.org/x/sys/cpu"

// kqAsm selects the AVX2 K-quant fitting passes (decided once; tests may
// switch it off): the same float32 operations, 8 lanes at a time, no fused
// multiply-add. The passes are called directly, not through function
// values, so that a kLanes on the stack does not escape.
var kqAsm = cpu.X86.HasAVX2

func kqPrep(k *kLanes, st *kqState) {
	if kqAsm {
		kqPrepAVX2(k, st)
		return
	}
	kqPrepGeneric(k, st)
}

func kqFinal(k *kLanes, dj, dm *[8]float32, nmax int32) {
	if kqAsm {
		kqFinalAVX2(k, dj, dm, nmax)
		return
	}
	kqFinalGeneric(k, dj, dm, nmax)
}

func kqStep(k *kLanes, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32) {
	if kqAsm {
		kqStepAVX2(k, iscale, lo, nmax, sums)
		return
	}
	kqStepGeneric(k, iscale, lo, nmax, sums)
}

func kqErr(k *kLanes, scale, theMin *[8]float32, errs *[8]float32) {
	if kqAsm {
		kqErrAVX2(k, scale, theMin, errs)
		return
	}
	kqErrGeneric(k, scale, theMin, errs)
}

func kqLoop(k *kLanes, st *kqState) {
	if kqAsm {
		kqLoopAVX2(k, st)
		return
	}
	kqLoopGeneric(k, st)
}

//go:noescape
func kqStepAVX2(k *kLanes, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32)

//go:noescape
func kqErrAVX2(k *kLanes, scale, theMin *[8]float32, errs *[8]float32)

//go:noescape
func kqLoopAVX2(k *kLanes, st *kqState)

//go:noescape
func kqPrepAVX2(k *kLanes, st *kqState)

//go:noescape
func kqFinalAVX2(k *kLanes, dj, dm *[8]float32, nmax int32)
