package matmul

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/quant"
)

// BenchmarkMatMulQ measures the product of a Qwen2.5-0.5B-shaped matrix
// (rows×cols) with a batch of pre-quantized activations and reports
// GFLOP/s = 2·rows·cols·n / time. Sub-benchmarks: type/shape/batch/threads/path,
// path "asm" (what the build dispatches to), "rows2" (the 2-row integer
// tile where the matrix tile is dispatched) or "generic" (pure Go).
// Example: go test -run x -bench 'MatMulQ/Q8_0/4864x896/n256' ./verifier/matmul
func BenchmarkMatMulQ(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	types := []quant.Type{quant.Q8_0, quant.Q4_0, quant.Q5_0, quant.Q4_K, quant.Q6_K, quant.Q5_K, quant.Q4_1, quant.F16, quant.BF16, quant.F32}
	shapes := [][2]int{{896, 896}, {4864, 896}, {896, 4864}, {128, 896}}
	for _, typ := range types {
		for _, sh := range shapes {
			rows, cols := sh[0], sh[1]
			if cols%typ.BlockSize() != 0 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%d", typ, rows, cols), func(b *testing.B) {
				w := randomMatrix(b, rng, typ, rows, cols)
				for _, n := range []int{1, 64, 256, 512} {
					b.Run(fmt.Sprintf("n%d", n), func(b *testing.B) {
						x := randomX(rng, n*cols)
						var a Activations
						a.Quantize(x, n, cols, typ, nil)
						y := make([]float32, n*rows)
						for _, threads := range []int{1, 2} {
							for _, path := range []string{"asm", "rows2", "generic"} {
								if path == "rows2" && tileI8W == nil {
									continue
								}
								b.Run(fmt.Sprintf("t%d/%s", threads, path), func(b *testing.B) {
									defer useGeneric(path == "generic")()
									if path == "rows2" { // the 2-row tile where the matrix tile is dispatched
										defer func(w func(*i8TileW)) { tileI8W = w }(tileI8W)
										tileI8W = nil
									}
									p := NewPool(threads)
									defer p.Close()
									b.ResetTimer()
									c0 := cpuTime()
									for range b.N {
										MatMulQ(y, w, &a, p)
									}
									reportFlops(b, 2*float64(rows*cols*n)*float64(b.N), cpuTime()-c0)
								})
							}
						}
					})
				}
			})
		}
	}
}

// reportFlops reports GFLOP/s per wall second and, as GFLOP/cpu-s, per
// CPU-second of the whole process (for t2 that is the per-core rate).
func reportFlops(b *testing.B, flops float64, cpu time.Duration) {
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkQuantize measures the activation conversion alone.
func BenchmarkQuantize(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, typ := range []quant.Type{quant.Q8_0, quant.Q4_K, quant.F16} {
		const n, cols = 256, 4864
		x := randomX(rng, n*cols)
		b.Run(typ.String(), func(b *testing.B) {
			var a Activations
			c0 := cpuTime()
			for range b.N {
				a.Quantize(x, n, cols, typ, nil)
			}
			b.ReportMetric(float64(n*cols)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			b.ReportMetric(float64(n*cols)*float64(b.N)/(cpuTime()-c0).Seconds()/1e9, "Gelem/cpu-s")
		})
	}
}

// BenchmarkMatMulF32Attention times the F32 products the engine's attention
// makes per head: S = Q·Kᵀ (L keys × 64, n queries) and O = P·V (64 × L),
// including the conversion of x (MatMul, not MatMulQ).
func BenchmarkMatMulF32Attention(b *testing.B) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, sh := range [][2]int{{256, 64}, {64, 256}, {1024, 64}, {64, 1024}} {
		rows, cols := sh[0], sh[1]
		const n = 256
		w := randomMatrix(b, rng, quant.F32, rows, cols)
		x := randomX(rng, n*cols)
		y := make([]float32, n*rows)
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%d/n%d/t%d", rows, cols, n, threads), func(b *testing.B) {
				p := NewPool(threads)
				defer p.Close()
				b.ResetTimer()
				c0 := cpuTime()
				for range b.N {
					MatMul(y, w, x, n, p)
				}
				reportFlops(b, 2*float64(rows*cols*n)*float64(b.N), cpuTime()-c0)
			})
		}
	}
}
