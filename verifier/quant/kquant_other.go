//go:build noasm || !amd64

package quant

// kqAsm is false: the K-quant fitting passes are the Go ones.
var kqAsm = false

func kqStep(k *kLanes, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32) {
	kqStepGeneric(k, iscale, lo, nmax, sums)
}

func kqErr(k *kLanes, scale, theMin *[8]float32, errs *[8]float32) {
	kqErrGeneric(k, scale, theMin, errs)
}

func kqLoop(k *kLanes, st *kqState) { kqLoopGeneric(k, st) }

func kqPrep(k *kLanes, st *kqState) { kqPrepGeneric(k, st) }

func kqFinal(k *kLanes, dj, dm *[8]float32, nmax int32) { kqFinalGeneric(k, dj, dm, nmax) }
