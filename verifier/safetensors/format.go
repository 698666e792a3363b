package safetensors

// DType is a tensor element type, named as safetensors spells it.
type DType uint8

// The element types PoT reads; a file with any other dtype is refused.
const (
	F32 DType = iota + 1
	F16
	BF16
)

var dtypeNames = map[string]DType{"F32": F32, "F16": F16, "BF16": BF16}

// knownDTypes are the other dtypes of the format (safetensors' Dtype enum):
// valid, but not model weights PoT can read, so ErrUnsupported, not ErrFormat.
var knownDTypes = map[string]bool{
	"BOOL": true, "U8": true, "I8": true, "I16": true, "U16": true, "I32": true, "U32": true,
	"I64": true, "U64": true, "F64": true, "F8_E5M2": true, "F8_E4M3": true, "F8_E8M0": true,
	"F4": true, "F6_E2M3": true, "F6_E3M2": true, "C64": true,
}

func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	case BF16:
		return "BF16"
	}
	return "invalid"
}

// Size is the size of one element in bytes.
func (d DType) Size() uint64 {
	if d == F32 {
		return 4
	}
	return 2
}

// Tensor describes one tensor of a file.
type Tensor struct {
	Name  string
	DType DType
	// Shape is in row-major order as written (outermost first, PyTorch's
	// order): the reverse of ggml's ne[].
	Shape []uint64
	// Begin and End are the data_offsets, relative to the data section.
	Begin, End uint64
}

// Elements is the product of Shape (1 for a scalar), validated not to
// overflow when read.
func (t *Tensor) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Size is the tensor's length in bytes.
func (t *Tensor) Size() uint64 { return t.End - t.Begin }
