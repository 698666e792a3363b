package weights

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// patchQ8 returns a copy of f in which blocks of the Q8_0 tensor name are
// changed by patch(block bytes, the block's reference values from ref).
func patchQ8(t *testing.T, f, ref *gguf.File, path, name string, patch func(blk []byte, x []float32, k int)) *gguf.File {
	t.Helper()
	ws := f.WriterTensors()
	for i := range ws {
		ti := &f.Tensors[i]
		if ti.Name != name {
			continue
		}
		if ti.Type != quant.Q8_0 {
			t.Fatalf("%s is %s", name, ti.Type)
		}
		rt, _ := ref.Tensor(name)
		x := make([]float32, rt.Elements())
		if err := quant.Dequantize(rt.Type, ref.TensorData(rt), x); err != nil {
			t.Fatal(err)
		}
		data := append([]byte(nil), f.TensorData(ti)...)
		for k := 0; k < len(data)/34; k++ {
			patch(data[34*k:34*(k+1)], x[32*k:32*(k+1)], k)
		}
		ws[i].Data = func(w io.Writer) error { _, err := w.Write(data); return err }
	}
	return writeTensors(t, f.KV, ws, path)
}

// nudge moves, in block k, the code whose rounding was closest to a tie one
// step the other way: the alternative rounding a different quantizer build
// could produce, costing almost nothing in accuracy.
func nudge(blocks ...int) func(blk []byte, x []float32, k int) {
	return func(blk []byte, x []float32, k int) {
		for _, want := range blocks {
			if k != want {
				continue
			}
			d := quant.F16ToF32(binary.LittleEndian.Uint16(blk))
			best, bestErr := 0, -1.0
			for i, v := range x {
				q := int8(blk[2+i])
				if e := math.Abs(float64(v - d*float32(q))); e > bestErr && q > -127 && q < 127 {
					best, bestErr = i, e
				}
			}
			q := int8(blk[2+best])
			if x[best] > d*float32(q) {
				q++
			} else {
				q--
			}
			blk[2+best] = byte(q)
		}
	}
}

// A few blocks rounded the other way keep a requantization exact; one block
// overwritten is an edit even though the rest of the tensor is faithful;
// in the same type, rounding-only differences are not proof of anything.
func TestRoundingAllowance(t *testing.T) {
	const name = "blk.0.attn_q.weight" // 2048 Q8_0 blocks
	dir := t.TempDir()
	f32 := shared(t, "qwen2-tiny-F32.gguf")
	q8 := shared(t, "qwen2-tiny-Q8_0.gguf")
	smash := func(blk []byte, x []float32, k int) {
		if k == 100 {
			for i := 2; i < 34; i++ {
				blk[i] = 0x7f
			}
		}
	}
	cases := []struct {
		name    string
		a       *gguf.File
		patch   func([]byte, []float32, int)
		class   Class
		verdict Verdict
		diff    int64
	}{
		{"one rounding flip", f32, nudge(7), ExactRequant, Faithful, 1},
		{"two rounding flips", f32, nudge(7, 1500), ExactRequant, Faithful, 2},
		{"too many flips", f32, nudge(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), ConsistentWithQuantization, Inconclusive, 10},
		{"one block smashed", f32, smash, Changed, Different, 1},
		{"same type flip", q8, nudge(7), ConsistentWithQuantization, Inconclusive, 1},
		{"same type smashed", q8, smash, Changed, Different, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := patchQ8(t, q8, f32, filepath.Join(dir, string(rune('a'+i))+".gguf"), name, c.patch)
			rep := mustCompare(t, c.a, b, Options{})
			r := result(t, rep, name)
			if r.Class != c.class || r.DiffBlocks != c.diff || rep.Verdict != c.verdict {
				t.Errorf("%s %d diff blocks, verdict %s; want %s %d, %s (%s)", r.Class, r.DiffBlocks, rep.Verdict, c.class, c.diff, c.verdict, r.Detail)
			}
			t.Logf("%s: local rel err %.3g, rel %.4g: %s", r.Class, r.LocalRelErr, r.RelErr, r.Detail)
		})
	}
}

// Results depend neither on the thread count nor (beyond float summation
// order) on the chunking.
func TestDeterministic(t *testing.T) {
	a := shared(t, "qwen2-tiny-F32.gguf")
	dir := t.TempDir()
	b := rewrite(t, shared(t, "qwen2-tiny-Q4_0.gguf"), filepath.Join(dir, "b.gguf"),
		only("token_embd.weight", edit{typ: quant.Q4_0, fn: noise(0.3, 9)}))
	base := mustCompare(t, a, b, Options{Threads: 1})
	wantVerdict(t, base, Inconclusive, "token_embd.weight")
	for _, threads := range []int{2, 3, 8} {
		if rep := mustCompare(t, a, b, Options{Threads: threads}); !reflect.DeepEqual(rep, base) {
			t.Errorf("threads %d: report differs from threads 1", threads)
		}
	}
	small := limits{chunkElems: 256, fastChunk: 100, wave: 3}
	for _, threads := range []int{1, 2} {
		rep, err := compare(a, b, Options{Threads: threads}, small)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rep.Tensors {
			w := base.Tensors[i]
			if r.Class != w.Class || r.Blocks != w.Blocks || r.DiffBlocks != w.DiffBlocks || r.Bytes != w.Bytes ||
				!near(r.RelErr, w.RelErr) || !near(r.ExpectedErr, w.ExpectedErr) {
				t.Errorf("small chunks, threads %d: %+v, want %+v", threads, r, w)
			}
		}
	}
}

func near(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Abs(y) }

func TestJSONAndProgress(t *testing.T) {
	a := shared(t, "qwen2-tiny-F32.gguf")
	b := shared(t, "qwen2-tiny-Q8_0.gguf")
	var calls int
	var last, lastTotal int64
	rep := mustCompare(t, a, b, Options{Progress: func(done, total int64) {
		calls++
		if done < last || total < lastTotal || done > total {
			t.Errorf("progress went from %d/%d to %d/%d", last, lastTotal, done, total)
		}
		last, lastTotal = done, total
	}})
	if want := int64(tensorBytes(a) + tensorBytes(b)); calls == 0 || last != want || lastTotal != want {
		t.Errorf("progress ended at %d/%d after %d calls, want %d", last, lastTotal, calls, want)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("JSON round trip changed the report:\n%s", js)
	}
	var raw map[string]any
	json.Unmarshal(js, &raw)
	if raw["verdict"] != "FAITHFUL" || raw["counts"].(map[string]any)["ExactRequant"] != 15.0 {
		t.Errorf("JSON verdict %v counts %v", raw["verdict"], raw["counts"])
	}
}

// Tensors changed at two places: the early stop reports the first and
// reads no further.
func TestStopAtFirstDifference(t *testing.T) {
	a := shared(t, "qwen2-tiny-F32.gguf")
	b := rewrite(t, a, filepath.Join(t.TempDir(), "b.gguf"), func(ti *gguf.TensorInfo) *edit {
		if ti.Name == "blk.0.attn_k.weight" || ti.Name == "blk.1.ffn_down.weight" {
			return &edit{typ: quant.F32, fn: scale(-1)}
		}
		return nil
	})
	var done, total int64
	full := mustCompare(t, a, b, Options{Progress: func(d, t int64) { done, total = d, t }})
	// The two changed tensors are read twice (byte-wise, then measured).
	ka, _ := a.Tensor("blk.0.attn_k.weight")
	kd, _ := a.Tensor("blk.1.ffn_down.weight")
	if want := int64(2*tensorBytes(a) + 2*(ka.Size+kd.Size)); done != want || total != want || full.Bytes != want {
		t.Errorf("progress ended at %d/%d, report read %d bytes; want %d", done, total, full.Bytes, want)
	}
	stopped := mustCompare(t, a, b, Options{StopAtFirstDifference: true})
	wantVerdict(t, full, Different, "blk.0.attn_k.weight")
	wantVerdict(t, stopped, Different, "blk.0.attn_k.weight")
	if full.Counts[Changed] != 2 || full.Stopped {
		t.Errorf("full: counts %v stopped %v", full.Counts, full.Stopped)
	}
	if stopped.Counts[Changed] != 1 || stopped.Counts[NotCompared] == 0 || !stopped.Stopped || stopped.Bytes >= full.Bytes {
		t.Errorf("stopped: counts %v stopped %v bytes %d of %d", stopped.Counts, stopped.Stopped, stopped.Bytes, full.Bytes)
	}
}

func TestNonFinite(t *testing.T) {
	dir := t.TempDir()
	a := shared(t, "qwen2-tiny-F32.gguf")
	nan := func(x []float32) { x[3] = float32(math.NaN()); x[9] = float32(math.Inf(1)) }
	an := rewrite(t, a, filepath.Join(dir, "a.gguf"), only("blk.0.attn_v.weight", edit{fn: nan}))
	bn := rewrite(t, shared(t, "qwen2-tiny-Q8_0.gguf"), filepath.Join(dir, "b.gguf"), only("blk.0.attn_v.weight", edit{typ: quant.Q8_0, fn: nan}))
	zero := rewrite(t, a, filepath.Join(dir, "z.gguf"), only("blk.0.attn_v.weight", edit{fn: scale(0)}))
	negZero := rewrite(t, a, filepath.Join(dir, "nz.gguf"), only("blk.0.attn_v.weight", edit{fn: scale(float32(math.Copysign(0, -1)))}))
	cases := []struct {
		name  string
		a, b  *gguf.File
		class Class
	}{
		{"NaN in A, same bytes", an, an, Exact},
		{"NaN in A only", an, a, Changed},
		{"NaN in B only", a, bn, Changed},
		{"A zero", zero, a, Changed},
		{"+0 vs -0", zero, negZero, ConsistentWithQuantization},
	}
	for _, c := range cases {
		rep := mustCompare(t, c.a, c.b, Options{})
		r := result(t, rep, "blk.0.attn_v.weight")
		if r.Class != c.class {
			t.Errorf("%s: %s, want %s (%s)", c.name, r.Class, c.class, r.Detail)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	a := shared(t, "qwen2-tiny-F32.gguf") // 26 tensors
	for _, opt := range []Options{{Threads: -1}, {MaxTensors: -1}, {MaxTensors: 25}} {
		if _, err := Compare(a, a, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
	if _, err := Compare(a, a, Options{MaxTensors: 26}); err != nil {
		t.Error(err)
	}
}

// Two quantizations of the same source differ by about what expected
// predicts: the evidence for RatioConsistent. Both directions are
// checked, including a reference that is coarser than the candidate.
func TestCrossQuantRatios(t *testing.T) {
	pairs := [][2]string{{"Q8_0", "Q4_0"}, {"Q8_0", "Q4_K"}, {"Q8_0", "Q6_K"}, {"Q4_0", "Q4_K"}, {"Q4_K", "F32"}, {"F16", "Q4_0"}, {"BF16", "F16"}}
	for _, p := range pairs {
		a, b := shared(t, "qwen2-tiny-"+p[0]+".gguf"), shared(t, "qwen2-tiny-"+p[1]+".gguf")
		rep := mustCompare(t, a, b, Options{})
		lo, hi := math.Inf(1), 0.0
		for _, r := range rep.Tensors {
			if r.Class == Exact {
				continue
			}
			lo, hi = min(lo, r.Ratio), max(hi, r.Ratio)
		}
		if rep.Verdict != Inconclusive || hi > RatioConsistent {
			t.Errorf("%s vs %s: %s, ratios %.3f–%.3f: %s", p[0], p[1], rep.Verdict, lo, hi, rep.Reason)
		}
		t.Logf("%s vs %s: ratios %.3f–%.3f (%v)", p[0], p[1], lo, hi, rep.Counts)
	}
}

// Q3_K has no quantizer, so the expected error is unknown; a tensor no
// closer to A than zeros is still a change.
func TestNoQuantizer(t *testing.T) {
	const name = "blk.0.ffn_up.weight"
	a := shared(t, "qwen2-tiny-F32.gguf")
	ws := a.WriterTensors()
	for i := range ws {
		if ws[i].Name == name {
			ti, _ := a.Tensor(name)
			size, _ := quant.RowSize(quant.Q3_K, int64(ti.Elements()))
			ws[i].Type = quant.Q3_K
			ws[i].Data = func(w io.Writer) error { _, err := w.Write(make([]byte, size)); return err }
		}
	}
	b := writeTensors(t, a.KV, ws, filepath.Join(t.TempDir(), "b.gguf"))
	rep := mustCompare(t, a, b, Options{})
	wantVerdict(t, rep, Different, name)
	if r := result(t, rep, name); r.Class != Changed || r.RelErr != 1 {
		t.Errorf("%s: %s rel %g (%s)", name, r.Class, r.RelErr, r.Detail)
	}
}
