package metalbridge

import (
	"errors"
	"math"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/gguf"
)

// logitsOn returns the logits of every position of tokens for model name
// run on be (closed by the caller), with the given streaming mode.
func logitsOn(t *testing.T, name string, be engine.Backend, mode engine.Streaming, tokens []int32) []float32 {
	t.Helper()
	f, err := gguf.Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := engine.Load(f, engine.Options{Backend: be, Streaming: mode, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Streaming(); got != (mode == engine.StreamOn) {
		t.Fatalf("streaming %v", got)
	}
	l, err := s.Logits(tokens)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestEmuForward runs whole models through the engine on the emulated
// Metal backend, with and without layer streaming, and compares every
// position's logits with the CPU backend: the forward pass, weight
// wrapping, buffer lookup and command ordering, not just single kernels.
// Sequences of 12 tokens take mul_mm; the last layer's gathered rows and
// the output head take mul_mv.
func TestEmuForward(t *testing.T) {
	tokens := []int32{1, 15, 200, 33, 7, 99, 250, 3, 42, 17, 5, 88}
	for _, c := range []struct {
		model string
		mode  engine.Streaming
		tol   float64 // max |Δlogit| / rms(cpu logits)
	}{
		{"stories260K.gguf", engine.StreamOff, 5e-3},
		{"qwen2-tiny-Q4_K.gguf", engine.StreamOn, 0.15}, // the CPU quantizes activations to Q8_K
		{"qwen2-tiny-F16.gguf", engine.StreamOff, 1e-2},
	} {
		t.Run(c.model, func(t *testing.T) {
			cpu := engine.NewCPU(2)
			defer cpu.Close()
			want := logitsOn(t, c.model, cpu, c.mode, tokens)
			gpu := newEmuBackend(t)
			got := logitsOn(t, c.model, gpu, c.mode, tokens)
			e := relErr(got, want)
			V := len(want) / len(tokens)
			agree := 0
			for i := range tokens {
				if argmax(got[i*V:(i+1)*V]) == argmax(want[i*V:(i+1)*V]) {
					agree++
				}
			}
			t.Logf("%s streaming %s: max |Δlogit|/rms %.3g, argmax agrees at %d/%d positions, %d launches",
				c.model, c.mode, e, agree, len(tokens), gpu.dev.(*emuDevice).launches)
			if !(e <= c.tol) || agree < len(tokens)-1 {
				t.Errorf("error %.3g (tol %.3g), argmax agreement %d/%d", e, c.tol, agree, len(tokens))
			}
		})
	}
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// TestOpenFallback checks backend selection where Metal is missing (it
// always is off a Mac): auto falls back to the CPU and says why, metal
// fails, cpu is the CPU.
func TestOpenFallback(t *testing.T) {
	if _, _, err := newMetal(); err == nil {
		t.Skip("a Metal GPU is present")
	}
	be, ch, err := Open("auto", 1)
	if err != nil || be.Name() != "cpu" || ch.Backend != "cpu" || ch.Note == "" {
		t.Errorf("auto: %v %+v %v", be, ch, err)
	}
	be.Close()
	if _, _, err := Open("metal", 1); !errors.Is(err, ErrUnavailable) {
		t.Errorf("metal: %v", err)
	}
	if _, _, err := Open("gpu", 1); err == nil {
		t.Error("bad name accepted")
	}
	be, ch, err = Open("cpu", 1)
	if err != nil || be.Name() != "cpu" || ch.Note != "" {
		t.Errorf("cpu: %+v %v", ch, err)
	}
	be.Close()
}

// TestEmuBatchInvariance checks engine.Backend's contract on the emulated
// Metal backend: a sequence's log-probabilities are bitwise the same scored
// alone or batched with another; and that SetMatVec(true) breaks it (why it
// is off by default).
func TestEmuBatchInvariance(t *testing.T) {
	f, err := gguf.Open(testdata.Path(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gpu := newEmuBackend(t)
	s, err := engine.Load(f, engine.Options{Backend: gpu, Streaming: engine.StreamOff})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := engine.Request{Tokens: []int32{1, 15, 200, 33, 7}, Positions: []int{1, 4}, Full: true}
	b := engine.Request{Tokens: []int32{1, 99, 250, 3, 42, 17, 5, 88, 9, 100, 11}, Positions: []int{10}, Full: true}
	same := func() bool {
		alone, err := s.Score([]engine.Request{a}, 4)
		if err != nil {
			t.Fatal(err)
		}
		both, err := s.Score([]engine.Request{b, a}, 4)
		if err != nil {
			t.Fatal(err)
		}
		for i := range alone[0] {
			x, y := alone[0][i].Full, both[1][i].Full
			for j := range x {
				if math.Float32bits(x[j]) != math.Float32bits(y[j]) {
					t.Logf("position %d id %d: %v alone, %v batched", a.Positions[i], j, x[j], y[j])
					return false
				}
			}
		}
		return true
	}
	if !same() {
		t.Error("results depend on the batch")
	}
	gpu.SetMatVec(true)
	if same() {
		t.Error("with mul_mv for small batches the results should depend on the batch; is the test blind?")
	}
}
