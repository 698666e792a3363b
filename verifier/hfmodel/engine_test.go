package hfmodel

import (
	"slices"
	"testing"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/gguf"
)

// TestEngineStreams runs the forward pass on each directory, whole and
// layer-streamed (derived tensors in memory and in the spill file), and
// checks the logits are bitwise those of llama.cpp's conversion of it.
func TestEngineStreams(t *testing.T) {
	toks := []int32{1, 5, 77, 300, 411, 42, 9, 260}
	logits := func(t *testing.T, f *gguf.File, mode engine.Streaming) []float32 {
		t.Helper()
		s, err := engine.Load(f, engine.Options{Threads: 1, Streaming: mode})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := s.Logits(toks)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, p := range pairs {
		t.Run(p.dir, func(t *testing.T) {
			h, e := openPair(t, p.dir, p.expected, options{tempDir: t.TempDir(), spillAbove: 0})
			want := logits(t, e, engine.StreamOff)
			for _, mode := range []engine.Streaming{engine.StreamOff, engine.StreamOn} {
				if got := logits(t, h, mode); !slices.Equal(got, want) {
					t.Errorf("streaming %s: logits differ from the conversion's", mode)
				}
			}
		})
	}
}
