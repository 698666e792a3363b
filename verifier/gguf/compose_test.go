package gguf

import (
	"bytes"
	"strings"
	"testing"
)

// closeCount counts Close calls.
type closeCount struct{ n int }

func (c *closeCount) Close() error { c.n++; return nil }

// TestCompose rebuilds a shared GGUF file as a composed File whose tensors
// lie in one buffer in reverse order, and checks that it reads, advises and
// rewrites exactly like the original.
func TestCompose(t *testing.T) {
	g := openT(t, "stories260K.gguf")
	defer g.Close()
	var buf []byte
	offs := make([]uint64, len(g.Tensors))
	for i := len(g.Tensors) - 1; i >= 0; i-- {
		offs[i] = uint64(len(buf))
		buf = append(buf, g.TensorData(&g.Tensors[i])...)
	}
	ts := make([]ComposedTensor, len(g.Tensors))
	for i, ti := range g.Tensors {
		ts[i] = ComposedTensor{Name: ti.Name, Dims: ti.Dims, Type: ti.Type, Data: Segment{Buf: buf, Off: offs[i]}}
	}
	cc := &closeCount{}
	f, err := Compose("composed", g.KV, ts, cc)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Composed() || f.Bytes() != nil || f.Size() != int64(len(buf)) {
		t.Errorf("composed %v, bytes %d, size %d want %d", f.Composed(), len(f.Bytes()), f.Size(), len(buf))
	}
	for i := range g.Tensors {
		a, b := g.TensorData(&g.Tensors[i]), f.TensorData(&f.Tensors[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("tensor %s differs", g.Tensors[i].Name)
		}
		if err := f.WillNeed(&f.Tensors[i]); err != nil {
			t.Fatal(err)
		}
	}
	var want, got bytes.Buffer
	if err := Write(&want, g.KV, g.WriterTensors(), g.Alignment); err != nil {
		t.Fatal(err)
	}
	if err := Write(&got, f.KV, f.WriterTensors(), f.Alignment); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want.Bytes(), got.Bytes()) {
		t.Error("a composed File writes differently from its source")
	}
	if v, err := f.String("general.architecture"); err != nil || v != "llama" {
		t.Errorf("architecture %q, %v", v, err)
	}
	f.Close()
	f.Close()
	if cc.n != 1 {
		t.Errorf("closer called %d times", cc.n)
	}

	ts[0].Data.Off = uint64(len(buf))
	if _, err := Compose("composed", g.KV, ts, nil); err == nil || !strings.Contains(err.Error(), "cannot hold") {
		t.Errorf("short segment: %v", err)
	}
	ts[0].Data.Off = 0
	if _, err := Compose("composed", append(g.KV, g.KV[0]), ts, nil); err == nil || !strings.Contains(err.Error(), "repeated") {
		t.Errorf("duplicate key: %v", err)
	}
}
