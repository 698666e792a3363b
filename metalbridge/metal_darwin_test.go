package metalbridge

import (
	"errors"
	"testing"

	"github.com/proof-of-training/pot/verifier/engine"
)

// metalOrSkip returns the real Metal backend, skipping on a Mac without a
// usable GPU (a VM, a CI runner without one).
func metalOrSkip(t *testing.T) *Backend {
	t.Helper()
	b, dev, err := newMetal()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("no usable Metal GPU (%s): %v", dev, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("GPU %s", dev)
	t.Cleanup(func() { b.Close() })
	return b
}

// TestMetalSelfTest runs the start-up self-test on the real GPU.
func TestMetalSelfTest(t *testing.T) {
	gpu := metalOrSkip(t)
	cpu := engine.NewCPU(0)
	defer cpu.Close()
	res, err := RunSelfTest(gpu, cpu, selfTestSeed)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Checks {
		t.Logf("%-18s %-5s err %.3g (tol %.3g)", c.Op, c.Type, c.Err, c.Tol)
	}
	if !res.OK {
		t.Fatal(res)
	}
}

// TestMetalForward runs the tiny models on the GPU against the CPU, with
// and without streaming (the same cases as TestEmuForward).
func TestMetalForward(t *testing.T) {
	metalOrSkip(t) // skip early without a GPU
	tokens := []int32{1, 15, 200, 33, 7, 99, 250, 3, 42, 17, 5, 88}
	for _, name := range []string{"stories260K.gguf", "qwen2-tiny-Q4_K.gguf"} {
		for _, mode := range []engine.Streaming{engine.StreamOff, engine.StreamOn} {
			cpu := engine.NewCPU(0)
			want := logitsOn(t, name, cpu, mode, tokens)
			cpu.Close()
			got := logitsOn(t, name, metalOrSkip(t), mode, tokens)
			e := relErr(got, want)
			t.Logf("%s streaming %s: max |Δlogit|/rms %.3g", name, mode, e)
			if !(e <= 0.15) {
				t.Errorf("%s streaming %s: error %.3g", name, mode, e)
			}
		}
	}
}
