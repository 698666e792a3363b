// Package gguf reads and writes GGUF model files (versions 2 and 3,
// little-endian), the container format of ggml and llama.cpp.
//
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md and the
// format comment at the top of ggml/include/gguf.h; llama.cpp's own reader is
// ggml/src/gguf.cpp.
//
// Scope: the header, the typed metadata (KV) section, the tensor infos and
// zero-copy access to tensor data through a read-only memory map, page-cache
// hints for streaming tensors, and a streaming writer. Left out: GGUF v1
// (u32 counts, obsolete since 2023), big-endian files, and interpreting
// tensor data (see package quant) or metadata (see the model and tokenizer
// packages).
//
// Security: the reader is hardened against hostile files. Every count,
// length and offset read from a file is checked against the bytes that
// remain before anything is allocated; preallocation is capped; offset+size
// arithmetic is overflow-checked; tensors must lie inside the file, be
// aligned, not overlap, and have a size that matches shape × type. A bad file
// yields a *FormatError (matching ErrFormat or ErrUnsupported), never a
// panic, a hang, or an allocation much larger than the file itself. Parse is
// fuzzed (FuzzParse).
package gguf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"

	"github.com/proof-of-training/pot/verifier/quant"
)

// Limits enforced on top of the spec's own.
const (
	// MaxDims is GGML_MAX_DIMS: ggml tensors have at most 4 dimensions.
	MaxDims = 4
	// maxNameLen: gguf.cpp rejects tensor names of GGML_MAX_NAME (64) bytes
	// or more, so such a file cannot be a loadable model.
	maxNameLen = 63
	// maxKeyLen: the spec limits keys to 2^16-1 bytes.
	maxKeyLen = 1<<16 - 1
	// maxArrayDepth bounds nested arrays (gguf-py can write arrays of
	// arrays; llama.cpp cannot read them; no model uses more than one level).
	maxArrayDepth = 3
	// maxElements bounds a tensor's element count: quant.RowSize refuses
	// more than 2^53 elements, and no file of that size (petabytes) exists.
	maxElements = 1 << 53
	// maxPrealloc caps how many KVs or tensor infos are preallocated from a
	// count read from the file; beyond it the slices grow by append, so a
	// lying count costs at most this much memory before the bytes run out.
	maxPrealloc = 1024
	// Minimum encoded sizes, used to bound counts by the bytes remaining.
	minKVSize         = 8 + 4 + 1         // key length, value type, 1-byte value
	minTensorInfoSize = 8 + 4 + 8 + 4 + 8 // name length, n_dims, ne[0], type, offset
)

// File is a parsed GGUF file. Exported fields are read-only after Open or
// Parse; the slices inside them are shared with the File's lookup index.
// Metadata (keys, strings, arrays) is copied out of the file and stays valid
// after Close; tensor data (TensorData, Bytes) is the mapping itself and
// does not. All methods but Close may be called concurrently.
type File struct {
	Path string // as given to Open; empty for Parse
	// Sources, for a composed File (Compose), are the files it was made
	// from, which identity digests in place of the file itself.
	Sources    []string
	Version    uint32 // 2 or 3
	KV         []KV   // in file order; keys are unique
	Tensors    []TensorInfo
	Alignment  uint64 // general.alignment, or DefaultAlignment
	DataOffset int64  // start of the tensor data section (aligned)

	data    []byte
	mapped  bool               // data is a memory map that Close unmaps
	kvIndex map[string]int     // key → index in KV
	kvOff   []int64            // byte offset of each KV's value type tag
	tensors map[string]int     // name → index in Tensors
	unmap   func([]byte) error // nil when the caller owns data

	// A composed File (Compose) has no data: each tensor's bytes are in
	// segs[i], size is their total, and composer is closed by Close.
	segs     []Segment
	size     int64
	composer io.Closer
}

// Open maps the file at path read-only, parses and validates it. The File
// owns the mapping until Close; on error nothing is left open.
func Open(path string) (*File, error) {
	data, unmap, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	f, err := parse(path, data)
	if err != nil {
		if unmap != nil {
			unmap(data)
		}
		return nil, err
	}
	f.unmap = unmap
	f.mapped = unmap != nil && mmapSupported
	return f, nil
}

// Parse parses and validates a GGUF file held in data. The caller owns data
// and must keep it unchanged while the File (or any slice from TensorData)
// is in use; Close is then a no-op.
func Parse(data []byte) (*File, error) { return parse("", data) }

// Close releases the memory map. Slices returned by TensorData and Bytes
// must not be used afterwards. Calling Close twice is harmless.
func (f *File) Close() error {
	if f.composer != nil {
		c := f.composer
		f.composer = nil
		return c.Close()
	}
	if f.unmap == nil {
		return nil
	}
	data, unmap := f.data, f.unmap
	f.data, f.unmap, f.mapped = nil, nil, false
	if err := unmap(data); err != nil {
		return fmt.Errorf("gguf %s: unmap: %w", f.Path, err)
	}
	return nil
}

// Size returns the size of the file in bytes; for a composed File, the sum
// of its tensor sizes.
func (f *File) Size() int64 {
	if f.segs != nil {
		return f.size
	}
	return int64(len(f.data))
}

// Bytes returns the whole file (the mapping itself, not a copy), for
// hashing; nil for a composed File.
func (f *File) Bytes() []byte { return f.data }

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tensors[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns the bytes of t, a sub-slice of the mapping (no copy,
// capacity capped at its length). t must describe a tensor of f; nil is
// returned if it lies outside the file.
func (f *File) TensorData(t *TensorInfo) []byte {
	buf, start, end, _, ok := f.locate(t)
	if !ok {
		return nil
	}
	return buf[start:end:end]
}

// locate returns the buffer holding t's bytes, their range in it, and
// whether the buffer is a memory map.
func (f *File) locate(t *TensorInfo) (buf []byte, start, end uint64, mapped, ok bool) {
	if f.segs != nil {
		return f.segment(t)
	}
	start, end, ok = f.span(t)
	return f.data, start, end, f.mapped, ok
}

// span returns the byte range of t in the file, overflow-checked.
func (f *File) span(t *TensorInfo) (start, end uint64, ok bool) {
	n := uint64(len(f.data))
	do := uint64(f.DataOffset)
	if do > n || t.Offset > n-do || t.Size > n-do-t.Offset {
		return 0, 0, false
	}
	start = do + t.Offset
	return start, start + t.Size, true
}

// cursor reads little-endian fields from a GGUF file with a bounds check
// before each read (debug/macho's readBuf style). Each read method returns
// a *FormatError naming the field when the bytes run out.
type cursor struct {
	b    []byte
	off  int
	path string
}

func (c *cursor) errAt(off int, msg string, val any) *FormatError {
	return &FormatError{Path: c.path, Off: int64(off), Msg: msg, Val: val, class: ErrFormat}
}

func (c *cursor) unsupportedAt(off int, msg string, val any) *FormatError {
	return &FormatError{Path: c.path, Off: int64(off), Msg: msg, Val: val, class: ErrUnsupported}
}

func (c *cursor) remaining() int { return len(c.b) - c.off }

// take returns the next n bytes or an error naming what was being read.
func (c *cursor) take(n uint64, what string) ([]byte, error) {
	if n > uint64(c.remaining()) {
		return nil, c.errAt(c.off, "truncated "+what+": need bytes", n)
	}
	b := c.b[c.off : c.off+int(n)]
	c.off += int(n)
	return b, nil
}

func (c *cursor) u8(what string) (uint8, error) {
	b, err := c.take(1, what)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (c *cursor) u32(what string) (uint32, error) {
	b, err := c.take(4, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (c *cursor) u64(what string) (uint64, error) {
	b, err := c.take(8, what)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a GGUF string: u64 length, then that many bytes (copied, so the
// result outlives the mapping). max bounds the length (0: only the file).
func (c *cursor) str(what string, max uint64) (string, error) {
	b, err := c.strBytes(what, max)
	return string(b), err
}

// strBytes is str without the copy: the bytes alias the file.
func (c *cursor) strBytes(what string, max uint64) ([]byte, error) {
	off := c.off
	if c.remaining() < 8 {
		return nil, c.errAt(off, "truncated "+what+" length: need bytes", 8)
	}
	n := binary.LittleEndian.Uint64(c.b[off:])
	if max > 0 && n > max {
		return nil, c.errAt(off, what+" too long", n)
	}
	if n > uint64(c.remaining()-8) {
		return nil, c.errAt(off, what+" length exceeds the bytes remaining", n)
	}
	c.off += 8 + int(n)
	return c.b[off+8 : c.off], nil
}

func parse(path string, data []byte) (*File, error) {
	c := &cursor{b: data, path: path}
	f := &File{Path: path, data: data, Alignment: DefaultAlignment}
	if err := f.readHeader(c); err != nil {
		return nil, err
	}
	nTensors, err := c.u64("tensor count")
	if err != nil {
		return nil, err
	}
	// A loose bound now (the KVs still follow), a tight one after them.
	if nTensors > uint64(max(c.remaining()-8, 0))/minTensorInfoSize {
		return nil, c.errAt(c.off-8, "tensor count exceeds the bytes remaining", nTensors)
	}
	nKV, err := c.u64("metadata count")
	if err != nil {
		return nil, err
	}
	if nKV > uint64(c.remaining())/minKVSize {
		return nil, c.errAt(c.off-8, "metadata count exceeds the bytes remaining", nKV)
	}
	if err := f.readKVs(c, nKV); err != nil {
		return nil, err
	}
	if nTensors > uint64(c.remaining())/minTensorInfoSize {
		return nil, c.errAt(8, "tensor count exceeds the bytes remaining", nTensors)
	}
	infoOff, err := f.readTensorInfos(c, nTensors)
	if err != nil {
		return nil, err
	}
	// The data section starts at the next multiple of the alignment.
	// c.off < len(data) ≤ MaxInt and Alignment ≤ 2^31, so this cannot overflow.
	do := (uint64(c.off) + f.Alignment - 1) / f.Alignment * f.Alignment
	f.DataOffset = int64(do)
	if len(f.Tensors) > 0 && do > uint64(len(data)) {
		return nil, c.errAt(c.off, "tensor data section starts beyond the end of the file", do)
	}
	if err := f.checkTensorData(c, infoOff); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *File) readHeader(c *cursor) error {
	magic, err := c.u32("magic")
	if err != nil {
		return err
	}
	if magic != Magic {
		if magic == bits.ReverseBytes32(Magic) {
			return c.unsupportedAt(0, "big-endian GGUF (byte-swapped magic)", fmt.Sprintf("%#08x", magic))
		}
		return c.errAt(0, "bad magic (not a GGUF file)", fmt.Sprintf("%#08x", magic))
	}
	v, err := c.u32("version")
	if err != nil {
		return err
	}
	switch {
	case v == 2 || v == 3:
		f.Version = v
		return nil
	case v == 1:
		return c.unsupportedAt(4, "GGUF version 1 (u32 counts) is not supported", v)
	case v&0xffff == 0 && bits.ReverseBytes32(v) >= 1 && bits.ReverseBytes32(v) <= 3:
		return c.unsupportedAt(4, "big-endian GGUF (byte-swapped version) is not supported", fmt.Sprintf("%#08x", v))
	default:
		return c.unsupportedAt(4, "unsupported GGUF version", v)
	}
}

func (f *File) readKVs(c *cursor, n uint64) error {
	f.KV = make([]KV, 0, min(n, maxPrealloc))
	f.kvOff = make([]int64, 0, min(n, maxPrealloc))
	f.kvIndex = make(map[string]int, min(n, maxPrealloc))
	for i := uint64(0); i < n; i++ {
		keyOff := c.off
		key, err := c.str("metadata key", maxKeyLen)
		if err != nil {
			return err
		}
		if key == "" {
			return c.errAt(keyOff, "empty metadata key", nil)
		}
		if _, dup := f.kvIndex[key]; dup {
			return c.errAt(keyOff, "duplicate metadata key", key)
		}
		valOff := c.off
		t, err := c.u32("value type of " + key)
		if err != nil {
			return err
		}
		v, err := c.value(ValueType(t), valOff, 0)
		if err != nil {
			return err
		}
		if key == "general.alignment" {
			a, ok := v.V.(uint32)
			if v.Type != TypeUint32 {
				return c.errAt(valOff, "general.alignment must be uint32, not", v.Type.String())
			}
			if !ok || a == 0 || a&(a-1) != 0 {
				return c.errAt(valOff+4, "general.alignment is not a power of two", a)
			}
			f.Alignment = uint64(a)
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: v})
		f.kvOff = append(f.kvOff, int64(valOff))
	}
	return nil
}

// value reads one value of type t; typeOff is where its type tag was.
func (c *cursor) value(t ValueType, typeOff, depth int) (Value, error) {
	switch t {
	case TypeString:
		s, err := c.str("string value", 0)
		return Value{t, s}, err
	case TypeArray:
		a, err := c.array(depth + 1)
		return Value{t, a}, err
	}
	size := t.size()
	if size == 0 {
		return Value{}, c.errAt(typeOff, "unknown metadata value type", uint32(t))
	}
	b, err := c.take(uint64(size), t.String()+" value")
	if err != nil {
		return Value{}, err
	}
	v, ok := scalar(t, b)
	if !ok {
		return Value{}, c.errAt(c.off-1, "bool value is not 0 or 1", b[0])
	}
	return Value{t, v}, nil
}

// scalar decodes a fixed-size value of type t from b (len(b) == t.size()).
// ok is false only for a bool byte other than 0 or 1.
func scalar(t ValueType, b []byte) (v any, ok bool) {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return b[0], true
	case TypeInt8:
		return int8(b[0]), true
	case TypeUint16:
		return le.Uint16(b), true
	case TypeInt16:
		return int16(le.Uint16(b)), true
	case TypeUint32:
		return le.Uint32(b), true
	case TypeInt32:
		return int32(le.Uint32(b)), true
	case TypeFloat32:
		return math.Float32frombits(le.Uint32(b)), true
	case TypeBool:
		return b[0] == 1, b[0] <= 1
	case TypeUint64:
		return le.Uint64(b), true
	case TypeInt64:
		return int64(le.Uint64(b)), true
	case TypeFloat64:
		return math.Float64frombits(le.Uint64(b)), true
	}
	return nil, false
}

// array reads an array body: u32 element type, u64 count, elements.
func (c *cursor) array(depth int) (Array, error) {
	start := c.off
	if depth > maxArrayDepth {
		return Array{}, c.errAt(start, "arrays nested too deeply", depth)
	}
	et32, err := c.u32("array element type")
	if err != nil {
		return Array{}, err
	}
	et := ValueType(et32)
	n, err := c.u64("array count")
	if err != nil {
		return Array{}, err
	}
	minSize := et.size()
	switch et {
	case TypeString:
		minSize = 8
	case TypeArray:
		minSize = 12
	}
	if minSize == 0 {
		return Array{}, c.errAt(start, "unknown array element type", et32)
	}
	if n > uint64(c.remaining())/uint64(minSize) {
		return Array{}, c.errAt(start+4, "array count exceeds the bytes remaining", n)
	}
	a := Array{Elem: et}
	switch et {
	case TypeString:
		if a.Elems, err = c.strings(n); err != nil {
			return Array{}, err
		}
	case TypeArray:
		s := make([]Array, n)
		for i := range s {
			if s[i], err = c.array(depth + 1); err != nil {
				return Array{}, err
			}
		}
		a.Elems = s
	default:
		b, _ := c.take(n*uint64(minSize), "array")
		if a.Elems, err = fixedArray(et, b); err != nil {
			return Array{}, c.errAt(c.off-len(b), err.Error(), nil)
		}
	}
	return a, nil
}

// strings reads n strings. They are validated in a first pass, then the
// whole run is copied once and the strings are cut from that copy: one
// allocation for a 128k-token vocabulary instead of one per token.
func (c *cursor) strings(n uint64) ([]string, error) {
	start := c.off
	for i := uint64(0); i < n; i++ {
		if _, err := c.strBytes("string array element", 0); err != nil {
			return nil, err
		}
	}
	run := string(c.b[start:c.off])
	s := make([]string, n)
	p := 0
	for i := range s {
		l := int(binary.LittleEndian.Uint64(c.b[start+p:]))
		s[i] = run[p+8 : p+8+l]
		p += 8 + l
	}
	return s, nil
}

// fixedArray decodes len(b)/et.size() fixed-size elements.
func fixedArray(et ValueType, b []byte) (any, error) {
	le := binary.LittleEndian
	switch et {
	case TypeUint8:
		return append([]uint8(nil), b...), nil
	case TypeInt8:
		return decode(b, 1, func(p []byte) int8 { return int8(p[0]) }), nil
	case TypeUint16:
		return decode(b, 2, le.Uint16), nil
	case TypeInt16:
		return decode(b, 2, func(p []byte) int16 { return int16(le.Uint16(p)) }), nil
	case TypeUint32:
		return decode(b, 4, le.Uint32), nil
	case TypeInt32:
		return decode(b, 4, func(p []byte) int32 { return int32(le.Uint32(p)) }), nil
	case TypeFloat32:
		return decode(b, 4, func(p []byte) float32 { return math.Float32frombits(le.Uint32(p)) }), nil
	case TypeUint64:
		return decode(b, 8, le.Uint64), nil
	case TypeInt64:
		return decode(b, 8, func(p []byte) int64 { return int64(le.Uint64(p)) }), nil
	case TypeFloat64:
		return decode(b, 8, func(p []byte) float64 { return math.Float64frombits(le.Uint64(p)) }), nil
	case TypeBool:
		s := make([]bool, len(b))
		for i, x := range b {
			if x > 1 {
				return nil, fmt.Errorf("bool array element %d is not 0 or 1", i)
			}
			s[i] = x == 1
		}
		return s, nil
	}
	return nil, fmt.Errorf("array element type %s is not fixed-size", et)
}

func decode[T any](b []byte, size int, f func([]byte) T) []T {
	s := make([]T, len(b)/size)
	for i := range s {
		s[i] = f(b[i*size : i*size+size])
	}
	return s
}

func (f *File) readTensorInfos(c *cursor, n uint64) ([]int, error) {
	f.Tensors = make([]TensorInfo, 0, min(n, maxPrealloc))
	f.tensors = make(map[string]int, min(n, maxPrealloc))
	infoOff := make([]int, 0, min(n, maxPrealloc))
	for i := uint64(0); i < n; i++ {
		off := c.off
		t, err := c.tensorInfo()
		if err != nil {
			return nil, err
		}
		if _, dup := f.tensors[t.Name]; dup {
			return nil, c.errAt(off, "duplicate tensor name", t.Name)
		}
		f.tensors[t.Name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, t)
		infoOff = append(infoOff, off)
	}
	return infoOff, nil
}

// tensorInfo reads and checks one tensor info (all but its placement).
func (c *cursor) tensorInfo() (TensorInfo, error) {
	var t TensorInfo
	off := c.off
	name, err := c.str("tensor name", maxNameLen)
	if err != nil {
		return t, err
	}
	if name == "" {
		return t, c.errAt(off, "empty tensor name", nil)
	}
	t.Name = name
	nd, err := c.u32("n_dims of tensor " + name)
	if err != nil {
		return t, err
	}
	if nd < 1 || nd > MaxDims {
		return t, c.errAt(c.off-4, fmt.Sprintf("tensor %q: n_dims not in 1..%d", name, MaxDims), nd)
	}
	t.Dims = make([]uint64, nd)
	elems := uint64(1)
	for i := range t.Dims {
		d, err := c.u64("dimension of tensor " + name)
		if err != nil {
			return t, err
		}
		if d == 0 {
			return t, c.errAt(c.off-8, fmt.Sprintf("tensor %q: dimension %d is zero", name, i), nil)
		}
		hi, lo := bits.Mul64(elems, d)
		if hi != 0 || lo > maxElements {
			return t, c.errAt(c.off-8, fmt.Sprintf("tensor %q: element count overflows at dimension %d", name, i), d)
		}
		elems = lo
		t.Dims[i] = d
	}
	typ, err := c.u32("type of tensor " + name)
	if err != nil {
		return t, err
	}
	t.Type = quant.Type(typ)
	if !t.Type.Known() {
		return t, c.unsupportedAt(c.off-4, fmt.Sprintf("tensor %q: unknown ggml type id", name), typ)
	}
	if bs := uint64(t.Type.BlockSize()); t.Dims[0]%bs != 0 {
		return t, c.errAt(off, fmt.Sprintf("tensor %q: ne[0] is not a multiple of the %s block size %d", name, t.Type, bs), t.Dims[0])
	}
	size, err := quant.RowSize(t.Type, int64(elems))
	if err != nil {
		return t, c.errAt(off, fmt.Sprintf("tensor %q: %v", name, err), nil)
	}
	t.Size = uint64(size)
	if t.Offset, err = c.u64("offset of tensor " + name); err != nil {
		return t, err
	}
	return t, nil
}

// checkTensorData checks each tensor's placement: aligned, inside the file,
// no two overlapping.
func (f *File) checkTensorData(c *cursor, infoOff []int) error {
	order := make([]int, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		offField := infoOff[i] + 8 + len(t.Name) + 4 + 8*len(t.Dims) + 4
		if t.Offset%f.Alignment != 0 {
			return c.errAt(offField, fmt.Sprintf("tensor %q: offset not a multiple of the alignment %d", t.Name, f.Alignment), t.Offset)
		}
		if _, _, ok := f.span(t); !ok {
			return c.errAt(offField, fmt.Sprintf("tensor %q: data (%d bytes) extends beyond the end of the file; offset", t.Name, t.Size), t.Offset)
		}
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return f.Tensors[order[a]].Offset < f.Tensors[order[b]].Offset })
	for k := 1; k < len(order); k++ {
		prev, cur := &f.Tensors[order[k-1]], &f.Tensors[order[k]]
		if cur.Offset < prev.Offset+prev.Size {
			offField := infoOff[order[k]] + 8 + len(cur.Name) + 4 + 8*len(cur.Dims) + 4
			return c.errAt(offField, fmt.Sprintf("tensor %q overlaps tensor %q; offset", cur.Name, prev.Name), cur.Offset)
		}
	}
	return nil
}
