package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"

	"github.com/proof-of-training/pot/internal/atomicfile"
	"github.com/proof-of-training/pot/verifier/quant"
)

// WriterTensor is one tensor for Write. Its data is streamed: Data is called
// once, in tensor order, and must write exactly the tensor's size in bytes
// (quant.RowSize of its element count) to w, so a model of any size is
// written with bounded memory. Data must not retain w.
type WriterTensor struct {
	Name string
	Dims []uint64 // ne[], Dims[0] contiguous, 1..4 entries
	Type quant.Type
	Data func(w io.Writer) error
}

// WriterTensors returns f's tensors for Write, their data read from f's
// mapping, so that Write(w, f.KV, f.WriterTensors(), f.Alignment) rewrites f.
func (f *File) WriterTensors() []WriterTensor {
	ws := make([]WriterTensor, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		ws[i] = WriterTensor{Name: t.Name, Dims: t.Dims, Type: t.Type, Data: func(w io.Writer) error {
			_, err := w.Write(f.TensorData(t))
			return err
		}}
	}
	return ws
}

// writeBufSize is the write buffer: big enough that tensor data goes out in
// large writes, small enough to not matter next to a model.
const writeBufSize = 1 << 20

// Write writes a GGUF v3 file: the header, kv in the given order, the tensor
// infos in the given order with offsets laid out contiguously (each tensor
// padded with zeros to the alignment, as gguf.cpp and gguf-py do), zero
// padding up to the aligned data section, then each tensor's data.
//
// alignment 0 means general.alignment from kv, or DefaultAlignment. A
// non-zero alignment must equal kv's general.alignment if present, and must
// be DefaultAlignment if kv has none (a reader would otherwise use 32).
//
// Everything is validated before the first byte is written (keys unique,
// values well-typed, tensor names unique, shapes and types valid), except
// the data length of each tensor, which is checked as it streams.
func Write(w io.Writer, kv []KV, tensors []WriterTensor, alignment uint64) error {
	align, err := checkAlignment(kv, alignment)
	if err != nil {
		return err
	}
	sizes, err := checkWrite(kv, tensors)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, writeBufSize)
	e := &encoder{w: bw}
	e.u32(Magic)
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kv)))
	for _, p := range kv {
		e.str(p.Key)
		e.u32(uint32(p.Value.Type))
		e.value(p.Value)
	}
	var off uint64
	for i, t := range tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.Type))
		e.u64(off)
		off += pad(sizes[i], align)
	}
	e.zeros(pad(e.n, align) - e.n)
	if e.err != nil {
		return fmt.Errorf("gguf: write header: %w", e.err)
	}
	for i, t := range tensors {
		cw := &countWriter{w: bw, max: sizes[i]}
		if err := t.Data(cw); err != nil {
			return fmt.Errorf("gguf: write tensor %q: %w", t.Name, err)
		}
		if cw.n != sizes[i] {
			return fmt.Errorf("gguf: write tensor %q: data is %d bytes, want %d", t.Name, cw.n, sizes[i])
		}
		e.zeros(pad(sizes[i], align) - sizes[i])
		if e.err != nil {
			return fmt.Errorf("gguf: write tensor %q: %w", t.Name, e.err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gguf: write: %w", err)
	}
	return nil
}

// WriteFile writes a GGUF file to path atomically (see Write and
// atomicfile.WriteFile): on any error an existing file is left intact.
func WriteFile(path string, perm os.FileMode, kv []KV, tensors []WriterTensor, alignment uint64) error {
	err := atomicfile.WriteFile(path, perm, func(w io.Writer) error {
		return Write(w, kv, tensors, alignment)
	})
	if err != nil {
		return fmt.Errorf("gguf %s: %w", path, err)
	}
	return nil
}

// EncodeKV writes kv exactly as GGUF stores it (u64 key length, key, u32
// value type, value; arrays as u32 element type, u64 count, elements). The
// encoding is self-delimiting and typed, so callers use it as a canonical
// form for hashing metadata.
func EncodeKV(w io.Writer, kv KV) error {
	if err := checkValue(kv.Value, 0); err != nil {
		return fmt.Errorf("gguf: metadata key %q: %w", kv.Key, err)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &encoder{w: bw}
	e.str(kv.Key)
	e.u32(uint32(kv.Value.Type))
	e.value(kv.Value)
	if e.err == nil {
		e.err = bw.Flush()
	}
	return e.err
}

func pad(n, align uint64) uint64 { return (n + align - 1) / align * align }

func checkAlignment(kv []KV, alignment uint64) (uint64, error) {
	var inKV uint64
	for _, p := range kv {
		if p.Key == "general.alignment" {
			a, ok := p.Value.V.(uint32)
			if p.Value.Type != TypeUint32 || !ok || a == 0 || a&(a-1) != 0 {
				return 0, fmt.Errorf("gguf: general.alignment must be a uint32 power of two, not %v", p.Value.V)
			}
			inKV = uint64(a)
		}
	}
	switch {
	case alignment == 0 && inKV == 0:
		return DefaultAlignment, nil
	case alignment == 0:
		return inKV, nil
	case inKV != 0 && alignment != inKV:
		return 0, fmt.Errorf("gguf: alignment %d differs from general.alignment %d", alignment, inKV)
	case inKV == 0 && alignment != DefaultAlignment:
		return 0, fmt.Errorf("gguf: alignment %d needs a general.alignment key", alignment)
	}
	return alignment, nil
}

// checkWrite validates what Write is about to write, so that Write never
// produces a file its own reader rejects, and returns each tensor's size.
func checkWrite(kv []KV, tensors []WriterTensor) ([]uint64, error) {
	keys := make(map[string]bool, len(kv))
	for _, p := range kv {
		if p.Key == "" || len(p.Key) > maxKeyLen || keys[p.Key] {
			return nil, fmt.Errorf("gguf: metadata key %q is empty, too long or repeated", p.Key)
		}
		keys[p.Key] = true
		if err := checkValue(p.Value, 0); err != nil {
			return nil, fmt.Errorf("gguf: metadata key %q: %w", p.Key, err)
		}
	}
	names := make(map[string]bool, len(tensors))
	sizes := make([]uint64, len(tensors))
	for i, t := range tensors {
		if t.Name == "" || len(t.Name) > maxNameLen || names[t.Name] {
			return nil, fmt.Errorf("gguf: tensor name %q is empty, longer than %d bytes or repeated", t.Name, maxNameLen)
		}
		names[t.Name] = true
		if len(t.Dims) < 1 || len(t.Dims) > MaxDims {
			return nil, fmt.Errorf("gguf: tensor %q: %d dimensions, want 1..%d", t.Name, len(t.Dims), MaxDims)
		}
		if !t.Type.Known() {
			return nil, fmt.Errorf("gguf: tensor %q: unknown type %s", t.Name, t.Type)
		}
		n := uint64(1)
		for _, d := range t.Dims {
			hi, lo := bits.Mul64(n, d)
			if d == 0 || hi != 0 || lo > maxElements {
				return nil, fmt.Errorf("gguf: tensor %q: bad shape %v", t.Name, t.Dims)
			}
			n = lo
		}
		if t.Dims[0]%uint64(t.Type.BlockSize()) != 0 {
			return nil, fmt.Errorf("gguf: tensor %q: ne[0] %d is not a multiple of the %s block size", t.Name, t.Dims[0], t.Type)
		}
		size, err := quant.RowSize(t.Type, int64(n))
		if err != nil {
			return nil, fmt.Errorf("gguf: tensor %q: %w", t.Name, err)
		}
		if t.Data == nil {
			return nil, fmt.Errorf("gguf: tensor %q: no Data function", t.Name)
		}
		sizes[i] = uint64(size)
	}
	return sizes, nil
}

// checkValue checks that v.V has the Go type v.Type promises (see Value).
func checkValue(v Value, depth int) error {
	if v.Type == TypeArray {
		a, ok := v.V.(Array)
		if !ok {
			return fmt.Errorf("array value holds %T", v.V)
		}
		return checkArray(a, depth+1)
	}
	if _, ok := zeroOf[v.Type]; !ok {
		return fmt.Errorf("unknown value type %s", v.Type)
	}
	if fmt.Sprintf("%T", v.V) != fmt.Sprintf("%T", zeroOf[v.Type]) {
		return fmt.Errorf("%s value holds %T", v.Type, v.V)
	}
	return nil
}

func checkArray(a Array, depth int) error {
	if depth > maxArrayDepth {
		return errors.New("arrays nested too deeply")
	}
	if a.Elem == TypeArray {
		s, ok := a.Elems.([]Array)
		if !ok {
			return fmt.Errorf("array of array holds %T", a.Elems)
		}
		for _, x := range s {
			if err := checkArray(x, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	z, ok := zeroOf[a.Elem]
	if !ok {
		return fmt.Errorf("unknown array element type %s", a.Elem)
	}
	if fmt.Sprintf("%T", a.Elems) != fmt.Sprintf("[]%T", z) {
		return fmt.Errorf("array of %s holds %T", a.Elem, a.Elems)
	}
	return nil
}

// zeroOf maps each scalar value type to a value of its Go type.
var zeroOf = map[ValueType]any{
	TypeUint8: uint8(0), TypeInt8: int8(0), TypeUint16: uint16(0), TypeInt16: int16(0),
	TypeUint32: uint32(0), TypeInt32: int32(0), TypeFloat32: float32(0), TypeBool: false,
	TypeString: "", TypeUint64: uint64(0), TypeInt64: int64(0), TypeFloat64: float64(0),
}

// encoder writes little-endian fields; the first error sticks.
type encoder struct {
	w   *bufio.Writer
	n   uint64 // bytes written
	err error
	buf [8]byte
}

func (e *encoder) write(b []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(b)
	e.n += uint64(n)
	e.err = err
}

func (e *encoder) u8(x uint8) { e.buf[0] = x; e.write(e.buf[:1]) }
func (e *encoder) u16(x uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], x)
	e.write(e.buf[:2])
}
func (e *encoder) u32(x uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], x)
	e.write(e.buf[:4])
}
func (e *encoder) u64(x uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], x)
	e.write(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := e.w.WriteString(s)
		e.n += uint64(n)
		e.err = err
	}
}

var zeroPad [64]byte

func (e *encoder) zeros(n uint64) {
	for n > 0 && e.err == nil {
		k := min(n, uint64(len(zeroPad)))
		e.write(zeroPad[:k])
		n -= k
	}
}

// value writes v's body (its type tag is written by the caller). v has
// passed checkValue.
func (e *encoder) value(v Value) {
	switch x := v.V.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		e.u8(b2u(x))
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	case Array:
		e.array(x)
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) array(a Array) {
	e.u32(uint32(a.Elem))
	e.u64(uint64(a.Len()))
	switch s := a.Elems.(type) {
	case []uint8:
		e.write(s)
	case []int8:
		each(e, s, func(x int8) { e.u8(uint8(x)) })
	case []uint16:
		each(e, s, e.u16)
	case []int16:
		each(e, s, func(x int16) { e.u16(uint16(x)) })
	case []uint32:
		each(e, s, e.u32)
	case []int32:
		each(e, s, func(x int32) { e.u32(uint32(x)) })
	case []float32:
		each(e, s, func(x float32) { e.u32(math.Float32bits(x)) })
	case []bool:
		each(e, s, func(x bool) { e.u8(b2u(x)) })
	case []string:
		each(e, s, e.str)
	case []uint64:
		each(e, s, e.u64)
	case []int64:
		each(e, s, func(x int64) { e.u64(uint64(x)) })
	case []float64:
		each(e, s, func(x float64) { e.u64(math.Float64bits(x)) })
	case []Array:
		each(e, s, e.array)
	}
}

func each[T any](e *encoder, s []T, f func(T)) {
	for _, x := range s {
		if e.err != nil {
			return
		}
		f(x)
	}
}

// countWriter counts the bytes a tensor's Data function writes and refuses
// to write more than max.
type countWriter struct {
	w   io.Writer
	n   uint64
	max uint64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if uint64(len(p)) > c.max-c.n {
		return 0, fmt.Errorf("data exceeds the tensor size %d", c.max)
	}
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}
