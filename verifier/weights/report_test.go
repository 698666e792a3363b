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

// A few blocks rounded the other way keep a requantization exact (up to
// MaxRoundingBlocks, an absolute count); one block overwritten is an edit
// even though the rest of the tensor is faithful; in the same type,
// rounding-only differences are another quantization, never faithful.
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
		{"four rounding flips", f32, nudge(1, 2, 3, 4), ExactRequant, Faithful, 4},
		{"five rounding flips", f32, nudge(1, 2, 3, 4, 5), Requantized, OtherQuantization, 5},
		{"one block smashed", f32, smash, Changed, Different, 1},
		{"same type flip", q8, nudge(7), Requantized, OtherQuantization, 1},
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
			t.Logf("%s: %s", r.Class, r.Detail)
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
	wantVerdict(t, base, Different, "token_embd.weight")
	for _, threads := range []int{2, 3, 8} {
		if rep := mustCompare(t, a, b, Options{Threads: threads}); !reflect.DeepEqual(rep, base) {
			t.Errorf("threads %d: report differs from threads 1", threads)
		}
	}
	// Chunks of 96 elements (F32 and Q4_0 only: a multiple of 32) split
	// rows of 256 across chunks.
	for _, small := range []limits{{chunkElems: 256, fastChunk: 100, wave: 3}, {chunkElems: 96, fastChunk: 100, wave: 5}} {
		for _, threads := range []int{1, 2} {
			rep, err := compare(a, b, Options{Threads: threads}, small)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rep.Tensors {
				w := base.Tensors[i]
				if !reflect.DeepEqual(r, w) {
					t.Errorf("small chunks, threads %d: %+v, want %+v", threads, r, w)
				}
			}
		}
	}
}

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
	if raw["verdict"] != "faithful" || raw["counts"].(map[string]any)["exact_requant"] != 15.0 {
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
	// The two changed tensors are read twice (byte-wise, then judged).
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
		{"+0 vs -0", zero, negZero, Exact},
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

// Q3_K has no quantizer, so B's own scales cannot be checked; a tensor
// beyond even the bound of its own scales is still a change, and one
// within it cannot be decided.
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
	if r := result(t, rep, name); r.Class != Changed || r.BeyondBlocks != r.Blocks {
		t.Errorf("%s: %s, %d of %d blocks beyond (%s)", name, r.Class, r.BeyondBlocks, r.Blocks, r.Detail)
	}
	// A Q3_K of zeros against itself decoded as F32: within its own bound.
	z := writeTensors(t, a.KV, rewriteTo(t, b, name, quant.F32), filepath.Join(t.TempDir(), "z.gguf"))
	rep = mustCompare(t, z, b, Options{})
	wantVerdict(t, rep, Inconclusive, name)
	if r := result(t, rep, name); r.Class != Unsupported {
		t.Errorf("%s: %s (%s)", name, r.Class, r.Detail)
	}
}

// rewriteTo returns f's writer tensors with tensor name decoded and
// stored as type to.
func rewriteTo(t *testing.T, f *gguf.File, name string, to quant.Type) []gguf.WriterTensor {
	t.Helper()
	ws := f.WriterTensors()
	for i := range ws {
		if ws[i].Name != name {
			continue
		}
		ti, _ := f.Tensor(name)
		x := make([]float32, ti.Elements())
		if err := quant.Dequantize(ti.Type, f.TensorData(ti), x); err != nil {
			t.Fatal(err)
		}
		n, _ := quant.RowSize(to, int64(len(x)))
		out := make([]byte, n)
		if err := quant.Quantize(to, x, out); err != nil {
			t.Fatal(err)
		}
		ws[i].Type, ws[i].Data = to, bytesWriter(out)
	}
	return ws
}
