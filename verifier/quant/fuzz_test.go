package quant_test

import (
	"errors"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// FuzzDequantize feeds arbitrary types, bytes and lengths to Dequantize and
// Quantize: they must never panic, must fail exactly when the lengths or the
// type are wrong, and must produce identical results on a second call.
func FuzzDequantize(f *testing.F) {
	f.Add(uint32(quant.Q4_K), []byte("\x00\x3c\x00\x38"), 256)
	f.Add(uint32(quant.Q6_K), make([]byte, 210), 256)
	f.Add(uint32(quant.Q5_0), []byte{0xff, 0x7b, 1, 2, 3, 4}, 32)
	f.Add(uint32(99), []byte{}, 0)
	f.Fuzz(func(t *testing.T, typ uint32, data []byte, n int) {
		if n < 0 || n > 1<<12 {
			return
		}
		tp := quant.Type(typ)
		src := data
		// Half of the time, pad or trim data to a valid size.
		if want, err := quant.RowSize(tp, int64(n)); err == nil && n%2 == 0 {
			src = append(append([]byte(nil), data...), make([]byte, max(0, int(want)-len(data)))...)[:want]
		}
		dst := make([]float32, n)
		err := quant.Dequantize(tp, src, dst)
		want, rerr := quant.RowSize(tp, int64(n))
		valid := quant.CanDequantize(tp) && rerr == nil && int64(len(src)) == want
		if valid != (err == nil) {
			t.Fatalf("%s n=%d len=%d: err %v, valid %v", tp, n, len(src), err, valid)
		}
		if err != nil && !errors.Is(err, quant.ErrLength) && !errors.Is(err, quant.ErrUnsupported) {
			t.Fatalf("unclassified error %v", err)
		}
		if err != nil || !quant.Supported(tp) {
			return
		}
		// Requantizing whatever came out (NaN and Inf included) must not
		// panic and must be deterministic.
		q1, q2 := make([]byte, want), make([]byte, want)
		if quant.Quantize(tp, dst, q1) != nil || quant.Quantize(tp, dst, q2) != nil {
			t.Fatal("quantize failed on valid lengths")
		}
		if string(q1) != string(q2) {
			t.Fatal("quantize not deterministic")
		}
	})
}
