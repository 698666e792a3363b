package weights

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/synth"
)

// Edits an attacker could make, generated at test time on stories260K and
// a synth model, each quantized to a candidate type and compared with the
// F32 original and with PoT's own quantization to that type. An edit
// larger than quantization must be Changed, naming the tensor (and, for
// token rows, the token); one that stays within a quantization step may be
// called another quantization, and none may ever be Faithful.

// valueEdit edits a tensor's values (nil: untouched); m gives access to
// the other tensors of the source.
type valueEdit func(m *model, ti *gguf.TensorInfo) func(x []float32)

func swapRows(name string, pairs ...[2]int) valueEdit {
	return func(_ *model, ti *gguf.TensorInfo) func([]float32) {
		if ti.Name != name {
			return nil
		}
		cols := int(ti.Dims[0])
		return func(x []float32) {
			for _, p := range pairs {
				r, s := x[p[0]*cols:(p[0]+1)*cols], x[p[1]*cols:(p[1]+1)*cols]
				for i := range r {
					r[i], s[i] = s[i], r[i]
				}
			}
		}
	}
}

func scaleRow(name string, row int, k float32) valueEdit {
	return func(_ *model, ti *gguf.TensorInfo) func([]float32) {
		if ti.Name != name {
			return nil
		}
		cols := int(ti.Dims[0])
		return func(x []float32) {
			for i := row * cols; i < (row+1)*cols; i++ {
				x[i] *= k
			}
		}
	}
}

// noiseBlock adds Gaussian noise of the tensor's RMS to the 32 elements
// from element at.
func noiseBlock(name string, at int) valueEdit {
	return func(_ *model, ti *gguf.TensorInfo) func([]float32) {
		if ti.Name != name {
			return nil
		}
		return func(x []float32) {
			rms := math.Sqrt(sumSq(x) / float64(len(x)))
			r := rand.New(rand.NewPCG(1, 2))
			for i := at; i < at+32; i++ {
				x[i] += float32(rms * r.NormFloat64())
			}
		}
	}
}

// lowRank adds to every matrix a rank-k product U·Vᵀ of Gaussian factors
// scaled to rel × the matrix's Frobenius norm: a stand-in for a LoRA-style
// fine-tune spread over the whole model.
func lowRank(k int, rel float64, seed uint64) valueEdit {
	return func(_ *model, ti *gguf.TensorInfo) func([]float32) {
		if len(ti.Dims) != 2 {
			return nil
		}
		cols, rows := int(ti.Dims[0]), int(ti.Dims[1])
		return func(x []float32) {
			r := rand.New(rand.NewPCG(seed, uint64(len(ti.Name))))
			u, v := make([]float64, rows*k), make([]float64, cols*k)
			for i := range u {
				u[i] = r.NormFloat64()
			}
			for i := range v {
				v[i] = r.NormFloat64()
			}
			delta := make([]float64, len(x))
			var dn float64
			for i := range rows {
				for j := range cols {
					var s float64
					for l := range k {
						s += u[i*k+l] * v[j*k+l]
					}
					delta[i*cols+j] = s
					dn += s * s
				}
			}
			f := rel * math.Sqrt(sumSq(x)/dn)
			for i := range x {
				x[i] += float32(f * delta[i])
			}
		}
	}
}

// swapLayers exchanges tensor blk.0.<suffix> with blk.1.<suffix>.
func swapLayers(suffix string) valueEdit {
	return func(m *model, ti *gguf.TensorInfo) func([]float32) {
		other := map[string]string{"blk.0." + suffix: "blk.1." + suffix, "blk.1." + suffix: "blk.0." + suffix}[ti.Name]
		if other == "" {
			return nil
		}
		return func(x []float32) {
			to, _ := m.f32.Tensor(other)
			if err := quant.Dequantize(to.Type, m.f32.TensorData(to), x); err != nil {
				panic(err) // test data
			}
		}
	}
}

func combine(es ...valueEdit) valueEdit {
	return func(m *model, ti *gguf.TensorInfo) func([]float32) {
		var fs []func([]float32)
		for _, e := range es {
			if f := e(m, ti); f != nil {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			return nil
		}
		return func(x []float32) {
			for _, f := range fs {
				f(x)
			}
		}
	}
}

// codeSteps moves one code by one step in every block k of tensor name
// for which pick(k) holds, in the quantized bytes: the smallest change a
// file can carry. Q4_0, Q4_K (4-bit codes) and Q8_0.
func codeSteps(t *testing.T, f *gguf.File, path, name string, pick func(k int) bool) *gguf.File {
	t.Helper()
	ti, _ := f.Tensor(name)
	data := append([]byte(nil), f.TensorData(ti)...)
	ts := ti.Type.TypeSize()
	qs := map[quant.Type]int{quant.Q4_0: 2, quant.Q4_K: 16, quant.Q8_0: 2}[ti.Type]
	if qs == 0 {
		t.Fatalf("%s is %s", name, ti.Type)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for k := 0; k < len(data)/ts; k++ {
		if !pick(k) {
			continue
		}
		i := k*ts + qs + r.IntN(ts-qs)
		switch {
		case ti.Type == quant.Q8_0 && int8(data[i]) < 127:
			data[i]++
		case ti.Type == quant.Q8_0:
			data[i]--
		case data[i]&0xf < 15:
			data[i]++
		default:
			data[i]--
		}
	}
	return patched(t, f, path, name, data)
}

// patched writes f with tensor name's bytes replaced by data.
func patched(t *testing.T, f *gguf.File, path, name string, data []byte) *gguf.File {
	t.Helper()
	ws := f.WriterTensors()
	for i := range ws {
		if ws[i].Name == name {
			ws[i].Data = bytesWriter(data)
		}
	}
	return writeTensors(t, f.KV, ws, path)
}

// attack is one edit and what it must give.
type attack struct {
	name string
	edit valueEdit
	// changed: the edit is larger than quantization, so Changed is
	// required (naming tensor, and want in the reason); otherwise it may
	// be another quantization, never Faithful.
	changed bool
	tensor  string
	want    string
}

// swappedRows are token pairs past stories260K's byte tokens (3…258),
// whose rows are nearly equal.
var swappedRows = [][2]int{{300, 400}, {350, 450}, {320, 420}}

// upName is the first FFN matrix; every model has one.
const upName = "blk.0.ffn_up.weight"

func attacks(m *model) []attack {
	rows := swappedRows
	as := []attack{
		{"3 token rows swapped", swapRows("token_embd.weight", rows...), true, "token_embd.weight", "token 300"},
		{"token row negated", scaleRow("token_embd.weight", 301, -1), true, "token_embd.weight", "token 301"},
		{"token row ×1.45", scaleRow("token_embd.weight", 307, 1.45), true, "token_embd.weight", "token 307"},
		{"token row ×1.05", scaleRow("token_embd.weight", 307, 1.05), false, "", ""},
		{"noise on one block", noiseBlock(upName, 64*32), true, upName, ""},
		{"rank-4 edit, 6% of every matrix", lowRank(4, 0.06, 1), false, "", ""},
		{"layers 0 and 1 swapped", swapLayers("ffn_up.weight"), true, upName, ""},
	}
	if m.hasOutput() {
		as = append(as, attack{"output row ×1.45", scaleRow("output.weight", 309, 1.45), true, "output.weight", "token 309"})
	}
	return as
}

// edited writes own (PoT's quantization of m's F32 model) with each
// tensor that edit touches quantized again, to the same type, from the
// edited F32 values: as m.variant with the edit, without requantizing the
// untouched tensors.
func (m *model) edited(t *testing.T, tag string, own *gguf.File, edit valueEdit) *gguf.File {
	t.Helper()
	ws := own.WriterTensors()
	for i := range ws {
		src, _ := m.f32.Tensor(ws[i].Name)
		fn := edit(m, src)
		if fn == nil {
			continue
		}
		typ := ws[i].Type
		ws[i].Data = func(w io.Writer) error {
			x := make([]float32, src.Elements())
			if err := quant.Dequantize(src.Type, m.f32.TensorData(src), x); err != nil {
				return err
			}
			fn(x)
			n, err := quant.RowSize(typ, int64(len(x)))
			if err != nil {
				return err
			}
			out := make([]byte, n)
			if err := quant.Quantize(typ, x, out); err != nil {
				return err
			}
			_, err = w.Write(out)
			return err
		}
	}
	return writeTensors(t, own.KV, ws, filepath.Join(m.dir, filepath.Base(own.Path)+"-"+tag+".gguf"))
}

func (m *model) hasOutput() bool { _, ok := m.f32.Tensor("output.weight"); return ok }

func TestAttacks(t *testing.T) {
	for _, m := range models(t) {
		for _, ft := range m.types {
			own := m.variant(t, "own", ft, nil, nil)
			for i, a := range attacks(&m) {
				b := m.edited(t, fmt.Sprint("attack", i), own, a.edit)
				for _, ref := range []*gguf.File{m.f32, own} {
					name := fmt.Sprintf("%s %s, %s, reference %s", m.name, ft, a.name, refName(ref))
					checkAttack(t, name, mustCompare(t, ref, b, Options{}), a.changed, a.tensor, a.want)
				}
			}
		}
	}
}

func refName(f *gguf.File) string {
	if strings.Contains(f.Path, "-own") {
		return "PoT's own quantization"
	}
	return "F32"
}

// checkAttack checks rep against what an attack must give and logs it.
func checkAttack(t *testing.T, name string, rep *Report, changed bool, tensor, want string) {
	t.Helper()
	switch {
	case rep.Verdict == Faithful || rep.Verdict == Identical:
		t.Errorf("%s: %s: %s", name, rep.Verdict, rep.Reason)
	case changed && rep.Verdict != Different:
		t.Errorf("%s: %s, want different: %s", name, rep.Verdict, rep.Reason)
	case changed && !strings.Contains(rep.Reason, tensor) && result(t, rep, tensor).Class != Changed:
		t.Errorf("%s: %s is not changed: %s", name, tensor, rep.Reason)
	case want != "" && !strings.Contains(result(t, rep, tensor).Detail, want):
		t.Errorf("%s: detail does not name %q: %s", name, want, result(t, rep, tensor).Detail)
	}
	t.Logf("%s: %s (%d changed): %.200s", name, rep.Verdict, rep.Counts[Changed], rep.Reason)
}

// Edits in the quantized bytes of a same-type candidate (issue 8's
// dilution attack): one code moved one step in 45% of token_embd's blocks
// is within quantization (another quantization at best, never faithful);
// with three token rows swapped it is Changed, naming a swapped token.
// Retyping one tensor of a Q4_0 candidate to Q8_0 (from its Q4_0 values)
// is not a quantization of the F32 weights to Q8_0: Changed.
func TestByteAttacks(t *testing.T) {
	for _, m := range models(t) {
		ft := synth.FileType("Q4_0")
		own := m.variant(t, "own", ft, nil, nil)
		steps := codeSteps(t, own, filepath.Join(m.dir, m.name+"-steps.gguf"), "token_embd.weight", func(k int) bool { return k%20 < 9 })
		swapped := m.edited(t, "swapped", own, swapRows("token_embd.weight", swappedRows...))
		both := codeSteps(t, swapped, filepath.Join(m.dir, m.name+"-both.gguf"), "token_embd.weight", func(k int) bool { return k%20 < 9 })
		retyped := rewrite(t, own, filepath.Join(m.dir, m.name+"-retyped.gguf"), only(upName, edit{typ: quant.Q8_0}))
		for _, ref := range []*gguf.File{m.f32, own} {
			at := func(s string) string { return fmt.Sprintf("%s Q4_0, %s, reference %s", m.name, s, refName(ref)) }
			checkAttack(t, at("code steps in 45% of token_embd blocks"), mustCompare(t, ref, steps, Options{}), false, "", "")
			checkAttack(t, at("code steps and 3 rows swapped"), mustCompare(t, ref, both, Options{}), true, "token_embd.weight", "token")
		}
		checkAttack(t, m.name+" Q4_0, "+upName+" retyped to Q8_0, reference F32", mustCompare(t, m.f32, retyped, Options{}), true, upName, "")
	}
}

func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(data); return err }
}

func sumSq(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return s
}
