package synth

import (
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/requant"
)

// The llama-quantize type rules live in package requant; these names
// forward to it so that existing callers keep working.

// FileType names a llama.cpp file type: see requant.FileType.
type FileType = requant.FileType

// FileTypeNames lists the supported file types, sorted.
func FileTypeNames() []string { return requant.FileTypeNames() }

// ParseFileType checks that s names a supported file type.
func ParseFileType(s string) (FileType, error) { return requant.ParseFileType(s) }

// TensorType is requant.TensorType.
func TensorType(ft FileType, name string, dims int, cols int64, layer, nLayers int, tied bool) quant.Type {
	return requant.TensorType(ft, name, dims, cols, layer, nLayers, tied)
}

// ProfileTypes is requant.ProfileTypes.
func ProfileTypes(f *gguf.File, ft FileType) map[string]quant.Type {
	return requant.ProfileTypes(f, ft)
}

// FileTypeID is requant.FileTypeID.
func FileTypeID(ft FileType) uint32 { return requant.FileTypeID(ft) }
