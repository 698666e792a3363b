package quant

import "fmt"

// Type is a ggml element type. The numeric values are ggml's (enum ggml_type)
// and appear verbatim in GGUF tensor infos.
type Type uint32

// The ggml type ids. Only the ones PoT reads or writes are listed; the gaps
// are ggml types PoT rejects as unsupported.
const (
	F32  Type = 0
	F16  Type = 1
	Q4_0 Type = 2
	Q4_1 Type = 3
	Q5_0 Type = 6
	Q5_1 Type = 7
	Q8_0 Type = 8
	Q8_1 Type = 9
	Q2_K Type = 10
	Q3_K Type = 11
	Q4_K Type = 12
	Q5_K Type = 13
	Q6_K Type = 14
	Q8_K Type = 15
	BF16 Type = 30
)

// QK_K is the super-block size of the K-quants.
const QK_K = 256

type typeInfo struct {
	name      string
	blockSize int // elements per block
	typeSize  int // bytes per block
}

// types maps every type whose layout PoT knows. Sizes are from
// ggml-common.h (static_asserts on block_q4_K etc.).
var types = map[Type]typeInfo{
	F32:  {"F32", 1, 4},
	F16:  {"F16", 1, 2},
	BF16: {"BF16", 1, 2},
	Q4_0: {"Q4_0", 32, 18},
	Q4_1: {"Q4_1", 32, 20},
	Q5_0: {"Q5_0", 32, 22},
	Q5_1: {"Q5_1", 32, 24},
	Q8_0: {"Q8_0", 32, 34},
	Q8_1: {"Q8_1", 32, 36},
	Q2_K: {"Q2_K", QK_K, 84},
	Q3_K: {"Q3_K", QK_K, 110},
	Q4_K: {"Q4_K", QK_K, 144},
	Q5_K: {"Q5_K", QK_K, 176},
	Q6_K: {"Q6_K", QK_K, 210},
	Q8_K: {"Q8_K", QK_K, 292},
}

// String returns ggml's name for the type, or "type(N)" for an unknown id.
func (t Type) String() string {
	if ti, ok := types[t]; ok {
		return ti.name
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Known reports whether PoT knows the block layout of t (and so can compute
// sizes and validate a tensor of this type), whether or not it can
// dequantize it.
func (t Type) Known() bool { _, ok := types[t]; return ok }

// BlockSize is the number of elements in one block of t, 0 if t is unknown.
func (t Type) BlockSize() int { return types[t].blockSize }

// TypeSize is the number of bytes in one block of t, 0 if t is unknown.
func (t Type) TypeSize() int { return types[t].typeSize }

// ParseType returns the type named s (as String prints it).
func ParseType(s string) (Type, error) {
	for t, ti := range types {
		if ti.name == s {
			return t, nil
		}
	}
	return 0, fmt.Errorf("quant: unknown type %q", s)
}

// RowSize returns the number of bytes n elements of type t occupy. It fails
// if t is unknown or n is not a whole number of blocks; it never overflows
// for n < 2^53.
func RowSize(t Type, n int64) (int64, error) {
	ti, ok := types[t]
	if !ok {
		return 0, fmt.Errorf("quant: unknown type %s", t)
	}
	if n < 0 || n%int64(ti.blockSize) != 0 {
		return 0, fmt.Errorf("quant: %d elements is not a whole number of %s blocks of %d", n, t, ti.blockSize)
	}
	if n > 1<<53 {
		return 0, fmt.Errorf("quant: %d elements is too many", n)
	}
	return n / int64(ti.blockSize) * int64(ti.typeSize), nil
}
