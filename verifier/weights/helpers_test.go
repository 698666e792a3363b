package weights

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/synth"
)

// open opens a GGUF file for the test's duration.
func open(tb testing.TB, path string) *gguf.File {
	tb.Helper()
	f, err := gguf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

// shared opens ../shared/testdata/name (skipping if absent).
func shared(tb testing.TB, name string) *gguf.File {
	tb.Helper()
	return open(tb, testdata.Path(tb, name))
}

func mustShape(tb testing.TB, name string) synth.Shape {
	tb.Helper()
	s, err := synth.LookupShape(name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// synthFile writes a synthetic model into dir and opens it.
func synthFile(tb testing.TB, dir, shape string, ft synth.FileType, seed uint64) *gguf.File {
	tb.Helper()
	p := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.gguf", shape, ft, seed))
	if err := synth.WriteFile(p, synth.Spec{Shape: mustShape(tb, shape), FileType: ft, Seed: seed}); err != nil {
		tb.Fatal(err)
	}
	return open(tb, p)
}

// edit says how rewrite changes one tensor: its new type, a function
// applied to its dequantized values before quantizing to that type, and
// the quantizer (nil: quant.Quantize, PoT's own).
type edit struct {
	typ   quant.Type
	fn    func(x []float32)
	quant func(t quant.Type, x []float32, out []byte) error
}

// rewrite writes a copy of f to path with every tensor passed through
// change (nil: bytes copied unchanged) and opens it.
func rewrite(tb testing.TB, f *gguf.File, path string, change func(ti *gguf.TensorInfo) *edit) *gguf.File {
	tb.Helper()
	ws := f.WriterTensors()
	for i := range ws {
		ti := &f.Tensors[i]
		e := change(ti)
		if e == nil {
			continue
		}
		ws[i].Type = e.typ
		ws[i].Data = func(w io.Writer) error {
			x := make([]float32, ti.Elements())
			if err := quant.Dequantize(ti.Type, f.TensorData(ti), x); err != nil {
				return err
			}
			if e.fn != nil {
				e.fn(x)
			}
			n, err := quant.RowSize(e.typ, int64(len(x)))
			if err != nil {
				return err
			}
			out := make([]byte, n)
			q := e.quant
			if q == nil {
				q = quant.Quantize
			}
			if err := q(e.typ, x, out); err != nil {
				return err
			}
			_, err = w.Write(out)
			return err
		}
	}
	return writeTensors(tb, f.KV, ws, path)
}

func writeTensors(tb testing.TB, kv []gguf.KV, ws []gguf.WriterTensor, path string) *gguf.File {
	tb.Helper()
	if err := gguf.WriteFile(path, 0o644, kv, ws, 0); err != nil {
		tb.Fatal(err)
	}
	return open(tb, path)
}

// noise adds Gaussian noise of rel × the RMS of x to every element.
func noise(rel float64, seed uint64) func(x []float32) {
	return func(x []float32) {
		var s float64
		for _, v := range x {
			s += float64(v) * float64(v)
		}
		std := rel * math.Sqrt(s/float64(len(x)))
		r := rand.New(rand.NewPCG(seed, 7))
		for i := range x {
			x[i] += float32(r.NormFloat64() * std)
		}
	}
}

func scale(k float32) func(x []float32) {
	return func(x []float32) {
		for i := range x {
			x[i] *= k
		}
	}
}

// layerOf returns N for a "blk.N." tensor name, -1 otherwise.
func layerOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(rest[:strings.IndexByte(rest, '.')])
	if err != nil {
		return -1
	}
	return n
}

// requantMix returns the edit that gives each tensor of a model the type
// llama-quantize's mix ft gives it.
func requantMix(f *gguf.File, ft synth.FileType) func(ti *gguf.TensorInfo) *edit {
	return mixEdit(f, ft, nil, nil)
}

// mixEdit returns the edit that gives each tensor the type of mix ft
// (F32 keeps every type), quantized by q (nil: PoT's quantizer) after fn
// (nil, or returning nil: no change to the values).
func mixEdit(f *gguf.File, ft synth.FileType, q func(quant.Type, []float32, []byte) error, fn func(ti *gguf.TensorInfo) func([]float32)) func(ti *gguf.TensorInfo) *edit {
	nLayers, tied := 0, true
	for _, ti := range f.Tensors {
		nLayers = max(nLayers, layerOf(ti.Name)+1)
		tied = tied && ti.Name != "output.weight"
	}
	return func(ti *gguf.TensorInfo) *edit {
		t := ti.Type
		if ft != "F32" {
			t = synth.TensorType(ft, ti.Name, len(ti.Dims), int64(ti.Dims[0]), layerOf(ti.Name), nLayers, tied)
		}
		var g func([]float32)
		if fn != nil {
			g = fn(ti)
		}
		if t == ti.Type && g == nil && q == nil {
			return nil
		}
		return &edit{typ: t, fn: g, quant: q}
	}
}

// only returns a change function editing the named tensor alone.
func only(name string, e edit) func(ti *gguf.TensorInfo) *edit {
	return func(ti *gguf.TensorInfo) *edit {
		if ti.Name != name {
			return nil
		}
		if e.typ == 0 && e.fn != nil {
			e.typ = ti.Type // keep the type (F32 is 0)
		}
		return &e
	}
}

func mustCompare(tb testing.TB, a, b *gguf.File, opt Options) *Report {
	tb.Helper()
	rep, err := Compare(a, b, opt)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}

func result(tb testing.TB, rep *Report, name string) *TensorResult {
	tb.Helper()
	for i := range rep.Tensors {
		if rep.Tensors[i].Name == name {
			return &rep.Tensors[i]
		}
	}
	tb.Fatalf("no tensor %q in the report", name)
	return nil
}

// wantVerdict fails unless rep has verdict v and, if name is set, its
// reason names that tensor.
func wantVerdict(tb testing.TB, rep *Report, v Verdict, name string) {
	tb.Helper()
	if rep.Verdict != v {
		tb.Fatalf("verdict %s, want %s: %s", rep.Verdict, v, rep.Reason)
	}
	if name != "" && !strings.Contains(rep.Reason, strconv.Quote(name)) {
		tb.Fatalf("reason does not name %q: %s", name, rep.Reason)
	}
}
