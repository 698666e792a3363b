package requant

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// FileType names a llama.cpp file type (llama_ftype): the base element type
// and the rules that refine it per tensor.
type FileType string

// fileTypes maps each supported file type to its base element type.
var fileTypes = map[FileType]quant.Type{
	"F32": quant.F32, "F16": quant.F16, "BF16": quant.BF16,
	"Q8_0": quant.Q8_0, "Q4_0": quant.Q4_0, "Q4_1": quant.Q4_1, "Q5_0": quant.Q5_0, "Q5_1": quant.Q5_1,
	"Q4_K_S": quant.Q4_K, "Q4_K_M": quant.Q4_K, "Q5_K_S": quant.Q5_K, "Q5_K_M": quant.Q5_K, "Q6_K": quant.Q6_K,
}

// FileTypeNames lists the supported file types, sorted.
func FileTypeNames() []string {
	var names []string
	for n := range fileTypes {
		names = append(names, string(n))
	}
	sort.Strings(names)
	return names
}

// ParseFileType checks that s names a supported file type.
func ParseFileType(s string) (FileType, error) {
	if _, ok := fileTypes[FileType(s)]; !ok {
		return "", fmt.Errorf("requant: unknown file type %q (known: %s)", s, strings.Join(FileTypeNames(), ", "))
	}
	return FileType(s), nil
}

// TensorType returns the element type llama-quantize (without --pure and
// without an importance matrix) gives the tensor name of ne[0] = cols in a
// model with nLayers layers and, if tied, no output.weight. layer is the
// tensor's block index (ignored for tensors outside blocks).
//
// This mirrors llama_tensor_get_type in llama.cpp src/llama-quant.cpp for
// the file types PoT writes; the rules it leaves out concern IQ types, MoE
// and Falcon.
func TensorType(ft FileType, name string, dims int, cols int64, layer, nLayers int, tied bool) quant.Type {
	base, ok := fileTypes[ft]
	if !ok {
		return quant.F32
	}
	// Only 2-D weights are quantized; norms and biases stay F32.
	if dims < 2 || !strings.HasSuffix(name, "weight") || strings.Contains(name, "_norm.weight") {
		return quant.F32
	}
	if base == quant.F32 || base == quant.F16 || base == quant.BF16 {
		return base
	}
	t := base
	moreBits := layer < nLayers/8 || layer >= 7*nLayers/8 || (layer-nLayers/8)%3 == 2
	switch {
	case name == "output.weight" || (tied && name == "token_embd.weight"):
		if cols%int64(base.BlockSize()) != 0 {
			t = quant.Q8_0
		} else if base != quant.Q8_0 {
			t = quant.Q6_K
		}
	case strings.HasSuffix(name, "attn_v.weight"):
		if (ft == "Q4_K_M" || ft == "Q5_K_M") && moreBits {
			t = quant.Q6_K
		} else if ft == "Q4_K_S" && layer < 4 {
			t = quant.Q5_K
		}
	case strings.HasSuffix(name, "ffn_down.weight"):
		if (ft == "Q4_K_M" || ft == "Q5_K_M") && moreBits {
			t = quant.Q6_K
		} else if ft == "Q4_K_S" && layer < nLayers/8 {
			t = quant.Q5_K
		}
	}
	return fallback(t, cols)
}

// fallback replaces a type whose block does not divide the row length, as
// llama.cpp's tensor_type_fallback does.
func fallback(t quant.Type, cols int64) quant.Type {
	if cols%int64(t.BlockSize()) == 0 {
		return t
	}
	switch t {
	case quant.Q4_K:
		t = quant.Q5_0
	case quant.Q5_K:
		t = quant.Q5_1
	case quant.Q6_K:
		t = quant.Q8_0
	case quant.Q2_K, quant.Q3_K:
		t = quant.Q4_0
	}
	if cols%int64(t.BlockSize()) != 0 {
		return quant.F16
	}
	return t
}

// ftypeIDs are llama.cpp's llama_ftype values, written to general.file_type.
var ftypeIDs = map[FileType]uint32{
	"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9,
	"Q4_K_S": 14, "Q4_K_M": 15, "Q5_K_S": 16, "Q5_K_M": 17, "Q6_K": 18, "BF16": 32,
}

// ProfileTypes returns the element type llama-quantize would give each
// tensor of f for file type ft (tensors it leaves alone, such as norms and
// biases, keep their type).
func ProfileTypes(f *gguf.File, ft FileType) map[string]quant.Type {
	nLayers := 0
	tied := true
	for _, t := range f.Tensors {
		nLayers = max(nLayers, layerOf(t.Name)+1)
		if t.Name == "output.weight" {
			tied = false
		}
	}
	m := make(map[string]quant.Type, len(f.Tensors))
	for _, t := range f.Tensors {
		to := TensorType(ft, t.Name, len(t.Dims), int64(t.Dims[0]), layerOf(t.Name), nLayers, tied)
		if to == quant.F32 && len(t.Dims) < 2 {
			to = t.Type
		}
		m[t.Name] = to
	}
	return m
}

// layerOf returns N of a "blk.N." tensor name, -1 for others.
func layerOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return -1
	}
	n, _, _ := strings.Cut(rest, ".")
	l, err := strconv.Atoi(n)
	if err != nil {
		return -1
	}
	return l
}

// FileTypeID returns llama.cpp's general.file_type value for ft.
func FileTypeID(ft FileType) uint32 { return ftypeIDs[ft] }

// SetFileType sets general.file_type in kv to ft's llama_ftype value (or
// adds it).
func SetFileType(kv []gguf.KV, ft FileType) []gguf.KV {
	v := gguf.Value{Type: gguf.TypeUint32, V: FileTypeID(ft)}
	for i := range kv {
		if kv[i].Key == "general.file_type" {
			kv[i].Value = v
			return kv
		}
	}
	return append(kv, gguf.KV{Key: "general.file_type", Value: v})
}

// BaseType returns the base element type of file type ft (ok = false if
// ft is unknown).
func BaseType(ft FileType) (quant.Type, bool) {
	t, ok := fileTypes[ft]
	return t, ok
}
