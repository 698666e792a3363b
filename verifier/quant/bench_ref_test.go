package quant

import (
	"math/rand/v2"
	"testing"
)

// refQuantizers are the scalar references of the K-quant quantizers kept in
// the tests (one sub-block at a time, as llama.cpp's C code).
var refQuantizers = map[Type]func(src []float32, dst []byte){
	Q4_K: func(src []float32, dst []byte) { quantKRow(src, dst, 144, 15, -1, 0.1, 20, packQ4KGeneric) },
	Q5_K: func(src []float32, dst []byte) { quantKRow(src, dst, 176, 31, -0.5, 0.1, 15, packQ5KGeneric) },
	Q6_K: quantQ6KRef,
}

// quantKRow runs quantKRef and pack on every super-block of src.
func quantKRow(src []float32, dst []byte, bs int, nmax int32, rmin, rdelta float32, nstep int, pack func(*[QK_K]uint8, []byte)) {
	for ; len(src) >= QK_K; src, dst = src[QK_K:], dst[bs:] {
		var L [QK_K]uint8
		clear(dst[:bs])
		quantKRef(src[:QK_K], nmax, rmin, rdelta, nstep, &L, dst)
		pack(&L, dst[:bs])
	}
}

// BenchmarkQuantizeRow reports single-threaded ns and CPU-ns (process
// CPU time: robust to other load on a shared machine) per element of every
// quantizer on a 64 Ki-element N(0,1) row ("fast": Quantize as dispatched;
// "ref": the scalar reference of the test files, where one exists), so
// that the speed-up over the scalar code is measured in the same run.
func BenchmarkQuantizeRow(b *testing.B) {
	const n = 1 << 16
	r := rand.New(rand.NewPCG(6, 7))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	for _, typ := range []Type{F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q8_K} {
		rs, _ := RowSize(typ, n)
		dst := make([]byte, rs)
		run := func(name string, f func([]float32, []byte)) {
			b.Run(typ.String()+"/"+name, func(b *testing.B) {
				c0 := cpuTime()
				for b.Loop() {
					f(x, dst)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/elem")
				b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N)/n, "cpu-ns/elem")
			})
		}
		run("fast", kernelTable[typ].quant)
		if ref := refQuantizers[typ]; ref != nil {
			run("ref", ref)
		}
	}
}
