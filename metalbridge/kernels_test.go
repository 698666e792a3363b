package metalbridge

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/quant"
)

// TestKernelSignatures checks that every kernel and buffer index the Go
// side binds (kernelParams) is declared in kernels.metal with the same
// declaration, and that the source has no parameter Go leaves unbound.
func TestKernelSignatures(t *testing.T) {
	ks, err := parseKernels(kernelSource)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range kernelParams {
		decls, ok := ks[name]
		if !ok {
			t.Errorf("kernel %s: not in kernels.metal", name)
			continue
		}
		var got []param
		for _, d := range decls {
			switch d.attr {
			case "buffer", "threadgroup":
				got = append(got, param{index: d.index, decl: d.decl, tg: d.attr == "threadgroup"})
			default:
				if threadAttrs[d.attr] == "" {
					t.Errorf("kernel %s: parameter %s: attribute %s", name, d.name, d.attr)
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("kernel %s:\nmetal %v\ngo    %v", name, got, want)
		}
	}
	for name := range ks {
		if _, ok := kernelParams[name]; !ok {
			t.Errorf("kernel %s: in kernels.metal, unknown to Go", name)
		}
	}
}

// TestArgStructs checks that each Go argument struct has the fields of its
// MSL twin, in order (names compared without case), with matching 32-bit
// types.
func TestArgStructs(t *testing.T) {
	msl := map[string][][2]string{}
	for _, m := range reStruct.FindAllStringSubmatch(kernelSource, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			if f := reField.FindStringSubmatch(line); f != nil {
				msl[m[1]] = append(msl[m[1]], [2]string{f[1], f[2]})
			}
		}
	}
	goType := map[reflect.Kind]string{reflect.Int32: "int", reflect.Uint32: "uint", reflect.Float32: "float"}
	for _, v := range []any{matArgs{}, normArgs{}, eltArgs{}, ropeArgs{}, attnArgs{}, topKArgs{}} {
		rt := reflect.TypeOf(v)
		name := string(unicode.ToUpper(rune(rt.Name()[0]))) + rt.Name()[1:]
		fields := msl[name]
		if len(fields) != rt.NumField() {
			t.Errorf("%s: %d fields in Go, %d in kernels.metal", name, rt.NumField(), len(fields))
			continue
		}
		for i := range rt.NumField() {
			f := rt.Field(i)
			want := [2]string{goType[f.Type.Kind()], f.Name}
			if fields[i][0] != want[0] || !strings.EqualFold(fields[i][1], want[1]) {
				t.Errorf("%s field %d: Go %v, kernels.metal %v", name, i, want, fields[i])
			}
		}
		if n := len(argBytes(reflect.New(rt).Interface())); n != 4*len(fields) {
			t.Errorf("%s: encodes to %d bytes", name, n)
		}
	}
}

// TestDispatchCheck checks that a binding that does not match the kernel's
// parameters is refused.
func TestDispatchCheck(t *testing.T) {
	bad := []dispatch{
		{kernel: "nope"},
		{kernel: kAdd, binds: []binding{{index: 0, bytes: []byte{0}}, {index: 1}}},
		{kernel: kAdd, binds: []binding{{index: 0}, {index: 1}, {index: 2}}},
		{kernel: kMulMM, binds: []binding{{index: 0, bytes: []byte{0}}, {index: 1}, {index: 2}, {index: 3}}},
	}
	for i, d := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("case %d (%s): accepted", i, d.kernel)
				}
			}()
			d.check()
		}()
	}
	ok := dispatch{kernel: kAdd, binds: []binding{{index: 0, bytes: []byte{0}}, {index: 1}, {index: 2}}}
	ok.check()
}

// TestEmuSelfTest runs the start-up self-test on the emulated kernels:
// every kernel, every weight type, against the CPU backend. The errors it
// logs are the agreement figures quoted in the README.
func TestEmuSelfTest(t *testing.T) {
	gpu := newEmuBackend(t)
	cpu := engine.NewCPU(2)
	defer cpu.Close()
	res, err := RunSelfTest(gpu, cpu, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Checks {
		t.Logf("%-18s %-5s err %.3g (tol %.3g)", c.Op, c.Type, c.Err, c.Tol)
	}
	if !res.OK || !gpu.SelfTest().OK {
		t.Fatalf("self-test: %s", res)
	}
	if len(res.Checks) != 3*len(supportedTypes)+4+4+1+2 {
		t.Errorf("%d checks", len(res.Checks))
	}
}

// TestEmuMatMulExact compares the emulated products with an exact
// reference (dequantized weights, float64 dot products), which separates
// the kernels' own error from the CPU backend's activation quantization;
// it also covers float rows whose width is not a multiple of 32.
func TestEmuMatMulExact(t *testing.T) {
	gpu := newEmuBackend(t)
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		t    quant.Type
		cols int
	}{{quant.F32, 72}, {quant.F16, 40}, {quant.BF16, 24}}
	for _, ty := range supportedTypes {
		cases = append(cases, struct {
			t    quant.Type
			cols int
		}{ty, 256})
	}
	for _, c := range cases {
		const rows = 35
		wt, err := RandomWeight(c.t, rows, c.cols, rng)
		if err != nil {
			t.Fatal(err)
		}
		w, err := gpu.NewWeight(wt)
		if err != nil {
			t.Fatal(err)
		}
		deq := make([]float32, rows*c.cols)
		if err := quant.Dequantize(c.t, wt.Data, deq); err != nil {
			t.Fatal(err)
		}
		for _, k := range []struct {
			kernel string
			n      int
		}{{kMulMV, 1}, {kMulMV, 8}, {kMulMV, 11}, {kMulMM, 1}, {kMulMM, 33}} {
			n := k.n
			x := gpu.Alloc(n * c.cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			y := gpu.Alloc(n * rows)
			gpu.matMul(k.kernel, x, n, []engine.Weight{w}, [][]float32{y})
			if err := gpu.Sync(); err != nil {
				t.Fatal(err)
			}
			ref := make([]float32, n*rows)
			for i := range n {
				for r := range rows {
					var s float64
					for k := range c.cols {
						s += float64(deq[r*c.cols+k]) * float64(x[i*c.cols+k])
					}
					ref[i*rows+r] = float32(s)
				}
			}
			tol := 1e-5
			if k.kernel == kMulMM {
				tol = 2e-3 // half operands
			}
			e := relErr(y, ref)
			t.Logf("%-5s cols %3d n %2d (%s): err vs exact %.3g", c.t, c.cols, n, k.kernel, e)
			if !(e <= tol) {
				t.Errorf("%s cols %d n %d: error %.3g > %.3g", c.t, c.cols, n, e, tol)
			}
		}
	}
}

// TestEmuRowMaxLSE checks the log-softmax normalizer against float64.
func TestEmuRowMaxLSE(t *testing.T) {
	gpu := newEmuBackend(t)
	const n, dim = 3, 1000
	x, res := gpu.Alloc(n*dim), gpu.Alloc(2*n)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 5)
	}
	gpu.RowMaxLSE(res, x, n, dim)
	if err := gpu.Sync(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		row := x[i*dim : (i+1)*dim]
		m := float64(row[0])
		for _, v := range row {
			m = max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		if float64(res[2*i]) != m || math.Abs(float64(res[2*i+1])-math.Log(s)) > 1e-5 {
			t.Errorf("row %d: max %v lse %v, want %v %v", i, res[2*i], res[2*i+1], m, math.Log(s))
		}
	}
}

// TestEmuTopK checks the GPU top-k against a sort in the engine's order,
// on rows with many ties and -Inf entries.
func TestEmuTopK(t *testing.T) {
	gpu := newEmuBackend(t)
	const n, dim, k = 3, 300, 20
	x, ids := gpu.Alloc(n*dim), gpu.Alloc(n*k)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range x {
		x[i] = float32(rng.IntN(40)) // many ties
		if rng.IntN(10) == 0 {
			x[i] = float32(math.Inf(-1))
		}
	}
	gpu.TopK(ids, x, n, dim, k)
	if err := gpu.Sync(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		row := x[i*dim : (i+1)*dim]
		want := make([]int, dim)
		for j := range want {
			want[j] = j
		}
		sort.SliceStable(want, func(a, b int) bool { return row[want[a]] > row[want[b]] })
		for j := range k {
			if int(ids[i*k+j]) != want[j] {
				t.Fatalf("row %d rank %d: id %v, want %d", i, j, ids[i*k+j], want[j])
			}
		}
	}
}

// brokenDevice refuses every allocation.
type brokenDevice struct{ launches int }

func (d *brokenDevice) alloc(int) (bufID, []byte, error) {
	return 0, nil, errors.New("out of GPU memory")
}
func (d *brokenDevice) wrap([]byte) (bufID, int, error) { return 0, 0, errors.New("out of GPU memory") }
func (d *brokenDevice) launch(*dispatch)                { d.launches++ }
func (d *brokenDevice) sync() error                     { return nil }
func (d *brokenDevice) close() error                    { return nil }

// TestAllocFailure checks that a failed allocation is reported by the next
// Sync, launches nothing meanwhile, and that NewWeight returns its error.
func TestAllocFailure(t *testing.T) {
	dev := &brokenDevice{}
	b := newBackend(dev, "broken")
	x, w := b.Alloc(64), b.Alloc(32)
	if len(x) != 64 || len(w) != 32 {
		t.Fatal("Alloc must still return n floats")
	}
	b.RMSNorm(x, x, w, 2, 1e-5)
	b.Add(x, x)
	if err := b.Sync(); err == nil || !strings.Contains(err.Error(), "out of GPU memory") {
		t.Errorf("Sync: %v", err)
	}
	if dev.launches != 0 {
		t.Errorf("%d launches after a failed alloc", dev.launches)
	}
	wt, err := RandomWeight(quant.Q8_0, 4, 32, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.NewWeight(wt); err == nil || !strings.Contains(err.Error(), wt.Name()) {
		t.Errorf("NewWeight: %v", err)
	}
}
