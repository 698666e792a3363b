package job

import (
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/variant"
)

// requantize writes to path a copy of the reference at refPath with its
// tensors converted to types: "a faithful version of the reference" to
// measure a noise floor against.
func requantize(refPath string, types map[string]quant.Type, path string) error {
	return variant.Write(refPath, path, variant.Retype(types))
}

// typeMap returns f's tensor types by name.
func typeMap(f *gguf.File) map[string]quant.Type {
	m := make(map[string]quant.Type, len(f.Tensors))
	for _, t := range f.Tensors {
		m[t.Name] = t.Type
	}
	return m
}
