package job

import (
	"path/filepath"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/identity"
)

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

// refName names a reference model in the certificate: its base name, made
// absolute first so that a directory given as "." or "dir/" is named too.
func refName(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return filepath.Base(path)
}
