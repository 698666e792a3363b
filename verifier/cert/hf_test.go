package cert_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/cert/certtest"
)

// TestHuggingFaceReference: a reference naming a Hugging Face directory
// seals when its files and digests are well-formed, and a malformed one is
// a schema error naming the field.
func TestHuggingFaceReference(t *testing.T) {
	key, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	digest := strings.Repeat("ab", 32)
	ok := func() *cert.HFReference {
		return &cert.HFReference{Files: []cert.HFFile{{Name: "config.json", Size: 455, SHA256: digest},
			{Name: "model.safetensors", Size: 1 << 20, SHA256: digest}}, TokenizerSHA256: digest}
	}
	for _, c := range []struct {
		name  string
		edit  func(*cert.HFReference)
		field string // "" when it must seal
	}{
		{"valid", func(*cert.HFReference) {}, ""},
		{"no files", func(h *cert.HFReference) { h.Files = nil }, "predicate.reference.huggingFace.files"},
		{"path as name", func(h *cert.HFReference) { h.Files[1].Name = "../model.safetensors" }, "predicate.reference.huggingFace.files[1].name"},
		{"bad file digest", func(h *cert.HFReference) { h.Files[0].SHA256 = "xyz" }, "predicate.reference.huggingFace.files[0].sha256"},
		{"negative size", func(h *cert.HFReference) { h.Files[0].Size = -1 }, "predicate.reference.huggingFace.files[0].size"},
		{"bad tokenizer digest", func(h *cert.HFReference) { h.TokenizerSHA256 = "" }, "predicate.reference.huggingFace.tokenizerSha256"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := cert.Result{Verdict: cert.Identical, Reason: "by the checks"}
			st := certtest.Statement([]byte("m"), certtest.Params, make([]byte, 32), res, certtest.Checks())
			h := ok()
			c.edit(h)
			st.Predicate.Reference.HuggingFace = h
			_, _, err := cert.Seal(st, nil, "t.jsonl", key)
			switch {
			case c.field == "" && err != nil:
				t.Fatal(err)
			case c.field != "" && (!errors.Is(err, cert.ErrSchema) || !strings.Contains(fmtErr(err), c.field)):
				t.Errorf("error %v, want a schema error naming %s", err, c.field)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
