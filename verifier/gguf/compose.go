package gguf

import (
	"fmt"
	"io"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Segment locates the data of one tensor of a composed File.
type Segment struct {
	Buf []byte // the tensor's bytes are Buf[Off : Off+Size]
	Off uint64
	// Mapped says Buf is a whole memory map (page-aligned at Buf[0]), so
	// that WillNeed and DontNeed apply to it.
	Mapped bool
}

// ComposedTensor is one tensor for Compose.
type ComposedTensor struct {
	Name string
	Dims []uint64 // ne[], Dims[0] contiguous
	Type quant.Type
	Data Segment
}

// Compose builds a File that is not read from a GGUF file: the metadata kv
// and the tensors as another container (a Hugging Face directory) presents
// them, each tensor's bytes lying in a Segment (a memory map of that
// container, or memory the composer prepared). The result behaves as the
// GGUF file Write(kv, tensors) would produce, for every method but Bytes
// and Size: Bytes is nil (there is no such file) and Size is the sum of the
// tensor sizes.
//
// kv and the tensor shapes and types are validated as Write validates them;
// each segment must hold the tensor's size. closer, if not nil, is called
// by Close (it releases the segments' maps). On error closer is not called:
// the caller still owns what it opened.
func Compose(path string, kv []KV, tensors []ComposedTensor, closer io.Closer) (*File, error) {
	ws := make([]WriterTensor, len(tensors))
	for i, t := range tensors {
		ws[i] = WriterTensor{Name: t.Name, Dims: t.Dims, Type: t.Type, Data: func(io.Writer) error { return nil }}
	}
	sizes, err := checkWrite(kv, ws)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f := &File{Path: path, Version: 3, KV: kv, Alignment: DefaultAlignment, composer: closer}
	if f.Alignment, err = checkAlignment(kv, 0); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.kvIndex = make(map[string]int, len(kv))
	for i, p := range kv {
		f.kvIndex[p.Key] = i
	}
	f.kvOff = make([]int64, len(kv)) // no file offsets: errors say byte 0
	f.tensors = make(map[string]int, len(tensors))
	f.segs = make([]Segment, len(tensors))
	var off uint64
	for i, t := range tensors {
		s := t.Data
		if s.Off > uint64(len(s.Buf)) || sizes[i] > uint64(len(s.Buf))-s.Off {
			return nil, fmt.Errorf("gguf %s: tensor %q: segment of %d bytes at %d cannot hold its %d bytes", path, t.Name, len(s.Buf), s.Off, sizes[i])
		}
		f.Tensors = append(f.Tensors, TensorInfo{Name: t.Name, Dims: t.Dims, Type: t.Type, Offset: off, Size: sizes[i]})
		f.tensors[t.Name] = i
		f.segs[i] = s
		off += pad(sizes[i], f.Alignment)
		f.size += int64(sizes[i])
	}
	return f, nil
}

// Composed reports whether f was built by Compose (so Bytes is nil).
func (f *File) Composed() bool { return f.segs != nil }

// segment returns the buffer t lies in and its range there, for composed
// files.
func (f *File) segment(t *TensorInfo) (buf []byte, start, end uint64, mapped, ok bool) {
	i, ok := f.tensors[t.Name]
	if !ok {
		return nil, 0, 0, false, false
	}
	s := f.segs[i]
	return s.Buf, s.Off, s.Off + f.Tensors[i].Size, s.Mapped, true
}
