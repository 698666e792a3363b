package matmul

import (
	"errors"
	"fmt"

	"github.com/proof-of-training/pot/verifier/quant"
)

// ErrUnsupported is returned (wrapped) by NewMatrix for a weight type that
// this package cannot multiply.
var ErrUnsupported = errors.New("matmul: unsupported weight type")

// Matrix is a read-only weight matrix in ggml layout: Rows rows of Cols
// elements, each row RowBytes() bytes of Type blocks, rows contiguous. It is
// a GGUF tensor with ne = [Cols, Rows]. Data is usually a view into a
// memory-mapped file; it is never copied or modified.
type Matrix struct {
	Type       quant.Type
	Rows, Cols int
	Data       []byte // len == Rows·RowBytes(), checked by NewMatrix
	rowBytes   int
}

// NewMatrix validates a weight matrix: the type must be supported, rows and
// cols positive, cols a whole number of the type's blocks, and len(data)
// exactly rows·(row size). Errors name the type and the mismatch; errors for
// unsupported types wrap ErrUnsupported.
func NewMatrix(t quant.Type, rows, cols int, data []byte) (Matrix, error) {
	if _, ok := weightKinds[t]; !ok {
		return Matrix{}, fmt.Errorf("%w %s", ErrUnsupported, t)
	}
	if rows <= 0 || cols <= 0 || rows > 1<<40 || cols > 1<<30 {
		return Matrix{}, fmt.Errorf("matmul: bad %s matrix shape %d×%d", t, rows, cols)
	}
	rb, err := quant.RowSize(t, int64(cols))
	if err != nil {
		return Matrix{}, fmt.Errorf("matmul: %s matrix %d×%d: %w", t, rows, cols, err)
	}
	if int64(len(data))/rb != int64(rows) || int64(len(data))%rb != 0 { // no overflow: divides
		return Matrix{}, fmt.Errorf("matmul: %s matrix %d×%d needs %d-byte rows, have %d bytes", t, rows, cols, rb, len(data))
	}
	return Matrix{Type: t, Rows: rows, Cols: cols, Data: data, rowBytes: int(rb)}, nil
}

// RowBytes is the size in bytes of one row.
func (m Matrix) RowBytes() int { return m.rowBytes }

// Row returns the bytes of row r.
func (m Matrix) Row(r int) []byte { return m.Data[r*m.rowBytes : (r+1)*m.rowBytes] }

// VecDotType is the type the activations are converted to before they are
// multiplied with weights of type t (ggml-cpu's type_traits_cpu[t].vec_dot_type),
// and ok=false if t is not a supported weight type.
func VecDotType(t quant.Type) (vt quant.Type, ok bool) {
	k, ok := weightKinds[t]
	if !ok {
		return 0, false
	}
	return k.act, true
}
