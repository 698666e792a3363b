package job

import (
	"path/filepath"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/variant"
)

// requantize writes to path a copy of the reference at refPath (a GGUF
// file or a Hugging Face directory) with its tensors converted to types: "a
// faithful version of the reference" to measure a noise floor against.
func requantize(refPath string, types map[string]quant.Type, path string) error {
	f, err := hfmodel.OpenModel(refPath)
	if err != nil {
		return err
	}
	defer f.Close()
	return variant.WriteFrom(f, path, variant.Retype(types))
}

// hfReference describes a Hugging Face reference for the certificate, nil
// if id is not one (it has no file list).
func hfReference(id *identity.Identity) *cert.HFReference {
	if len(id.Files) == 0 {
		return nil
	}
	h := &cert.HFReference{TokenizerSHA256: id.TokenizerSHA256, ChatTemplateSHA256: id.ChatTemplateSHA256}
	for _, f := range id.Files {
		h.Files = append(h.Files, cert.HFFile{Name: f.Name, Size: f.Size, SHA256: f.SHA256})
	}
	return h
}

// typeMap returns f's tensor types by name.
func typeMap(f *gguf.File) map[string]quant.Type {
	m := make(map[string]quant.Type, len(f.Tensors))
	for _, t := range f.Tensors {
		m[t.Name] = t.Type
	}
	return m
}

// refName names a reference model in the certificate: its base name, made
// absolute first so that a directory given as "." or "dir/" is named too.
func refName(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return filepath.Base(path)
}
