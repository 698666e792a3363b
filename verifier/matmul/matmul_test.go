package matmul

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/quant"
)

var allTypes = []quant.Type{
	quant.F32, quant.F16, quant.BF16, quant.Q8_0, quant.Q4_0, quant.Q4_1, quant.Q5_0,
	quant.Q5_1, quant.Q2_K, quant.Q3_K, quant.Q4_K, quant.Q5_K, quant.Q6_K,
}

// randomMatrix makes a rows×cols matrix of type t: quantized from Gaussian
// values where package quant has a quantizer, otherwise random bytes with
// sane f16 scales.
func randomMatrix(t testing.TB, rng *rand.Rand, typ quant.Type, rows, cols int) Matrix {
	t.Helper()
	rb, err := quant.RowSize(typ, int64(cols))
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, int(rb)*rows)
	if quant.Supported(typ) {
		x := make([]float32, cols)
		for r := range rows {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			if err := quant.Quantize(typ, x, data[r*int(rb):(r+1)*int(rb)]); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		bs, nb := typ.TypeSize(), len(data)/typ.TypeSize()
		for b := range nb {
			blk := data[b*bs : (b+1)*bs]
			switch typ {
			case quant.Q2_K:
				binary.LittleEndian.PutUint16(blk[80:], quant.F32ToF16(0.01+rng.Float32()*0.1))
				binary.LittleEndian.PutUint16(blk[82:], quant.F32ToF16(rng.Float32()*0.1))
			case quant.Q3_K:
				binary.LittleEndian.PutUint16(blk[108:], quant.F32ToF16(0.01+rng.Float32()*0.1))
			default:
				t.Fatalf("no generator for %s", typ)
			}
		}
	}
	m, err := NewMatrix(typ, rows, cols, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomX(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if rng.IntN(50) == 0 {
			x[i] *= 20 // outliers, as real activations have
		}
	}
	return x
}

// dequantActs returns the activations as the kernels see them: d·q (or the
// rounded float) per vector.
func dequantActs(a *Activations) [][]float64 {
	out := make([][]float64, a.n)
	sb := a.cols / a.nblk
	for v := range a.n {
		g, l := v/lanes, v%lanes
		x := make([]float64, a.cols)
		for e := range x {
			if a.f != nil && (a.vt == quant.F32 || a.vt == quant.F16 || a.vt == quant.BF16) {
				x[e] = float64(a.f[(g*a.cols+e)*lanes+l])
				continue
			}
			q := int8(a.q[g*a.cols*lanes+(e/4)*4*lanes+l*4+e%4])
			x[e] = float64(q) * float64(a.d[(g*a.nblk+e/sb)*lanes+l])
		}
		out[v] = x
	}
	return out
}

// TestMatMulReference checks every type against a float64 product of the
// weights dequantized by package quant and the quantized activations. The
// bound allows float32 rounding of the block-wise accumulation only.
func TestMatMulReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			cols := 512
			if typ.BlockSize() == 32 || typ.BlockSize() == 1 {
				cols = 96
			}
			rows, n := 7, 11
			w := randomMatrix(t, rng, typ, rows, cols)
			x := randomX(rng, n*cols)
			y := make([]float32, n*rows)
			MatMul(y, w, x, n, nil)

			var a Activations
			a.Quantize(x, n, cols, typ, nil)
			xs := dequantActs(&a)
			wf := make([]float32, cols)
			for r := range rows {
				if err := quant.Dequantize(typ, w.Row(r), wf); err != nil {
					t.Fatal(err)
				}
				for v := range n {
					var ref, mag float64
					for e := range cols {
						p := float64(wf[e]) * xs[v][e]
						if typ == quant.Q4_1 || typ == quant.Q5_1 {
							// ggml takes the min term from Q8_1's s = f16(d·Σq),
							// not from the codes: m·s per block.
							b := e / 32
							m := float64(f16(w.Row(r)[b*typ.TypeSize()+2:]))
							p = (float64(wf[e]) - m) * xs[v][e]
							if e%32 == 0 {
								p += m * float64(a.s[((v/lanes)*a.nblk+b)*lanes+v%lanes])
							}
						}
						ref += p
						mag += math.Abs(p)
					}
					got := float64(y[v*rows+r])
					// float32 rounding of dequantized weights (Q4_1/K mins) and of the
					// ~cols/32 block partial sums
					tol := 4e-6*mag + 1e-30
					if math.Abs(got-ref) > tol {
						t.Errorf("y[%d][%d] = %v, want %v ± %.3g", v, r, got, ref, tol)
					}
				}
			}
		})
	}
}

// TestQuantizeMatchesQuant checks the interleaved activation quantizers
// against package quant's bit-exact ports of ggml's.
func TestQuantizeMatchesQuant(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, cols = 10, 512
	x := randomX(rng, n*cols)
	x[5] = 0
	for i := 256; i < 512; i++ { // an all-zero Q8_K block in vector 0
		x[i] = 0
	}
	for _, tc := range []struct {
		w, vt quant.Type
		bs    int
		qoff  int
		ref   func(src []float32, dst []byte)
		d     func(blk []byte) float32
	}{
		{quant.Q8_0, quant.Q8_0, 34, 2, quant.QuantizeQ8_0X86, func(b []byte) float32 { return f16(b) }},
		{quant.Q8_0, quant.Q8_1, 34, 2, quant.QuantizeQ8_0X86, func(b []byte) float32 { return f16(b) }},
		{quant.Q4_K, quant.Q8_K, 292, 4, quant.QuantizeQ8_K, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }},
	} {
		t.Run(tc.vt.String(), func(t *testing.T) {
			wt := tc.w
			if tc.vt == quant.Q8_1 {
				wt = quant.Q4_1
			}
			var a Activations
			a.Quantize(x, n, cols, wt, nil)
			sb := cols / a.nblk
			ref := make([]byte, cols/sb*tc.bs)
			for v := range n {
				tc.ref(x[v*cols:(v+1)*cols], ref)
				g, l := v/lanes, v%lanes
				for b := range a.nblk {
					blk := ref[b*tc.bs : (b+1)*tc.bs]
					if got, want := a.d[(g*a.nblk+b)*lanes+l], tc.d(blk); got != want {
						t.Fatalf("vector %d block %d: d = %v, want %v", v, b, got, want)
					}
					var sum int32
					for j := range sb {
						e := b*sb + j
						got := int8(a.q[g*cols*lanes+(e/4)*4*lanes+l*4+e%4])
						want := int8(blk[tc.qoff+j])
						if got != want {
							t.Fatalf("vector %d element %d: q = %d, want %d", v, e, got, want)
						}
						sum += int32(want)
					}
					if tc.vt == quant.Q8_1 { // s = f16(d·Σq) with the unrounded d = amax/127
						var amax float32
						for _, v := range x[v*cols+b*sb : v*cols+(b+1)*sb] {
							amax = max(amax, float32(math.Abs(float64(v))))
						}
						want := quant.F16ToF32(quant.F32ToF16(amax / 127 * float32(sum)))
						if got := a.s[(g*a.nblk+b)*lanes+l]; got != want {
							t.Fatalf("vector %d block %d: s = %v, want %v", v, b, got, want)
						}
					}
					if tc.vt == quant.Q8_K {
						for p := range 16 {
							got := int16(a.bs[((g*a.nblk+b)*8+p/2)*lanes+l] >> (16 * (p % 2)))
							want := int16(binary.LittleEndian.Uint16(blk[260+2*p:]))
							if a.d[(g*a.nblk+b)*lanes+l] == 0 {
								want = 0 // ggml leaves bsums stale for an all-zero block
							}
							if got != want {
								t.Fatalf("vector %d block %d: bsum %d = %d, want %d", v, b, p, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// TestDeterminism: the result for a vector does not depend on the thread
// count, the batch size, its position in the batch, or where the weights'
// bytes sit (F32 rows are read in place when 4-byte aligned, else copied).
func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			cols, rows, n := 256, 37, 21
			w := randomMatrix(t, rng, typ, rows, cols)
			x := randomX(rng, n*cols)
			want := make([]float32, n*rows)
			MatMul(want, w, x, n, nil)
			odd := make([]byte, len(w.Data)+1)[1:] // misaligned
			copy(odd, w.Data)
			wOdd, err := NewMatrix(typ, rows, cols, odd)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, n*rows)
			MatMul(got, wOdd, x, n, nil)
			assertSame(t, "misaligned weights", got, want)
			for _, threads := range []int{1, 2, 3} {
				p := NewPool(threads)
				got := make([]float32, n*rows)
				MatMul(got, w, x, n, p)
				assertSame(t, fmt.Sprintf("threads %d", threads), got, want)
				// vector v alone, and at position 9 of a shuffled batch of 10
				for _, v := range []int{0, 8, 20} {
					one := make([]float32, rows)
					MatMul(one, w, x[v*cols:(v+1)*cols], 1, p)
					assertSame(t, fmt.Sprintf("threads %d vector %d alone", threads, v), one, want[v*rows:(v+1)*rows])
					xb := make([]float32, 0, 10*cols)
					for j := range 9 {
						u := (v + 1 + j) % n
						xb = append(xb, x[u*cols:(u+1)*cols]...)
					}
					xb = append(xb, x[v*cols:(v+1)*cols]...)
					yb := make([]float32, 10*rows)
					MatMul(yb, w, xb, 10, p)
					assertSame(t, fmt.Sprintf("threads %d vector %d last of 10", threads, v), yb[9*rows:], want[v*rows:(v+1)*rows])
				}
				// Products run serially inside Pool.Run items, two
				// per item, on each worker's scratch.
				items := make([][]float32, 6)
				p.Run(len(items), func(l *Local, i int) {
					if l.ID() < 0 || l.ID() >= p.Threads() {
						t.Errorf("worker id %d of %d", l.ID(), p.Threads())
					}
					y := make([]float32, n*rows)
					l.MatMul(y, w, x, n)
					one := make([]float32, rows)
					l.MatMul(one, w, x[i*cols:(i+1)*cols], 1)
					items[i] = append(y, one...)
				})
				for i, y := range items {
					assertSame(t, fmt.Sprintf("threads %d Local item %d", threads, i), y[:n*rows], want)
					assertSame(t, fmt.Sprintf("threads %d Local item %d vector", threads, i), y[n*rows:], want[i*rows:(i+1)*rows])
				}
				p.Close()
			}
		})
	}
}

func assertSame(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, want %v (bitwise)", what, i, got[i], want[i])
		}
	}
}

func TestNewMatrixErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		typ        quant.Type
		rows, cols int
		n          int
		unsup      bool
	}{
		{"unsupported Q8_K", quant.Q8_K, 1, 256, 292, true},
		{"unknown type", quant.Type(99), 1, 32, 34, true},
		{"partial block", quant.Q8_0, 1, 33, 34, false},
		{"short data", quant.Q8_0, 2, 32, 34, false},
		{"long data", quant.F32, 1, 4, 17, false},
		{"zero rows", quant.F32, 0, 4, 0, false},
		{"overflowing shape", quant.F32, 1 << 40, 1 << 30, 64, false},
		{"negative cols", quant.F32, 1, -4, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMatrix(tc.typ, tc.rows, tc.cols, make([]byte, tc.n))
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupported) != tc.unsup {
				t.Fatalf("errors.Is(ErrUnsupported) = %v for %v", !tc.unsup, err)
			}
			if tc.unsup && !contains(err.Error(), tc.typ.String()) {
				t.Fatalf("error %q does not name the type", err)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestPoolClosedAndConcurrent: a closed Pool still computes (on the caller),
// and concurrent calls on one Pool are serialized with correct results.
func TestPoolClosedAndConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	w := randomMatrix(t, rng, quant.Q4_K, 40, 512)
	x := randomX(rng, 9*512)
	want := make([]float32, 9*40)
	MatMul(want, w, x, 9, nil)

	p := NewPool(2)
	done := make(chan []float32)
	for range 4 {
		go func() {
			y := make([]float32, 9*40)
			MatMul(y, w, x, 9, p)
			done <- y
		}()
	}
	for range 4 {
		assertSame(t, "concurrent", <-done, want)
	}
	p.Close()
	p.Close() // idempotent
	y := make([]float32, 9*40)
	MatMul(y, w, x, 9, p)
	assertSame(t, "closed pool", y, want)
}

// TestPanics: wrong lengths are programmer errors and panic with a message.
func TestPanics(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	w := randomMatrix(t, rng, quant.Q8_0, 4, 64)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"short y", func() { MatMul(make([]float32, 7), w, make([]float32, 128), 2, nil) }},
		{"short x", func() { MatMul(make([]float32, 8), w, make([]float32, 127), 2, nil) }},
		{"zero n", func() { MatMul(nil, w, nil, 0, nil) }},
		{"zero Matrix", func() { MatMul(make([]float32, 4), Matrix{Type: quant.Q8_0}, make([]float32, 64), 1, nil) }},
		{"wrong activation type", func() {
			var a Activations
			a.Quantize(make([]float32, 256), 1, 256, quant.Q4_K, nil)
			MatMulQ(make([]float32, 4), w, &a, nil)
		}},
		{"Dot lengths", func() { Dot(make([]float32, 3), make([]float32, 4)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.fn()
		})
	}
}

// TestMatMulQs: several products in one job give each product's MatMulQ
// result, for any thread count.
func TestMatMulQs(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			cols, n := 256, 19
			ws := []Matrix{randomMatrix(t, rng, typ, 53, cols), randomMatrix(t, rng, typ, 8, cols), randomMatrix(t, rng, typ, 17, cols)}
			var a Activations
			a.Quantize(randomX(rng, n*cols), n, cols, typ, nil)
			for _, threads := range []int{0, 1, 2, 3} {
				var p *Pool
				if threads > 0 {
					p = NewPool(threads)
				}
				ys := make([][]float32, len(ws))
				for j, w := range ws {
					ys[j] = make([]float32, n*w.Rows)
				}
				MatMulQs(ys, ws, &a, p)
				for j, w := range ws {
					want := make([]float32, n*w.Rows)
					MatMulQ(want, w, &a, nil)
					assertSame(t, fmt.Sprintf("threads %d product %d", threads, j), ys[j], want)
				}
				p.Close()
			}
		})
	}
}

// TestMatMulSwiGLU: the fused gate, up and SwiGLU job gives MatMulQs's u
// and SiLUMul of its g, bitwise, for every weight type (integer and float
// chunks), row counts no chunk divides, one to many activation rows and
// any thread count.
func TestMatMulSwiGLU(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			cols := 256
			for _, shape := range [][2]int{{1, 53}, {19, 100}, {64, 40}} {
				n, rows := shape[0], shape[1]
				gate, up := randomMatrix(t, rng, typ, rows, cols), randomMatrix(t, rng, typ, rows, cols)
				var a Activations
				a.Quantize(randomX(rng, n*cols), n, cols, typ, nil)
				wantG, wantU := make([]float32, n*rows), make([]float32, n*rows)
				MatMulQs([][]float32{wantG, wantU}, []Matrix{gate, up}, &a, nil)
				SiLUMul(wantG, wantU)
				for _, threads := range []int{0, 1, 2, 3} {
					var p *Pool
					if threads > 0 {
						p = NewPool(threads)
					}
					g, u := make([]float32, n*rows), make([]float32, n*rows)
					MatMulSwiGLU(g, u, gate, up, &a, p)
					assertSame(t, fmt.Sprintf("%d×%d, threads %d: g", n, rows, threads), g, wantG)
					assertSame(t, fmt.Sprintf("%d×%d, threads %d: u", n, rows, threads), u, wantU)
					p.Close()
				}
			}
		})
	}
}

// TestPoolRunsEveryItemOnce: items dealt round-robin, with stealing, run
// exactly once each for any thread and item count, also when one worker
// stalls on an item (the others take the rest of its share).
func TestPoolRunsEveryItemOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads)
		for _, n := range []int{1, 2, 3, 7, 64, 1000} {
			for _, stall := range []bool{false, true} {
				counts := make([]atomic.Int32, n)
				var byWorker [8]atomic.Int32
				var stalled atomic.Int32 // the worker that ran item 0
				p.Run(n, func(l *Local, i int) {
					if stall && i == 0 {
						stalled.Store(int32(l.ID()))
						time.Sleep(5 * time.Millisecond)
					}
					counts[i].Add(1)
					byWorker[l.ID()].Add(1)
				})
				for i := range counts {
					if c := counts[i].Load(); c != 1 {
						t.Fatalf("threads %d, n %d, stall %v: item %d ran %d times", threads, n, stall, i, c)
					}
				}
				if stall && threads > 1 && n >= 64 && stalled.Load() == 0 {
					// Worker 0 (the caller) took item 0, its first, and
					// slept through the job: the others must have taken
					// most of its share.
					if w0 := byWorker[0].Load(); w0 > int32(n/threads/2) {
						t.Errorf("threads %d, n %d: the stalled worker ran %d items", threads, n, w0)
					}
				}
			}
		}
		p.Close()
	}
}
