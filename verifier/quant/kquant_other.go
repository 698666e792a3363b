//go:build noasm || !amd64

package quant

var (
	kqStep = kqStepGeneric
	kqErr  = kqErrGeneric
	kqLoop = kqLoopGeneric
)
