//go:build noasm || !amd64

package quant

// kqAsm and kqAVX512 are false: the K-quant fitting passes are the Go ones.
var kqAsm, kqAVX512 = false, false

func kqLoop(k *kLanes, st *kqState, _ int) { kqLoopGeneric(k, st) }

func kqPrep(k *kLanes, st *kqState, src []float32, n int) { kqPrepGeneric(k, st, src, n) }

func kqCodes(x *[QK_K]float32, a *kqCodeArgs, L *[QK_K]uint8) { kqCodesGeneric(x, a, L) }

func qxPrep(q *qxLanes, st *qxState, x *[QK_K]float32) bool { return qxPrepGeneric(q, st, x) }

func qxPack(q *qxLanes, dst *[192]byte) { qxPackGeneric(q, dst) }

func qxLoop(q *qxLanes, st *qxState, _ bool) { qxLoopGeneric(q, st) }

func qxFinal(q *qxLanes, dj *[16]float32) { qxFinalGeneric(q, dj) }

func packQ4_K(L *[QK_K]uint8, dst []byte) { packQ4KGeneric(L, dst) }

func packQ5_K(L *[QK_K]uint8, dst []byte) { packQ5KGeneric(L, dst) }
