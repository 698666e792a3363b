package gguf

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/quant"
)

// TestRewriteTestdata reads every shared file and writes it back: the bytes
// must be identical, except for ggml-vocab-llama-spm.gguf (see below).
func TestRewriteTestdata(t *testing.T) {
	for _, p := range testdataFiles(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var buf bytes.Buffer
			if err := Write(&buf, f.KV, f.WriterTensors(), f.Alignment); err != nil {
				t.Fatal(err)
			}
			got, want := buf.Bytes(), f.Bytes()
			if len(f.Tensors) == 0 && int64(len(want)) < f.DataOffset {
				// This file (written by an older llama.cpp tool) ends
				// right after its metadata, without the padding up to
				// the (empty) aligned data section that gguf.cpp and
				// gguf-py write. Write always pads.
				if int64(len(got)) != f.DataOffset || !bytes.Equal(got[:len(want)], want) || strings.Trim(string(got[len(want):]), "\x00") != "" {
					t.Errorf("rewrite is not the original plus zero padding to %d", f.DataOffset)
				}
				t.Logf("rewrite adds %d bytes of padding", int64(len(got))-int64(len(want)))
				return
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < len(got) && i < len(want) && got[i] == want[i] {
					i++
				}
				t.Errorf("rewrite differs: %d bytes vs %d, first difference at %#x", len(got), len(want), i)
			}
		})
	}
}

// synth builds a small model with every value type.
func synth() ([]KV, []WriterTensor, map[string][]byte) {
	kv := []KV{
		{"general.architecture", Value{TypeString, "llama"}},
		{"general.alignment", Value{TypeUint32, uint32(64)}},
		{"u8", Value{TypeUint8, uint8(200)}},
		{"i8", Value{TypeInt8, int8(-3)}},
		{"u16", Value{TypeUint16, uint16(60000)}},
		{"i16", Value{TypeInt16, int16(-30000)}},
		{"i32", Value{TypeInt32, int32(-7)}},
		{"f32", Value{TypeFloat32, float32(1.5)}},
		{"b", Value{TypeBool, true}},
		{"u64", Value{TypeUint64, uint64(1 << 63)}},
		{"i64", Value{TypeInt64, int64(-1 << 62)}},
		{"f64", Value{TypeFloat64, 2.25}},
		{"empty", Value{TypeArray, Array{TypeString, []string{}}}},
		{"tokens", Value{TypeArray, Array{TypeString, []string{"a", "", "ü"}}}},
		{"bools", Value{TypeArray, Array{TypeBool, []bool{true, false}}}},
		{"u16s", Value{TypeArray, Array{TypeUint16, []uint16{1, 2}}}},
		{"f64s", Value{TypeArray, Array{TypeFloat64, []float64{-1}}}},
		{"nested", Value{TypeArray, Array{TypeArray, []Array{{TypeInt8, []int8{1, -1}}, {TypeUint8, []uint8{9}}}}}},
	}
	data := map[string][]byte{}
	mk := func(name string, typ quant.Type, dims ...uint64) WriterTensor {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		size, _ := quant.RowSize(typ, int64(n))
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(len(name) + i*7)
		}
		data[name] = b
		return WriterTensor{Name: name, Dims: dims, Type: typ, Data: func(w io.Writer) error {
			// Write in uneven pieces, as a streaming producer would.
			for len(b) > 0 {
				k := min(len(b), 100)
				if _, err := w.Write(b[:k]); err != nil {
					return err
				}
				b = b[k:]
			}
			return nil
		}}
	}
	tensors := []WriterTensor{
		mk("a", quant.F32, 3),
		mk("b.q4k", quant.Q4_K, 256, 2),
		mk("c.q8", quant.Q8_0, 32, 1, 1, 3),
		mk("d.f16", quant.F16, 5, 7),
	}
	return kv, tensors, data
}

func TestWriteRoundTrip(t *testing.T) {
	kv, tensors, data := synth()
	path := filepath.Join(t.TempDir(), "synth.gguf")
	if err := WriteFile(path, 0o644, kv, tensors, 0); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Alignment != 64 || f.DataOffset%64 != 0 {
		t.Errorf("alignment %d, data offset %d", f.Alignment, f.DataOffset)
	}
	if !reflect.DeepEqual(f.KV, kv) {
		t.Errorf("KV round trip:\n got %v\nwant %v", f.KV, kv)
	}
	if len(f.Tensors) != len(tensors) {
		t.Fatalf("%d tensors", len(f.Tensors))
	}
	for i, ti := range f.Tensors {
		if ti.Name != tensors[i].Name || ti.Type != tensors[i].Type || !reflect.DeepEqual(ti.Dims, tensors[i].Dims) {
			t.Errorf("tensor %d: %+v", i, ti)
		}
		if ti.Offset%64 != 0 || !bytes.Equal(f.TensorData(&f.Tensors[i]), data[ti.Name]) {
			t.Errorf("tensor %s: offset %d, data differs", ti.Name, ti.Offset)
		}
	}
	if n, err := f.Int("i64"); err != nil || n != -1<<62 {
		t.Errorf("i64 = %d, %v", n, err)
	}
	if _, err := f.Uint("i8"); !errors.Is(err, ErrFormat) {
		t.Errorf("Uint of a negative int8: %v", err)
	}
	if _, err := f.Int("u64"); !errors.Is(err, ErrFormat) {
		t.Errorf("Int of 2^63: %v", err)
	}
	if n, err := f.Uint("u64"); err != nil || n != 1<<63 {
		t.Errorf("Uint(u64) = %d, %v", n, err)
	}
	if s, err := f.Int32s("u16s"); err != nil || !reflect.DeepEqual(s, []int32{1, 2}) {
		t.Errorf("Int32s(u16s) = %v, %v", s, err)
	}
}

func TestWriteErrors(t *testing.T) {
	kv, tensors, _ := synth()
	short := append([]WriterTensor(nil), tensors...)
	short[0].Data = func(w io.Writer) error { _, err := w.Write([]byte{1, 2, 3}); return err }
	long := append([]WriterTensor(nil), tensors...)
	long[0].Data = func(w io.Writer) error { _, err := w.Write(make([]byte, 13)); return err }
	fails := append([]WriterTensor(nil), tensors...)
	fails[1].Data = func(w io.Writer) error { return errors.New("source gone") }
	dup := append(append([]WriterTensor(nil), tensors...), tensors[0])
	badType := []WriterTensor{{Name: "x", Dims: []uint64{4}, Type: 23, Data: tensors[0].Data}}
	badShape := []WriterTensor{{Name: "x", Dims: []uint64{4, 0}, Type: quant.F32, Data: tensors[0].Data}}
	badBlock := []WriterTensor{{Name: "x", Dims: []uint64{16}, Type: quant.Q8_0, Data: tensors[0].Data}}
	cases := []struct {
		name    string
		kv      []KV
		tensors []WriterTensor
		align   uint64
		msg     string
	}{
		{"short data", kv, short, 0, `tensor "a": data is 3 bytes, want 12`},
		{"long data", kv, long, 0, `data exceeds the tensor size 12`},
		{"data error", kv, fails, 0, "source gone"},
		{"duplicate tensor", kv, dup, 0, `tensor name "a"`},
		{"unknown type", nil, badType, 0, "unknown type type(23)"},
		{"zero dim", nil, badShape, 0, "bad shape"},
		{"block multiple", nil, badBlock, 0, "not a multiple of the Q8_0 block size"},
		{"duplicate key", append(kv, kv[0]), nil, 0, `"general.architecture" is empty, too long or repeated`},
		{"wrong Go type", []KV{{"k", Value{TypeUint32, 5}}}, nil, 0, "uint32 value holds int"},
		{"wrong array type", []KV{{"k", Value{TypeArray, Array{TypeInt32, []uint32{}}}}}, nil, 0, "array of int32 holds []uint32"},
		{"alignment mismatch", kv, nil, 32, "differs from general.alignment 64"},
		{"alignment without key", nil, nil, 16, "needs a general.alignment key"},
		{"bad alignment key", []KV{{"general.alignment", Value{TypeUint32, uint32(48)}}}, nil, 0, "power of two"},
	}
	for _, c := range cases {
		err := Write(io.Discard, c.kv, c.tensors, c.align)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.msg)
		}
	}

	// WriteFile leaves an existing file intact when the data fails.
	path := filepath.Join(t.TempDir(), "m.gguf")
	os.WriteFile(path, []byte("old"), 0o644)
	if err := WriteFile(path, 0o644, kv, fails, 0); err == nil {
		t.Error("WriteFile succeeded with failing data")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("old file is now %q", b)
	}
}

// TestWriteStreamingMemory writes 256 MiB of tensor data through Write and
// checks that the memory allocated does not grow with it (a 5 GB model
// streams the same way).
func TestWriteStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 256 MiB")
	}
	chunk := make([]byte, 1<<20)
	var ts []WriterTensor
	for i := range 4 {
		ts = append(ts, WriterTensor{Name: string(rune('a' + i)), Dims: []uint64{1 << 14, 1 << 10}, Type: quant.F32,
			Data: func(w io.Writer) error {
				for range 64 {
					if _, err := w.Write(chunk); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	cw := &countWriter{w: io.Discard, max: 1 << 40}
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	if err := Write(cw, nil, ts, 0); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&ms1)
	if cw.n != 192+256<<20 { // header: 24 + 4 infos of 41 bytes, padded to 192
		t.Errorf("wrote %d bytes", cw.n)
	}
	if a := ms1.TotalAlloc - ms0.TotalAlloc; a > 4<<20 {
		t.Errorf("allocated %d bytes to write 256 MiB", a)
	}
}
