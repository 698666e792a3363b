package gguf

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics or hangs, that every failure is a
// *FormatError of exactly one class, and that every file it accepts can be
// written back by Write and re-read to the same thing (Write∘Parse is
// idempotent after one step, which also compares NaN floats bitwise).
//
// Seeds: the shared test files (their first 64 KiB, and a small valid file
// made of each one's metadata plus its tensors of at most 4 KiB), a
// synthetic file with every value type, and the hostile corpus. Whole
// model files are left out: mutations of megabytes of tensor data only slow
// the fuzzer down.
func FuzzParse(f *testing.F) {
	for _, p := range testdataFiles(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 64<<10)])
		g, err := Parse(b)
		if err != nil {
			f.Fatal(err)
		}
		var small []WriterTensor
		for i, t := range g.WriterTensors() {
			if g.Tensors[i].Size <= 4<<10 {
				small = append(small, t)
			}
		}
		var buf bytes.Buffer
		if err := Write(&buf, g.KV, small, g.Alignment); err != nil {
			f.Fatal(err)
		}
		if buf.Len() <= 64<<10 {
			f.Add(bytes.Clone(buf.Bytes()))
		}
	}
	kv, tensors, _ := synth()
	var buf bytes.Buffer
	if err := Write(&buf, kv, tensors, 0); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	for _, c := range hostileCases() {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is a %T", err, err)
			}
			if errors.Is(err, ErrFormat) == errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v matches both or neither class", err)
			}
			return
		}
		for i := range g.Tensors {
			ti := &g.Tensors[i]
			if d := g.TensorData(ti); uint64(len(d)) != ti.Size {
				t.Fatalf("tensor %q: %d bytes, size %d", ti.Name, len(d), ti.Size)
			}
		}
		for _, p := range g.KV {
			if _, ok := g.Lookup(p.Key); !ok {
				t.Fatalf("Lookup(%q) failed", p.Key)
			}
		}
		if g.Alignment > 1<<16 {
			// A tensorless file may declare a huge alignment whose
			// padding Write would dutifully produce; skip the rewrite.
			return
		}
		var w1, w2 bytes.Buffer
		if err := Write(&w1, g.KV, g.WriterTensors(), g.Alignment); err != nil {
			t.Fatalf("cannot write back an accepted file: %v", err)
		}
		h, err := Parse(w1.Bytes())
		if err != nil {
			t.Fatalf("cannot read back the rewrite: %v", err)
		}
		if len(h.KV) != len(g.KV) || len(h.Tensors) != len(g.Tensors) {
			t.Fatalf("rewrite has %d KV, %d tensors; want %d, %d", len(h.KV), len(h.Tensors), len(g.KV), len(g.Tensors))
		}
		if err := Write(&w2, h.KV, h.WriterTensors(), h.Alignment); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
			t.Fatal("rewrite of the rewrite differs")
		}
	})
}
