package engine

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
)

// ref is a llama.cpp reference: refs/<name>.json and .logits.f32.
type ref struct {
	Model   string  `json:"model"`
	NTokens int     `json:"n_tokens"`
	NVocab  int     `json:"n_vocab"`
	Tokens  []int32 `json:"tokens"`
	logits  []float32
}

func loadRef(t testing.TB, name string) *ref {
	t.Helper()
	b, err := os.ReadFile(testdata.Path(t, "refs/"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var r ref
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(testdata.Path(t, "refs/"+name+".logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*r.NTokens*r.NVocab || len(r.Tokens) != r.NTokens {
		t.Fatalf("%s: %d bytes for %d×%d", name, len(raw), r.NTokens, r.NVocab)
	}
	r.logits = make([]float32, len(raw)/4)
	for i := range r.logits {
		r.logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &r
}

func openSession(t testing.TB, name string, opt Options) *Session {
	t.Helper()
	f, err := gguf.Open(testdata.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(f, opt)
	if err != nil {
		f.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		f.Close()
	})
	return s
}

// compare returns max |Δlogit|, the fraction of rows with equal argmax and
// the mean total-variation distance between the softmaxes of two
// [n][V] logit arrays.
func compare(got, want []float32, V int) (maxDiff, argmaxAgree, meanTV float64) {
	n := len(want) / V
	agree := 0
	for i := range n {
		g, w := got[i*V:(i+1)*V], want[i*V:(i+1)*V]
		for j := range V {
			maxDiff = max(maxDiff, math.Abs(float64(g[j])-float64(w[j])))
		}
		if argmax(g) == argmax(w) {
			agree++
		}
		pg, pw := softmax64(g), softmax64(w)
		var tv float64
		for j := range V {
			tv += math.Abs(pg[j] - pw[j])
		}
		meanTV += tv / 2
	}
	return maxDiff, float64(agree) / float64(n), meanTV / float64(n)
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

func softmax64(x []float32) []float64 {
	m := float64(x[argmax(x)])
	p := make([]float64, len(x))
	var z float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - m)
		z += p[i]
	}
	for i := range p {
		p[i] /= z
	}
	return p
}

// TestStoriesGreedy: the real trained llama against llama.cpp, every one of
// the 257 positions of the greedy story.
func TestStoriesGreedy(t *testing.T) {
	r := loadRef(t, "stories260K.greedy256")
	s := openSession(t, r.Model, Options{Threads: 2})
	got, err := s.Logits(r.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, agree, tv := compare(got, r.logits, r.NVocab)
	t.Logf("stories260K: max|Δlogit| %.3g, argmax agreement %.4f, mean TV %.3g", maxDiff, agree, tv)
	if maxDiff > 1e-3 {
		t.Errorf("max |Δlogit| = %g > 1e-3", maxDiff)
	}
	if agree != 1 {
		t.Errorf("argmax agreement %.4f, want every position", agree)
	}
	// The story is greedy: each row's argmax is the next token.
	for i := 0; i+1 < r.NTokens; i++ {
		if a := argmax(got[i*r.NVocab : (i+1)*r.NVocab]); int32(a) != r.Tokens[i+1] {
			t.Errorf("position %d: argmax %d, next token %d", i, a, r.Tokens[i+1])
		}
	}
}

// TestQwen2Tiny: the synthetic qwen2 in every weight type against llama.cpp.
// F32 must match to 1e-3; quantized types, whose activations llama.cpp also
// quantizes, must agree on the argmax at ≥ 99% of positions with mean
// total-variation distance ≤ 1e-3.
func TestQwen2Tiny(t *testing.T) {
	for _, typ := range []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"} {
		t.Run(typ, func(t *testing.T) {
			r := loadRef(t, "qwen2-tiny-"+typ)
			s := openSession(t, r.Model, Options{Threads: 2})
			got, err := s.Logits(r.Tokens)
			if err != nil {
				t.Fatal(err)
			}
			maxDiff, agree, tv := compare(got, r.logits, r.NVocab)
			t.Logf("qwen2-tiny-%s: max|Δlogit| %.3g, argmax agreement %.4f, mean TV %.3g", typ, maxDiff, agree, tv)
			if typ == "F32" && maxDiff > 1e-3 {
				t.Errorf("max |Δlogit| = %g > 1e-3", maxDiff)
			}
			if agree < 0.99 {
				t.Errorf("argmax agreement %.4f < 0.99", agree)
			}
			if tv > 1e-3 {
				t.Errorf("mean TV %g > 1e-3", tv)
			}
		})
	}
}

// testReqs are sequences of different lengths cut from the greedy story,
// scored at a few positions each (unsorted, repeated), with reference ids on
// one of them.
func testReqs(r *ref) []Request {
	toks := r.Tokens
	return []Request{
		{Tokens: toks[:40], Positions: []int{0, 10, 39}},
		{Tokens: toks[50:57], Positions: []int{6, 2}, IDs: [][]int32{{1, 2, 3, 300}, {7, 7}}},
		{Tokens: toks[:1], Positions: []int{0, 0}}, // alone: more scored rows than rows
		{Tokens: toks[100:230], Positions: []int{129, 64, 0}, Full: true},
		{Tokens: toks[3:20], Positions: []int{16}},
	}
}

// TestScoreMatchesLogits: Score's log-probs are the log-softmax of the
// Logits path's logits, top ids are sorted, and the masses add up to 1.
func TestScoreMatchesLogits(t *testing.T) {
	r := loadRef(t, "stories260K.greedy256")
	s := openSession(t, r.Model, Options{Threads: 2})
	V := r.NVocab
	reqs := testReqs(r)
	const k = 8
	dists, err := s.Score(reqs, k)
	if err != nil {
		t.Fatal(err)
	}
	for ri, req := range reqs {
		logits, err := s.Logits(req.Tokens)
		if err != nil {
			t.Fatal(err)
		}
		for pi, p := range req.Positions {
			row := logits[p*V : (p+1)*V]
			p64 := softmax64(row)
			d := dists[ri][pi]
			var mass float64
			for i, id := range d.TopIDs {
				want := math.Log(p64[id])
				if math.Abs(float64(d.TopLogProbs[i])-want) > 1e-5 {
					t.Errorf("req %d pos %d: top %d: log p %g, want %g", ri, p, i, d.TopLogProbs[i], want)
				}
				if i > 0 && (row[id] > row[d.TopIDs[i-1]]) {
					t.Errorf("req %d pos %d: top ids not sorted", ri, p)
				}
				mass += p64[id]
			}
			if len(d.TopIDs) != k || int(d.TopIDs[0]) != argmax(row) {
				t.Errorf("req %d pos %d: top ids %v, argmax %d", ri, p, d.TopIDs, argmax(row))
			}
			if tail := math.Exp(float64(d.TailLogProb)); math.Abs(mass+tail-1) > 1e-5 {
				t.Errorf("req %d pos %d: top mass %g + tail %g != 1", ri, p, mass, tail)
			}
			if req.Full {
				for j := range V {
					if math.Abs(float64(d.Full[j])-math.Log(p64[j])) > 1e-4 {
						t.Fatalf("req %d pos %d: full[%d] = %g, want %g", ri, p, j, d.Full[j], math.Log(p64[j]))
					}
				}
			}
			if req.IDs != nil {
				seen := map[int32]bool{}
				var in float64
				for i, id := range req.IDs[pi] {
					if math.Abs(float64(d.IDLogProbs[i])-math.Log(p64[id])) > 1e-5 {
						t.Errorf("req %d pos %d: id %d: log p %g", ri, p, id, d.IDLogProbs[i])
					}
					if !seen[id] {
						in += p64[id]
					}
					seen[id] = true
				}
				if tail := math.Exp(float64(d.IDTailLogProb)); math.Abs(in+tail-1) > 1e-5 {
					t.Errorf("req %d pos %d: id mass %g + tail %g != 1", ri, p, in, tail)
				}
			}
		}
	}
}

// TestDeterminism: bitwise-identical results for 1 and 2 threads, for a
// batch of several sequences and each alone, for tiny batch limits, and
// with layer streaming on.
func TestDeterminism(t *testing.T) {
	for _, model := range []string{"stories260K.greedy256", "qwen2-tiny-Q4_K"} {
		t.Run(model, func(t *testing.T) {
			r := loadRef(t, model)
			var reqs []Request
			if r.NTokens >= 230 {
				reqs = testReqs(r)
			} else { // qwen2-tiny: 16 tokens
				reqs = []Request{
					{Tokens: r.Tokens, Positions: []int{0, 7, 15}, Full: true},
					{Tokens: r.Tokens[3:9], Positions: []int{5, 1}, IDs: [][]int32{{1, 2}, {511}}},
					{Tokens: r.Tokens[:1], Positions: []int{0, 0}},
				}
			}
			const k = 10
			base, err := openSession(t, r.Model, Options{Threads: 2}).Score(reqs, k)
			if err != nil {
				t.Fatal(err)
			}
			variants := map[string]Options{
				"threads=1":      {Threads: 1},
				"streaming":      {Threads: 2, Streaming: StreamOn},
				"batch=1token":   {Threads: 2, MaxBatchTokens: 1},
				"stream+batch=7": {Threads: 1, Streaming: StreamOn, MaxBatchTokens: 7},
			}
			for name, opt := range variants {
				got, err := openSession(t, r.Model, opt).Score(reqs, k)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, base) {
					t.Errorf("%s differs from the 2-thread batched run", name)
				}
			}
			s := openSession(t, r.Model, Options{Threads: 2})
			for i := range reqs {
				alone, err := s.Score(reqs[i:i+1], k)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(alone[0], base[i]) {
					t.Errorf("request %d alone differs from in the batch", i)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	s := openSession(t, "stories260K.gguf", Options{Threads: 1})
	ok := []int32{1, 2, 3}
	long := make([]int32, s.Config().ContextLength+1)
	tests := []struct {
		name string
		reqs []Request
		topK int
		msg  string
	}{
		{"no requests", nil, 1, "no requests"},
		{"empty tokens", []Request{{Positions: []int{0}}}, 1, "no tokens"},
		{"too long", []Request{{Tokens: long, Positions: []int{0}}}, 1, "context length"},
		{"token too big", []Request{{Tokens: []int32{1, 512}, Positions: []int{0}}}, 1, "token 512 at index 1"},
		{"negative token", []Request{{Tokens: []int32{-1}, Positions: []int{0}}}, 1, "token -1"},
		{"no positions", []Request{{Tokens: ok}}, 1, "no positions"},
		{"position past end", []Request{{Tokens: ok, Positions: []int{3}}}, 1, "position 3"},
		{"negative position", []Request{{Tokens: ok, Positions: []int{-1}}}, 1, "position -1"},
		{"ids count", []Request{{Tokens: ok, Positions: []int{0}, IDs: [][]int32{{1}, {2}}}}, 1, "id lists"},
		{"bad id", []Request{{Tokens: ok, Positions: []int{0}, IDs: [][]int32{{600}}}}, 1, "id 600"},
		{"topK too big", []Request{{Tokens: ok, Positions: []int{0}}}, 513, "topK"},
		{"topK negative", []Request{{Tokens: ok, Positions: []int{0}}}, -1, "topK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Score(tc.reqs, tc.topK)
			if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want ErrBadInput mentioning %q", err, tc.msg)
			}
		})
	}
	if _, err := s.Logits(nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("Logits(nil): err = %v", err)
	}
}

// TestTopKEdges: topK 0 leaves all mass in the tail; topK = vocabulary
// leaves none.
func TestTopKEdges(t *testing.T) {
	s := openSession(t, "stories260K.gguf", Options{Threads: 1})
	reqs := []Request{{Tokens: []int32{1, 403, 407}, Positions: []int{2}}}
	d, err := s.Score(reqs, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d[0][0].TopIDs) != 0 || d[0][0].TailLogProb != 0 {
		t.Errorf("topK 0: %+v", d[0][0])
	}
	d, err = s.Score(reqs, 512)
	if err != nil {
		t.Fatal(err)
	}
	if len(d[0][0].TopIDs) != 512 || !math.IsInf(float64(d[0][0].TailLogProb), -1) {
		t.Errorf("topK 512: %d ids, tail %g", len(d[0][0].TopIDs), d[0][0].TailLogProb)
	}
}

// TestStreamingChoice: auto streams exactly when the file exceeds the
// memory budget; on and off override it.
func TestStreamingChoice(t *testing.T) {
	tests := []struct {
		opt  Options
		want bool
	}{
		{Options{MemoryBudget: 600 << 10}, true}, // stories260K is 1.1 MB
		{Options{MemoryBudget: 1 << 40}, false},
		{Options{}, false}, // 3/4 of physical memory
		{Options{Streaming: StreamOn, MemoryBudget: 1 << 40}, true},
		{Options{Streaming: StreamOff, MemoryBudget: 600 << 10}, false},
	}
	for _, tc := range tests {
		if got := openSession(t, "stories260K.gguf", tc.opt).Streaming(); got != tc.want {
			t.Errorf("%+v: streaming %v, want %v", tc.opt, got, tc.want)
		}
	}
	// A budget too small for the activations of a long request is an
	// input error, not an allocation.
	s := openSession(t, "stories260K.gguf", Options{MemoryBudget: 400 << 10, Streaming: StreamOff})
	if _, err := s.Logits(make([]int32, 8)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Logits(make([]int32, 2000)); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("2000 tokens in 400 KiB: err = %v", err)
	}
	if physicalMemory() <= 0 && (runtime.GOOS == "linux" || runtime.GOOS == "darwin") {
		t.Error("physical memory unknown")
	}
}

// TestTinyBudget: a budget below one token's activations is refused at Load.
func TestTinyBudget(t *testing.T) {
	f, err := gguf.Open(testdata.Path(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Load(f, Options{MemoryBudget: 1000}); err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("err = %v", err)
	}
}

// TestYield: Options.Yield runs after every layer of every batch, streaming
// or not, and does not change what is computed.
func TestYield(t *testing.T) {
	f, err := gguf.Open(testdata.Path(t, "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reqs := []Request{{Tokens: []int32{1, 30, 40, 50, 60}, Positions: []int{3, 4}}, {Tokens: []int32{1, 70, 80}, Positions: []int{2}}}
	var want [][]Dist
	for _, mode := range []Streaming{StreamOff, StreamOn} {
		calls := 0
		s, err := Load(f, Options{Threads: 2, Streaming: mode, MaxBatchTokens: 5, Yield: func() { calls++ }})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Score(reqs, 4)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		// Two batches (5 tokens at most each) through every layer.
		if wantCalls := 2 * s.Config().Layers; calls != wantCalls {
			t.Errorf("streaming %v: Yield called %d times, want %d", mode, calls, wantCalls)
		}
		if want == nil {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("streaming %v: results differ", mode)
		}
	}
}

// TestSlicedOutput: streaming computes the output projection in vocabulary
// slices; whatever the slice size (dividing the vocabulary of 512 or not,
// one row, all rows or more), the logits are bitwise those of normal mode.
func TestSlicedOutput(t *testing.T) {
	for _, model := range []string{"stories260K.greedy256", "qwen2-tiny-Q4_K", "qwen2-tiny-F16", "qwen2-tiny-Q8_0"} {
		t.Run(model, func(t *testing.T) {
			r := loadRef(t, model)
			tokens := r.Tokens[:min(len(r.Tokens), 40)]
			want, err := openSession(t, r.Model, Options{Threads: 2, Streaming: StreamOff}).Logits(tokens)
			if err != nil {
				t.Fatal(err)
			}
			s := openSession(t, r.Model, Options{Threads: 2, Streaming: StreamOn})
			if n := len(s.w.outSlices); n != 1 { // 8 MiB slices: one for a tiny model
				t.Errorf("%d output slices by default, want 1", n)
			}
			for _, rows := range []int{48, 64, 1, 500, 512, 1000} {
				if err := s.sliceOutput(rows); err != nil {
					t.Fatal(err)
				}
				if n, wantN := len(s.w.outSlices), (r.NVocab+rows-1)/rows; n != wantN {
					t.Errorf("%d rows: %d slices, want %d", rows, n, wantN)
				}
				got, err := s.Logits(tokens)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%d-row slices: logits differ from normal mode", rows)
				}
			}
		})
	}
}

// TestOutSliceRows: slices are about outSliceBytes, a multiple of
// outSliceAlign rows, never empty.
func TestOutSliceRows(t *testing.T) {
	for _, tc := range []struct {
		rowBytes int64
		want     int
	}{
		{952, 8784},   // Q8_0, E = 896: 8 MiB / 952 = 8811 rows
		{1792, 4656},  // F16, E = 896
		{256, 32736},  // F32, E = 64
		{1 << 30, 48}, // huge rows: one multiple
	} {
		if got := outSliceRows(tc.rowBytes); got != tc.want {
			t.Errorf("outSliceRows(%d) = %d, want %d", tc.rowBytes, got, tc.want)
		}
	}
}
