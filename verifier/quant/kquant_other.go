//go:build noasm || !amd64

package quant

// kqAsm and kqAVX512 are false: the K-quant fitting passes are the Go ones.
var kqAsm, kqAVX512 = false, false

func kqStep(k *kLanes, iscale, lo *[kl]float32, nmax int32, sums *[3][kl]float32) {
	kqStepGeneric(k, iscale, lo, nmax, sums)
}

func kqErr(k *kLanes, scale, theMin *[kl]float32, errs *[kl]float32) {
	kqErrGeneric(k, scale, theMin, errs)
}

func kqLoop(k *kLanes, st *kqState) { kqLoopGeneric(k, st) }

func kqPrep(k *kLanes, st *kqState) { kqPrepGeneric(k, st) }

func kqFinal(k *kLanes, dj, dm *[kl]float32, nmax int32) { kqFinalGeneric(k, dj, dm, nmax) }

func qxPrep(q *qxLanes, st *qxState, x *[QK_K]float32) bool { return qxPrepGeneric(q, st, x) }

func qxPack(q *qxLanes, dst *[192]byte) { qxPackGeneric(q, dst) }

func qxLoop(q *qxLanes, st *qxState, _ bool) { qxLoopGeneric(q, st) }

func qxFinal(q *qxLanes, dj *[16]float32) { qxFinalGeneric(q, dj) }
