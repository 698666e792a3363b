package identity

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names a class of difference between two identities.
type Kind string

// The kinds of difference, in the order Diff reports them.
const (
	KindScheme       Kind = "scheme"        // identities of different schemes: nothing else is compared
	KindFile         Kind = "file"          // the file digests differ
	KindArchitecture Kind = "architecture"  // general.architecture
	KindTokenizer    Kind = "tokenizer"     // a tokenizer.ggml.* key (Name) differs
	KindChatTemplate Kind = "chat_template" // tokenizer.chat_template
	KindMetadata     Kind = "metadata"      // another non-cosmetic key (Name) differs
	KindCosmetic     Kind = "cosmetic"      // a cosmetic key (Name) differs
	KindTensorSet    Kind = "tensor_set"    // a tensor (Name) is in only one file
	KindShape        Kind = "shape"         // a tensor's dims differ
	KindType         Kind = "type"          // a tensor's ggml type differs
	KindTensorData   Kind = "tensor_data"   // a tensor's data (or, without per-tensor digests, the data section) differs
	KindOrder        Kind = "tensor_order"  // same tensors, another order
)

// Absent is how a Difference shows a key, tensor or template that one side
// does not have.
const Absent = "absent"

// Difference is one named difference. A and B describe each side (a digest,
// a type, a shape, or Absent).
type Difference struct {
	Kind Kind   `json:"kind"`
	Name string `json:"name,omitempty"` // the key or tensor, if any
	A    string `json:"a"`
	B    string `json:"b"`
}

func (d Difference) String() string {
	if d.Name != "" {
		return fmt.Sprintf("%s %s: %s vs %s", d.Kind, d.Name, d.A, d.B)
	}
	return fmt.Sprintf("%s: %s vs %s", d.Kind, d.A, d.B)
}

// Diff lists the differences between a and b; none if the files are
// identical. Tensor data is compared per tensor when both identities have
// per-tensor digests, else through the data-section digest; a tensor whose
// shape or type differs is not also reported as a data difference.
func Diff(a, b *Identity) []Difference {
	if a.Scheme != b.Scheme {
		return []Difference{{Kind: KindScheme, A: a.Scheme, B: b.Scheme}}
	}
	if a.FileSHA256 == b.FileSHA256 && a.FileSize == b.FileSize {
		return nil
	}
	ds := []Difference{{Kind: KindFile, A: a.FileSHA256, B: b.FileSHA256}}
	if a.Architecture != b.Architecture {
		ds = append(ds, Difference{Kind: KindArchitecture, A: orAbsent(a.Architecture), B: orAbsent(b.Architecture)})
	}
	ds = append(ds, diffKeys(a, b)...)
	ds = append(ds, digestDiffs(a, b, ds)...)
	ds = append(ds, diffTensors(a, b)...)
	return ds
}

// digestDiffs reports a metadata digest that differs while no key of its
// kind does (identities whose Keys lists were dropped, e.g. trimmed
// fingerprints), so a difference is never lost.
func digestDiffs(a, b *Identity, found []Difference) []Difference {
	has := map[Kind]bool{}
	for _, d := range found {
		has[d.Kind] = true
	}
	var ds []Difference
	add := func(k Kind, x, y string, covered bool) {
		if x != y && !covered {
			ds = append(ds, Difference{Kind: k, A: orAbsent(x), B: orAbsent(y)})
		}
	}
	add(KindTokenizer, a.TokenizerSHA256, b.TokenizerSHA256, has[KindTokenizer])
	add(KindChatTemplate, a.ChatTemplateSHA256, b.ChatTemplateSHA256, has[KindChatTemplate])
	add(KindMetadata, a.MetadataSHA256, b.MetadataSHA256, has[KindTokenizer] || has[KindChatTemplate] || has[KindMetadata] || len(ds) > 0)
	add(KindCosmetic, a.CosmeticSHA256, b.CosmeticSHA256, has[KindCosmetic])
	return ds
}

func orAbsent(s string) string {
	if s == "" {
		return Absent
	}
	return s
}

// keyKind classifies a metadata key for Diff.
func keyKind(key string) Kind {
	switch {
	case key == ChatTemplateKey:
		return KindChatTemplate
	case strings.HasPrefix(key, TokenizerPrefix):
		return KindTokenizer
	case Cosmetic(key):
		return KindCosmetic
	}
	return KindMetadata
}

// diffKeys compares the per-key digests; reports are grouped by kind.
func diffKeys(a, b *Identity) []Difference {
	side := func(k *KeyDigest) string {
		if k == nil {
			return Absent
		}
		return k.Type + " " + k.SHA256
	}
	byKind := map[Kind][]Difference{}
	i, j := 0, 0
	for i < len(a.Keys) || j < len(b.Keys) {
		var ka, kb *KeyDigest
		switch {
		case j == len(b.Keys) || (i < len(a.Keys) && a.Keys[i].Key < b.Keys[j].Key):
			ka = &a.Keys[i]
			i++
		case i == len(a.Keys) || b.Keys[j].Key < a.Keys[i].Key:
			kb = &b.Keys[j]
			j++
		default:
			ka, kb = &a.Keys[i], &b.Keys[j]
			i++
			j++
		}
		if ka != nil && kb != nil && *ka == *kb {
			continue
		}
		key := kb
		if ka != nil {
			key = ka
		}
		k := keyKind(key.Key)
		byKind[k] = append(byKind[k], Difference{Kind: k, Name: key.Key, A: side(ka), B: side(kb)})
	}
	var ds []Difference
	for _, k := range []Kind{KindTokenizer, KindChatTemplate, KindMetadata, KindCosmetic} {
		ds = append(ds, byKind[k]...)
	}
	return ds
}

// diffTensors compares the tensor lists by name.
func diffTensors(a, b *Identity) []Difference {
	var ds []Difference
	inB := make(map[string]*Tensor, len(b.Tensors))
	for i := range b.Tensors {
		inB[b.Tensors[i].Name] = &b.Tensors[i]
	}
	inA := make(map[string]bool, len(a.Tensors))
	perTensor := true
	sameLayout := len(a.Tensors) == len(b.Tensors)
	for i := range a.Tensors {
		ta := &a.Tensors[i]
		inA[ta.Name] = true
		tb := inB[ta.Name]
		if tb == nil {
			ds = append(ds, Difference{Kind: KindTensorSet, Name: ta.Name, A: ta.Type + " " + dims(ta.Dims), B: Absent})
			sameLayout = false
			continue
		}
		if sameLayout && b.Tensors[i].Name != ta.Name {
			sameLayout = false
		}
		switch {
		case !slices.Equal(ta.Dims, tb.Dims):
			ds = append(ds, Difference{Kind: KindShape, Name: ta.Name, A: dims(ta.Dims), B: dims(tb.Dims)})
		case ta.Type != tb.Type:
			ds = append(ds, Difference{Kind: KindType, Name: ta.Name, A: ta.Type, B: tb.Type})
		case ta.SHA256 == "" || tb.SHA256 == "":
			perTensor = false
		case ta.SHA256 != tb.SHA256:
			ds = append(ds, Difference{Kind: KindTensorData, Name: ta.Name, A: ta.SHA256, B: tb.SHA256})
		}
	}
	for i := range b.Tensors {
		if tb := &b.Tensors[i]; !inA[tb.Name] {
			ds = append(ds, Difference{Kind: KindTensorSet, Name: tb.Name, A: Absent, B: tb.Type + " " + dims(tb.Dims)})
		}
	}
	if len(a.Tensors) == len(b.Tensors) && len(ds) == 0 && !sameLayout {
		ds = append(ds, Difference{Kind: KindOrder, A: "file order", B: "another order"})
	}
	if !perTensor && a.DataSHA256 != b.DataSHA256 {
		ds = append(ds, Difference{Kind: KindTensorData, A: a.DataSHA256, B: b.DataSHA256})
	}
	return ds
}

func dims(d []uint64) string { return strings.ReplaceAll(fmt.Sprint(d), " ", "×") }
