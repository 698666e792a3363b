//go:build !noasm

package quant

import "golang.org/x/sys/cpu"

// The K-quant fitting passes in AVX2 when the CPU has it (chosen once):
// the same float32 operations, 8 lanes at a time, no fused multiply-add.
var (
	kqStep = pickAVX2(kqStepAVX2, kqStepGeneric)
	kqErr  = pickAVX2(kqErrAVX2, kqErrGeneric)
	kqLoop = pickAVX2(kqLoopAVX2, kqLoopGeneric)
)

func pickAVX2[F any](yes, no F) F {
	if cpu.X86.HasAVX2 {
		return yes
	}
	return no
}

//go:noescape
func kqStepAVX2(k *kLanes, iscale, lo *[8]float32, nmax int32, sums *[3][8]float32)

//go:noescape
func kqErrAVX2(k *kLanes, scale, theMin *[8]float32, errs *[8]float32)

//go:noescape
func kqLoopAVX2(k *kLanes, st *kqState)
