package matmul

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestVecLikeGeneric: Dot and Axpy give bitwise the pure-Go result for
// lengths 0..80 at unaligned offsets, with NaN/Inf, and leave the guard
// canaries around y untouched; Dot is also close to a float64 sum.
func TestVecLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const canary = 0x7fc0beef
	for n := range 81 {
		for _, off := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("n%d/off%d", n, off), func(t *testing.T) {
				a := randomX(rng, n+off)[off:]
				b := randomX(rng, n+off)[off:]
				if n == 40 {
					a[7] = float32(math.Inf(-1))
					b[9] = float32(math.NaN())
				}
				got := Dot(a, b)
				restore := useGeneric(true)
				want := Dot(a, b)
				restore()
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("Dot = %v, generic %v", got, want)
				}
				if n != 40 {
					var ref, mag float64
					for i := range a {
						ref += float64(a[i]) * float64(b[i])
						mag += math.Abs(float64(a[i]) * float64(b[i]))
					}
					if math.Abs(float64(got)-ref) > 1e-6*mag {
						t.Fatalf("Dot = %v, float64 %v", got, ref)
					}
				}
				buf := make([]float32, n+off+8)
				for i := range buf {
					buf[i] = math.Float32frombits(canary)
				}
				y := buf[off : off+n]
				y0 := randomX(rng, n)
				copy(y, y0)
				Axpy(0.37, a, y)
				wantY := append([]float32(nil), y0...)
				restore = useGeneric(true)
				Axpy(0.37, a, wantY)
				restore()
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(wantY[i]) && !(y[i] != y[i] && wantY[i] != wantY[i]) {
						t.Fatalf("Axpy y[%d] = %v, generic %v", i, y[i], wantY[i])
					}
				}
				for i := off + n; i < len(buf); i++ {
					if math.Float32bits(buf[i]) != canary {
						t.Fatal("Axpy wrote past y")
					}
				}
				for i := range off {
					if math.Float32bits(buf[i]) != canary {
						t.Fatal("Axpy wrote before y")
					}
				}
			})
		}
	}
}

func BenchmarkDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	x, y := randomX(rng, 64), randomX(rng, 64)
	for _, path := range []string{"asm", "generic"} {
		b.Run("64/"+path, func(b *testing.B) {
			defer useGeneric(path == "generic")()
			var s float32
			for range b.N {
				s += Dot(x, y)
			}
			_ = s
		})
	}
}

// TestQuantScaleLikeGeneric: the activation quantizer kernels give the
// generic codes, sums and maxima, including ties, out-of-range values,
// ±Inf and NaN.
func TestQuantScaleLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	special := []float32{0.5, 1.5, -2.5, -0.5, 126.5, 127.5, -127.5, 128, -1e9, float32(math.Inf(1)),
		float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1)), 3.4999998, 2.5000002}
	for _, n := range []int{32, 64, 256} {
		for trial := range 20 {
			x := randomX(rng, n)
			if trial%2 == 1 {
				for i := range x {
					if rng.IntN(3) == 0 {
						x[i] = special[rng.IntN(len(special))]
					}
				}
			}
			scale := []float32{1, 0, 127 / 3.7, -0.3}[trial%4]
			q := make([]byte, n+8)
			qg := make([]byte, n)
			sum := quantScale(x, scale, q[:n])
			restore := useGeneric(true)
			sumG := quantScale(x, scale, qg)
			amG := absMax(x)
			restore()
			if am := absMax(x); math.Float32bits(am) != math.Float32bits(amG) {
				t.Fatalf("absMax = %v, generic %v", am, amG)
			}
			if sum != sumG {
				t.Fatalf("n %d trial %d: sum = %d, generic %d", n, trial, sum, sumG)
			}
			for i := range qg {
				if q[i] != qg[i] {
					t.Fatalf("n %d trial %d: q[%d] = %d, generic %d (x·scale = %v)", n, trial, i, q[i], qg[i], x[i]*scale)
				}
			}
			for _, c := range q[n:] {
				if c != 0 {
					t.Fatal("quantScale wrote past q")
				}
			}
		}
	}
}

// TestExpSumLikeGeneric: ExpSum gives bitwise the pure-Go values and sum
// for lengths 0..80 at unaligned offsets, on values spread over exp32's
// whole range and its edges (0, −0, the cut-off expLo and just below it,
// huge negatives), and the sum is the float64 sum of the values.
func TestExpSumLikeGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	edges := []float32{0, float32(math.Copysign(0, -1)), expLo, math.Nextafter32(expLo, -100), math.Nextafter32(expLo, 0), -1e30, -math.MaxFloat32, -1e-30, -0.34657359, 0.34657359}
	for n := range 81 {
		for _, off := range []int{0, 1, 3} {
			x := make([]float32, n+off)[off:]
			for i := range x {
				switch rng.IntN(4) {
				case 0:
					x[i] = edges[rng.IntN(len(edges))]
				case 1:
					x[i] = -rng.Float32() * 2
				default:
					x[i] = -rng.Float32() * 100
				}
			}
			m := float32(rng.NormFloat64())
			for i := range x {
				x[i] += m
			}
			e := make([]float32, n)
			got := ExpSum(e, x, m)
			restore := useGeneric(true)
			want := make([]float32, n)
			wantSum := ExpSum(want, x, m)
			restore()
			for i := range e {
				if math.Float32bits(e[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d: e[%d] = exp(%v) = %v, generic %v", n, i, x[i]-m, e[i], want[i])
				}
			}
			if math.Float64bits(got) != math.Float64bits(wantSum) {
				t.Fatalf("n %d: sum %v, generic %v", n, got, wantSum)
			}
			var ref float64
			for _, v := range e {
				ref += float64(v)
			}
			if math.Abs(got-ref) > 1e-15*ref {
				t.Fatalf("n %d: sum %v, in order %v", n, got, ref)
			}
		}
	}
}

// TestExp32: exp32 is within one float32 ulp of e^t (relative 1.2e−7;
// measured 8.0e−8) from expLo to 0, exactly 1 at ±0, and +0 below expLo.
func TestExp32(t *testing.T) {
	worst := 0.0
	for t0 := float32(expLo); t0 <= 0; t0 += 0.000731 {
		for _, v := range []float32{t0, math.Nextafter32(t0, 0)} {
			want := math.Exp(float64(v))
			if rel := math.Abs(float64(exp32(v))-want) / want; rel > worst {
				worst = rel
			}
		}
	}
	t.Logf("largest relative error %.3g", worst)
	if worst > 1.2e-7 {
		t.Errorf("exp32: relative error %.3g", worst)
	}
	if exp32(0) != 1 || exp32(float32(math.Copysign(0, -1))) != 1 {
		t.Errorf("exp32(±0) = %v, %v", exp32(0), exp32(float32(math.Copysign(0, -1))))
	}
	if v := exp32(math.Nextafter32(expLo, -100)); v != 0 || math.Signbit(float64(v)) {
		t.Errorf("exp32 below expLo = %v", v)
	}
}

func BenchmarkExpSum(b *testing.B) {
	rng := rand.New(rand.NewPCG(19, 20))
	x := make([]float32, 151936)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 3)
	}
	e := make([]float32, len(x))
	for _, path := range []string{"asm", "generic"} {
		b.Run(path, func(b *testing.B) {
			defer useGeneric(path == "generic")()
			for b.Loop() {
				ExpSum(e, x, 15)
			}
		})
	}
}
