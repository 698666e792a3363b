package engine

import (
	"math/rand/v2"
	"testing"
)

// benchScore scores batch random sequences of seq tokens at their last
// scored positions, top-16, and reports prefill tokens per second of wall
// time and per CPU-second.
func benchScore(b *testing.B, file string, opt Options, batch, seq, scored int) {
	s := openSession(b, file, opt)
	rng := rand.New(rand.NewPCG(1, 2))
	reqs := make([]Request, batch)
	for i := range reqs {
		toks := make([]int32, seq)
		for j := range toks {
			toks[j] = int32(rng.IntN(s.Config().Vocab))
		}
		pos := make([]int, scored)
		for j := range pos {
			pos[j] = seq - scored + j
		}
		reqs[i] = Request{Tokens: toks, Positions: pos}
	}
	if _, err := s.Score(reqs, 16); err != nil {
		b.Fatal(err)
	}
	c0 := cpuTime()
	for b.Loop() {
		if _, err := s.Score(reqs, 16); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch*seq)/b.Elapsed().Seconds(), "tok/s")
	if c := cpuTime() - c0; c > 0 {
		// Tokens per CPU-second: comparable on a machine shared with other work.
		b.ReportMetric(float64(b.N*batch*seq)/c.Seconds(), "tok/cpu-s")
	}
}

func BenchmarkStories(b *testing.B) {
	benchScore(b, "stories260K.gguf", Options{}, 8, 256, 32)
}

func BenchmarkStoriesStreaming(b *testing.B) {
	benchScore(b, "stories260K.gguf", Options{Streaming: StreamOn}, 8, 256, 32)
}

func BenchmarkQwen2TinyQ4K(b *testing.B) {
	benchScore(b, "qwen2-tiny-Q4_K.gguf", Options{}, 8, 128, 16)
}

func BenchmarkQwen2TinyQ8(b *testing.B) {
	benchScore(b, "qwen2-tiny-Q8_0.gguf", Options{}, 8, 128, 16)
}

func BenchmarkQwen2TinyF32(b *testing.B) {
	benchScore(b, "qwen2-tiny-F32.gguf", Options{}, 8, 128, 16)
}

// BenchmarkLogSoftmax: one row of a Qwen2-size vocabulary, as the reference
// (top-16) and as a candidate (the reference's 16 ids too).
func BenchmarkLogSoftmax(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	logits := make([]float32, 151936)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64() * 3)
	}
	ids := make([]int32, 16)
	for i := range ids {
		ids[i] = int32(rng.IntN(len(logits)))
	}
	for _, c := range []struct {
		name string
		ids  bool
	}{{"reference", false}, {"candidate", true}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := logSoftmax(logits, 16, ids, c.ids, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
