package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/proof-of-training/pot/internal/mmap"
)

// Limits.
const (
	// MaxHeaderSize bounds the JSON header: the reference implementation's
	// MAX_HEADER_SIZE (100 MB); the largest real headers (tens of thousands
	// of tensors) are a few MB.
	MaxHeaderSize = 100_000_000
	// maxDims bounds a tensor's rank; model weights have at most 4.
	maxDims = 8
	// maxNameLen bounds a tensor name.
	maxNameLen = 1024
)

// File is a parsed safetensors file. Exported fields are read-only; the
// tensor data (TensorData, Bytes) is the mapping itself and is invalid after
// Close. Methods other than Close may be called concurrently.
type File struct {
	Path       string            // as given to Open; empty for Parse
	Metadata   map[string]string // "__metadata__", nil if absent
	Tensors    []Tensor          // sorted by Begin (their order in the data)
	DataOffset int64             // 8 + header length

	data   []byte
	unmap  func([]byte) error
	byName map[string]int
}

// Open maps the file at path read-only, parses and validates it. The File
// owns the mapping until Close; on error nothing is left open.
func Open(path string) (*File, error) {
	data, unmap, err := mmap.Map(path)
	switch {
	case errors.Is(err, mmap.ErrEmpty):
		return nil, &FormatError{Path: path, Off: 0, Msg: "empty file", class: ErrFormat}
	case errors.Is(err, mmap.ErrTooLarge):
		return nil, &FormatError{Path: path, Off: -1, Msg: "file too large to map", class: ErrUnsupported}
	case err != nil:
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := parse(path, data)
	if err != nil {
		unmap(data)
		return nil, err
	}
	f.unmap = unmap
	return f, nil
}

// Parse parses and validates a safetensors file held in data, which the
// caller owns and must keep unchanged while the File is used.
func Parse(data []byte) (*File, error) { return parse("", data) }

// Close releases the mapping; calling it twice is harmless.
func (f *File) Close() error {
	if f.unmap == nil {
		return nil
	}
	data, unmap := f.data, f.unmap
	f.data, f.unmap = nil, nil
	if err := unmap(data); err != nil {
		return fmt.Errorf("safetensors %s: unmap: %w", f.Path, err)
	}
	return nil
}

// Bytes returns the whole file (the mapping, not a copy).
func (f *File) Bytes() []byte { return f.data }

// Mapped reports whether Bytes is a memory map (so page hints apply).
func (f *File) Mapped() bool { return f.unmap != nil && mmap.Supported }

// Tensor returns the tensor called name.
func (f *File) Tensor(name string) (*Tensor, bool) {
	i, ok := f.byName[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// TensorData returns t's bytes, a sub-slice of the mapping (capacity capped).
// t must be one of f's tensors.
func (f *File) TensorData(t *Tensor) []byte {
	lo, hi := uint64(f.DataOffset)+t.Begin, uint64(f.DataOffset)+t.End
	return f.data[lo:hi:hi]
}

func parse(path string, data []byte) (*File, error) {
	f := &File{Path: path}
	errAt := func(off int64, msg string, val any) error {
		return &FormatError{Path: path, Off: off, Msg: msg, Val: val, class: ErrFormat}
	}
	if len(data) < 8 {
		return nil, errAt(0, "truncated header length: need bytes", 8)
	}
	n := binary.LittleEndian.Uint64(data)
	switch {
	case n > MaxHeaderSize:
		return nil, &FormatError{Path: path, Off: 0, Msg: "header length above the 100 MB limit", Val: n, class: ErrUnsupported}
	case n > uint64(len(data)-8):
		return nil, errAt(0, "header length exceeds the file", n)
	case n < 2:
		return nil, errAt(0, "header too short for a JSON object", n)
	}
	hdr := data[8 : 8+n]
	if hdr[0] != '{' {
		return nil, errAt(8, "header does not start with '{'", nil)
	}
	if !utf8.Valid(hdr) {
		return nil, errAt(8, "header is not valid UTF-8", nil)
	}
	f.DataOffset = int64(8 + n)
	if err := f.readHeader(hdr); err != nil {
		return nil, err
	}
	f.data = data
	return f, f.checkLayout(uint64(len(data)) - 8 - n)
}

// readHeader decodes the JSON header token by token, so that duplicate
// keys and unknown fields are seen (encoding/json's Unmarshal hides both).
func (f *File) readHeader(hdr []byte) error {
	d := json.NewDecoder(bytes.NewReader(hdr))
	d.UseNumber()
	jerr := func(msg string, val any) error {
		return &FormatError{Path: f.Path, Off: 8 + d.InputOffset(), Msg: msg, Val: val, class: ErrFormat}
	}
	err := object(d, jerr, func(key string) error {
		if key == "__metadata__" {
			return f.readMetadata(d, jerr)
		}
		if len(key) > maxNameLen {
			return jerr("tensor name too long", len(key))
		}
		t, err := readEntry(d, key, jerr)
		if err != nil {
			return err
		}
		f.Tensors = append(f.Tensors, t)
		return nil
	})
	if err != nil {
		return err
	}
	// Only whitespace (the writer's padding) may follow the object.
	if rest := hdr[d.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return jerr("data after the header object", nil)
	}
	return nil
}

// object reads one JSON object, calling field for each key with the
// decoder positioned at its value, and refuses duplicate keys.
func object(d *json.Decoder, jerr func(string, any) error, field func(string) error) error {
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return jsonErr(err, jerr, "want a JSON object")
	}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return jsonErr(err, jerr, "")
		}
		key := tok.(string) // object keys are always strings
		if seen[key] {
			return jerr("duplicate key", key)
		}
		seen[key] = true
		if err := field(key); err != nil {
			return err
		}
	}
	if _, err := d.Token(); err != nil {
		return jsonErr(err, jerr, "")
	}
	return nil
}

// jsonErr reports a decoder error (or, with err nil, an unexpected token).
func jsonErr(err error, jerr func(string, any) error, msg string) error {
	if err == nil || errors.Is(err, io.EOF) {
		if msg == "" {
			msg = "truncated JSON"
		}
		return jerr(msg, nil)
	}
	return jerr("invalid JSON: "+err.Error(), nil)
}

func (f *File) readMetadata(d *json.Decoder, jerr func(string, any) error) error {
	f.Metadata = map[string]string{}
	return object(d, jerr, func(key string) error {
		tok, err := d.Token()
		if err != nil {
			return jsonErr(err, jerr, "")
		}
		s, ok := tok.(string)
		if !ok {
			return jerr("__metadata__ value is not a string", key)
		}
		f.Metadata[key] = s
		return nil
	})
}

// readEntry reads one tensor's {"dtype", "shape", "data_offsets"}.
func readEntry(d *json.Decoder, name string, jerr func(string, any) error) (Tensor, error) {
	t := Tensor{Name: name}
	terr := func(msg string, val any) error {
		e := jerr(msg, val).(*FormatError)
		e.Tensor = name
		return e
	}
	var have [3]bool
	var offs []uint64
	err := object(d, terr, func(key string) error {
		switch key {
		case "dtype":
			have[0] = true
			tok, err := d.Token()
			if err != nil {
				return jsonErr(err, terr, "")
			}
			s, _ := tok.(string)
			dt, ok := dtypeNames[s]
			switch {
			case ok:
				t.DType = dt
			case knownDTypes[s]:
				e := terr("dtype not supported (want F32, F16 or BF16)", s).(*FormatError)
				e.class = ErrUnsupported
				return e
			default:
				return terr("unknown dtype", fmt.Sprint(tok))
			}
		case "shape":
			have[1] = true
			s, err := uints(d, terr, "shape", maxDims)
			if err != nil {
				return err
			}
			t.Shape = s
		case "data_offsets":
			have[2] = true
			o, err := uints(d, terr, "data_offsets", 2)
			if err != nil {
				return err
			}
			offs = o
		default:
			return terr("unknown field", key)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	for i, k := range []string{"dtype", "shape", "data_offsets"} {
		if !have[i] {
			return t, terr("missing field", k)
		}
	}
	if len(offs) != 2 {
		return t, terr("data_offsets must have 2 entries", len(offs))
	}
	t.Begin, t.End = offs[0], offs[1]
	if t.Begin > t.End {
		return t, terr("data_offsets end before begin", fmt.Sprintf("[%d, %d]", t.Begin, t.End))
	}
	size := t.DType.Size()
	for _, x := range t.Shape {
		hi, lo := bits.Mul64(size, x)
		if hi != 0 {
			return t, terr("shape overflows", fmt.Sprint(t.Shape))
		}
		size = lo
	}
	if size != t.End-t.Begin {
		return t, terr(fmt.Sprintf("shape %v of %s needs %d bytes, data_offsets give", t.Shape, t.DType, size), t.End-t.Begin)
	}
	return t, nil
}

// uints reads a JSON array of at most max non-negative integers.
func uints(d *json.Decoder, terr func(string, any) error, what string, max int) ([]uint64, error) {
	if tok, err := d.Token(); err != nil || tok != json.Delim('[') {
		return nil, jsonErr(err, terr, what+" is not an array")
	}
	var out []uint64
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, jsonErr(err, terr, "")
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, terr(what+" holds a non-number", fmt.Sprint(tok))
		}
		x, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, terr(what+" holds a value that is not a non-negative 64-bit integer", string(num))
		}
		if len(out) == max {
			return nil, terr(what+" has too many entries", len(out)+1)
		}
		out = append(out, x)
	}
	if _, err := d.Token(); err != nil {
		return nil, jsonErr(err, terr, "")
	}
	return out, nil
}

// checkLayout sorts the tensors by offset and checks that they tile the
// data section of length n exactly: the first begins at 0, each begins
// where the previous ends, the last ends at n.
func (f *File) checkLayout(n uint64) error {
	slices.SortStableFunc(f.Tensors, func(a, b Tensor) int {
		if a.Begin != b.Begin {
			if a.Begin < b.Begin {
				return -1
			}
			return 1
		}
		if a.End < b.End {
			return -1
		} else if a.End > b.End {
			return 1
		}
		return 0
	})
	f.byName = make(map[string]int, len(f.Tensors))
	var at uint64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		f.byName[t.Name] = i
		terr := func(msg string, val any) error {
			return &FormatError{Path: f.Path, Tensor: t.Name, Off: -1, Msg: msg, Val: val, class: ErrFormat}
		}
		switch {
		case t.End > n:
			return terr(fmt.Sprintf("data_offsets [%d, %d] lie outside the %d-byte data section", t.Begin, t.End, n), nil)
		case t.Begin < at:
			return terr(fmt.Sprintf("data_offsets [%d, %d] overlap the previous tensor, which ends at", t.Begin, t.End), at)
		case t.Begin > at:
			return terr(fmt.Sprintf("data_offsets [%d, %d] leave a gap after the previous tensor, which ends at", t.Begin, t.End), at)
		}
		at = t.End
	}
	if at != n {
		return &FormatError{Path: f.Path, Off: f.DataOffset + int64(at), Msg: "bytes after the last tensor", Val: n - at, class: ErrFormat}
	}
	return nil
}
