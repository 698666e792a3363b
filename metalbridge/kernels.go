package metalbridge

import (
	_ "embed"
	"encoding/binary"
	"fmt"
)

// kernelSource is the Metal source of every kernel (kernels.metal),
// compiled at run time with newLibraryWithSource: Metal shaders cannot be
// precompiled off a Mac.
//
//go:embed kernels.metal
var kernelSource string

// Kernel names, as declared in kernels.metal.
const (
	kMulMV     = "mul_mv"
	kMulMM     = "mul_mm"
	kRMSNorm   = "rms_norm"
	kAddRow    = "add_row"
	kAdd       = "add_vec"
	kSwiGLU    = "swiglu"
	kRope      = "rope"
	kAttention = "attention"
	kRowMaxLSE = "row_max_lse"
	kRowTopK   = "row_topk"
)

// Tiling, mirroring the #defines of kernels.metal.
const (
	mvRowsPerGroup = 2   // mul_mv: simdgroups (weight rows) per threadgroup
	mvBatch        = 8   // MV_NB: activation rows per mul_mv threadgroup
	mmTile         = 32  // MM_R = MM_T = MM_K
	mmThreads      = 128 // four simdgroups
	mmSharedBytes  = 2*mmTile*mmTile*2 + mmTile*mmTile*4
	eltThreads     = 256 // add, add_row, swiglu
	simdWidth      = 32
	maxHeadDim     = 256 // attention: 8 output elements per lane
)

// mulMMMinRows is the batch from which MatMul keeps the simdgroup-matrix
// kernel even after SetMatVec(true): below it a 32-row tile would be mostly
// padding, and mul_mv reads each weight row once per 8 activation rows
// (llama.cpp switches at 8 too).
const mulMMMinRows = 9

// param is one kernel parameter bound from Go: a buffer (a device pointer,
// or a constant struct sent inline) or threadgroup memory.
type param struct {
	index int
	decl  string // the declaration without its name, e.g. "device const float *"
	tg    bool   // [[threadgroup(index)]] rather than [[buffer(index)]]
}

// kernelParams is what the Go side binds for each kernel, in index order;
// TestKernelSignatures checks it against kernels.metal, and dispatch checks
// every binding against it.
var kernelParams = map[string][]param{
	kMulMV: {{0, "constant MatArgs &", false}, {1, "device const uchar *", false}, {2, "device const float *", false}, {3, "device float *", false}},
	kMulMM: {{0, "constant MatArgs &", false}, {1, "device const uchar *", false}, {2, "device const float *", false}, {3, "device float *", false},
		{0, "threadgroup uchar *", true}},
	kRMSNorm:   {{0, "constant NormArgs &", false}, {1, "device const float *", false}, {2, "device const float *", false}, {3, "device float *", false}},
	kAddRow:    {{0, "constant EltArgs &", false}, {1, "device float *", false}, {2, "device const float *", false}},
	kAdd:       {{0, "constant EltArgs &", false}, {1, "device float *", false}, {2, "device const float *", false}},
	kSwiGLU:    {{0, "constant EltArgs &", false}, {1, "device float *", false}, {2, "device const float *", false}},
	kRope:      {{0, "constant RopeArgs &", false}, {1, "device float *", false}, {2, "device float *", false}, {3, "device const int *", false}, {4, "device const float *", false}},
	kAttention: {{0, "constant AttnArgs &", false}, {1, "device const float *", false}, {2, "device const float *", false}, {3, "device const float *", false}, {4, "device float *", false}, {5, "device const int *", false}},
	kRowMaxLSE: {{0, "constant NormArgs &", false}, {1, "device const float *", false}, {2, "device float *", false}},
	kRowTopK:   {{0, "constant TopKArgs &", false}, {1, "device const float *", false}, {2, "device float *", false}},
}

// Argument structs, field for field the structs of the same name in
// kernels.metal (TestArgStructs checks names and types): 32-bit fields
// only, so Go and MSL lay them out alike.
type (
	matArgs struct {
		Type     int32
		Rows     int32
		Cols     int32
		N        int32
		RowBytes uint32
		XStride  int32
		YStride  int32
	}
	normArgs struct {
		Dim int32
		Eps float32
	}
	eltArgs struct {
		Count int32
		Dim   int32
	}
	ropeArgs struct {
		QHeads     int32
		KHeads     int32
		HeadDim    int32
		Dim        int32
		Neox       int32
		HasFactors int32
		ThetaScale float32
		FreqScale  float32
	}
	topKArgs struct {
		Dim int32
		K   int32
	}
	attnArgs struct {
		Heads   int32
		KVHeads int32
		HeadDim int32
		Scale   float32
	}
)

// argBytes encodes an argument struct as the kernel reads it.
func argBytes(v any) []byte {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		panic(fmt.Sprintf("metalbridge: argument %T: %v", v, err)) // our structs: programmer error
	}
	return b
}

// binding is one kernel argument: device memory (buf at off) or inline
// bytes (a constant struct).
type binding struct {
	index int
	buf   bufID
	off   int
	bytes []byte
}

// dispatch is one kernel launch: groups threadgroups of threads threads
// (x only), with tgMem bytes of threadgroup memory at [[threadgroup(0)]].
type dispatch struct {
	kernel  string
	binds   []binding
	groups  [3]int
	threads int
	tgMem   int
}

// check panics unless d binds exactly the parameters kernelParams lists
// for its kernel: inline bytes for constant structs, buffers for device
// pointers, and threadgroup memory where the kernel takes it.
func (d *dispatch) check() {
	ps, ok := kernelParams[d.kernel]
	if !ok {
		panic("metalbridge: unknown kernel " + d.kernel)
	}
	nbuf := 0
	for _, p := range ps {
		if p.tg {
			if d.tgMem <= 0 {
				panic("metalbridge: " + d.kernel + " needs threadgroup memory")
			}
			continue
		}
		if nbuf >= len(d.binds) || d.binds[nbuf].index != p.index || (d.binds[nbuf].bytes != nil) != (p.decl[:8] == "constant") {
			panic(fmt.Sprintf("metalbridge: %s: binding %d does not match parameter %d (%s)", d.kernel, nbuf, p.index, p.decl))
		}
		nbuf++
	}
	if nbuf != len(d.binds) {
		panic(fmt.Sprintf("metalbridge: %s: %d bindings for %d parameters", d.kernel, len(d.binds), nbuf))
	}
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
