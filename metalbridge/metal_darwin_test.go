package metalbridge

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/quant"
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

// BenchmarkMetalMulMM measures the prefill product on the GPU: a
// qwen2.5-0.5B FFN-sized Q4_K weight (4864×896) times 512 rows, the shape
// metalbridge/README.md's throughput estimate is made for. It reports
// GFLOP/s (2·rows·cols·n per product).
func BenchmarkMetalMulMM(b *testing.B) {
	gpu, _, err := newMetal()
	if err != nil {
		b.Skipf("no usable Metal GPU: %v", err)
	}
	defer gpu.Close()
	const rows, cols, n = 4864, 896, 512
	wt, err := RandomWeight(quant.Q4_K, rows, cols, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	w, err := gpu.NewWeight(wt)
	if err != nil {
		b.Fatal(err)
	}
	x, y := gpu.Alloc(n*cols), gpu.Alloc(n*rows)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	const perSync = 16 // products per command-buffer wait
	b.ResetTimer()
	for range b.N {
		for range perSync {
			gpu.MatMul(x, n, []engine.Weight{w}, [][]float32{y})
		}
		if err := gpu.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(2*rows*cols*n*perSync*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
