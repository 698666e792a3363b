package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// WriterTensor is one tensor for Write.
type WriterTensor struct {
	Name  string
	DType DType
	Shape []uint64 // row-major, outermost first
	Data  []byte   // exactly Elements × DType.Size() bytes
}

// Write writes a safetensors file holding ts, in that order, with an
// optional __metadata__ (nil for none): for fixtures, sharded test models
// and conversions. The header is padded with spaces to a multiple of 8
// bytes, as the reference writer does.
func Write(w io.Writer, meta map[string]string, ts []WriterTensor) error {
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	var off uint64
	for _, t := range ts {
		n := t.DType.Size()
		for _, d := range t.Shape {
			n *= d
		}
		if n != uint64(len(t.Data)) {
			return fmt.Errorf("safetensors: tensor %q: %d bytes for shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
		}
		if _, dup := hdr[t.Name]; dup {
			return fmt.Errorf("safetensors: tensor %q written twice", t.Name)
		}
		shape := t.Shape
		if shape == nil {
			shape = []uint64{}
		}
		hdr[t.Name] = map[string]any{"dtype": t.DType.String(), "shape": shape, "data_offsets": []uint64{off, off + n}}
		off += n
	}
	b, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	for len(b)%8 != 0 {
		b = append(b, ' ')
	}
	if _, err := w.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(b)))); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}
