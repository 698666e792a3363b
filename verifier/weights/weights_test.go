package weights

import (
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
)

func tensorBytes(f *gguf.File) uint64 {
	var n uint64
	for _, t := range f.Tensors {
		n += t.Size
	}
	return n
}

var qwenTypes = []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"}

// worstOf returns the largest WorstRatio of rep's tensors.
func worstOf(rep *Report) float64 {
	w := 0.0
	for _, r := range rep.Tensors {
		w = max(w, r.WorstRatio)
	}
	return w
}

func TestCalib(t *testing.T) {
	for _, x := range qwenTypes {
		for _, y := range qwenTypes {
			if x == y {
				continue
			}
			rep := mustCompare(t, shared(t, "qwen2-tiny-"+x+".gguf"), shared(t, "qwen2-tiny-"+y+".gguf"), Options{})
			t.Logf("%s vs %s: %s worst %.3f %v", x, y, rep.Verdict, worstOf(rep), rep.Counts)
			if rep.Verdict == Different {
				t.Logf("  %s", rep.Reason)
			}
		}
	}
}
