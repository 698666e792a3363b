// Package identity computes the identity of a GGUF model file: the digests
// and structural facts that say which model a file is, shared by
// `pot inspect`, fingerprints and the verifier's hash and metadata checks.
//
// An Identity holds SHA-256 digests of the whole file, of its tensor data
// section and (optionally) of each tensor; canonical digests of the
// tokenizer, of the chat template and of the non-cosmetic metadata, read
// as llama.cpp reads them (defaults filled in; see effective); and
// facts read from the tensor infos (architecture, per-type quantization
// histogram, counts, parameter count). Diff names the differences between
// two identities.
//
// KeyEffect classifies a metadata key by what it does to the computation
// (cosmetic, storage layout, tokenizer, a hyper-parameter llama.cpp reads,
// or unknown to PoT); the verifier turns that into a verdict.
//
// Left out: judging the differences (the verifier decides which matter) and
// any comparison of tensor values (package weights).
//
// Security: everything is computed from a *gguf.File that the gguf package
// has validated; digests are SHA-256 from the standard library; the
// canonical encodings are typed and length-prefixed (the GGUF encoding of
// each KV, keys sorted), so two different metadata sets cannot encode alike.
package identity

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
	"sync"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// Scheme names this package's digest definitions; it changes whenever any
// of them does, so identities of different schemes are never compared.
const Scheme = "pot-identity/2"

// Domain-separation prefixes of the canonical metadata digests.
const (
	tokenizerDomain = "pot-identity/2 tokenizer\x00"
	metadataDomain  = "pot-identity/2 metadata\x00"
	cosmeticDomain  = "pot-identity/2 cosmetic\x00"
)

// ChatTemplateKey is the chat template's key; it is digested on its own and
// is not part of the tokenizer digest.
const ChatTemplateKey = "tokenizer.chat_template"

// TokenizerPrefix selects the keys of the tokenizer digest.
const TokenizerPrefix = "tokenizer.ggml."

// cosmeticKeys are descriptive keys that do not change what the model
// computes (names, authorship, licensing, provenance, tags). They are left
// out of MetadataSHA256 and digested in CosmeticSHA256 instead. Keys are from
// gguf-py's constants.py (Keys.General); general.file_type and
// general.quantization_version are not cosmetic (they describe the data).
var cosmeticKeys = map[string]bool{
	"general.name": true, "general.description": true, "general.author": true,
	"general.organization": true, "general.url": true, "general.doi": true,
	"general.uuid": true, "general.repo_url": true, "general.tags": true,
	"general.languages": true, "general.datasets": true, "general.basename": true,
	"general.finetune": true, "general.size_label": true, "general.quantized_by": true,
	"general.version": true, "general.license": true,
}

// cosmeticPrefixes: whole families of cosmetic keys (source.*, license.*,
// and the base_model.N.* / dataset.N.* provenance lists).
var cosmeticPrefixes = []string{"general.source.", "general.license.", "general.base_model.", "general.dataset."}

// Cosmetic reports whether key is cosmetic (see cosmeticKeys).
func Cosmetic(key string) bool {
	if cosmeticKeys[key] {
		return true
	}
	for _, p := range cosmeticPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Options control Compute.
type Options struct {
	// Progress, if set, is called after each chunk with the bytes hashed
	// so far and the file size; calls are sequential.
	Progress func(done, total int64)
	// PerTensor adds a SHA-256 for each tensor's data.
	PerTensor bool
}

// Identity is the identity of one GGUF file. Digests are lowercase hex
// SHA-256.
type Identity struct {
	Scheme      string `json:"scheme"` // Scheme
	FileSize    int64  `json:"file_size"`
	GGUFVersion uint32 `json:"gguf_version"`
	FileSHA256  string `json:"file_sha256"` // the whole file
	// DataSHA256 digests the tensor data section: the bytes from the
	// aligned data offset to the end of the file (padding included).
	DataSHA256 string `json:"data_sha256"`
	// TokenizerSHA256 digests every tokenizer.ggml.* key; see
	// canonicalDigest for the encoding.
	TokenizerSHA256 string `json:"tokenizer_sha256"`
	// ChatTemplateSHA256 digests the bytes of tokenizer.chat_template;
	// it is empty when the key is absent (a present but empty template
	// has the digest of the empty string).
	ChatTemplateSHA256 string `json:"chat_template_sha256,omitempty"`
	// MetadataSHA256 digests every key that is not Cosmetic (tokenizer
	// and chat template included); CosmeticSHA256 the cosmetic ones.
	MetadataSHA256 string `json:"metadata_sha256"`
	CosmeticSHA256 string `json:"cosmetic_sha256"`
	// Keys lists each metadata key with the digest of its canonical
	// encoding, sorted by key, so Diff can name the keys that differ.
	Keys         []KeyDigest           `json:"keys"`
	Architecture string                `json:"architecture"` // general.architecture, "" if absent
	Quant        map[string]QuantCount `json:"quant"`        // by ggml type name, from the tensor infos
	TensorCount  int                   `json:"tensor_count"`
	TensorBytes  uint64                `json:"tensor_bytes"` // sum of tensor sizes
	Params       uint64                `json:"params"`       // sum of tensor element counts
	Tensors      []Tensor              `json:"tensors"`      // in file order
	// Files is set for a model that is not one GGUF file (a Hugging Face
	// directory): each file it was read from, with its SHA-256 (for a
	// safetensors file, the LFS object id the Hugging Face hub shows).
	// FileSHA256 then digests this list (see filesDigest) and DataSHA256
	// the tensors' bytes, concatenated in order.
	Files []FileDigest `json:"files,omitempty"`
}

// FileDigest is one file of a model made of several files.
type FileDigest struct {
	Name   string `json:"name"` // base name
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// KeyDigest is one metadata key, its value type and the digest of its
// GGUF encoding (key included).
type KeyDigest struct {
	Key    string `json:"key"`
	Type   string `json:"type"` // "uint32", "array[string]", …
	SHA256 string `json:"sha256"`
}

// QuantCount counts the tensors of one type and their bytes.
type QuantCount struct {
	Tensors int    `json:"tensors"`
	Bytes   uint64 `json:"bytes"`
}

// Tensor is one tensor's identity. SHA256 is set only with
// Options.PerTensor.
type Tensor struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	Dims   []uint64 `json:"dims"`
	Size   uint64   `json:"size"`
	SHA256 string   `json:"sha256,omitempty"`
}

// Compute computes the identity of f. It reads the whole file once
// (sequentially, in chunks, with the file, data-section and tensor digests
// computed concurrently on each chunk so the pages are read from disk once).
func Compute(f *gguf.File, opt Options) (*Identity, error) {
	id := &Identity{
		Scheme: Scheme, FileSize: f.Size(), GGUFVersion: f.Version,
		Quant: map[string]QuantCount{}, TensorCount: len(f.Tensors),
	}
	if err := id.metadata(f); err != nil {
		return nil, err
	}
	id.Tensors = make([]Tensor, len(f.Tensors))
	for i := range f.Tensors {
		t := &f.Tensors[i]
		id.Tensors[i] = Tensor{Name: t.Name, Type: t.Type.String(), Dims: slices.Clone(t.Dims), Size: t.Size}
		q := id.Quant[t.Type.String()]
		q.Tensors++
		q.Bytes += t.Size
		id.Quant[t.Type.String()] = q
		id.TensorBytes += t.Size
		id.Params += t.Elements()
	}
	if f.Composed() {
		if err := id.hashComposed(f, opt); err != nil {
			return nil, err
		}
		return id, nil
	}
	id.hashData(f, opt)
	return id, nil
}

// metadata computes the metadata digests.
func (id *Identity) metadata(f *gguf.File) error {
	kvs := effective(f.KV)
	slices.SortFunc(kvs, func(a, b gguf.KV) int { return strings.Compare(a.Key, b.Key) })
	var tok, meta, cos []gguf.KV
	for _, kv := range kvs {
		var buf bytes.Buffer
		if err := gguf.EncodeKV(&buf, kv); err != nil {
			return fmt.Errorf("identity %s: %w", f.Path, err)
		}
		sum := sha256.Sum256(buf.Bytes())
		id.Keys = append(id.Keys, KeyDigest{Key: kv.Key, Type: typeName(kv.Value), SHA256: hex.EncodeToString(sum[:])})
		switch {
		case Cosmetic(kv.Key):
			cos = append(cos, kv)
		default:
			meta = append(meta, kv)
		}
		if strings.HasPrefix(kv.Key, TokenizerPrefix) {
			tok = append(tok, kv)
		}
	}
	id.TokenizerSHA256 = canonicalDigest(tokenizerDomain, tok)
	id.MetadataSHA256 = canonicalDigest(metadataDomain, meta)
	id.CosmeticSHA256 = canonicalDigest(cosmeticDomain, cos)
	if _, ok := f.Lookup(ChatTemplateKey); ok {
		s, err := f.String(ChatTemplateKey)
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		sum := sha256.Sum256([]byte(s))
		id.ChatTemplateSHA256 = hex.EncodeToString(sum[:])
	}
	if _, ok := f.Lookup("general.architecture"); ok {
		a, err := f.String("general.architecture")
		if err != nil {
			return fmt.Errorf("identity: %w", err)
		}
		id.Architecture = a
	}
	return nil
}

// canonicalDigest is SHA-256 of: the domain string, the number of KVs as
// 8 little-endian bytes, then each KV (sorted by key, as bytes) in its GGUF
// encoding (gguf.EncodeKV: u64 key length, key, u32 value type, value; a
// string is u64 length + bytes; an array is u32 element type, u64 count,
// elements). Every field is typed or length-prefixed, so the encoding is
// injective. kvs must be sorted and already known to encode.
func canonicalDigest(domain string, kvs []gguf.KV) string {
	h := sha256.New()
	h.Write([]byte(domain))
	var n [8]byte
	for i := range n {
		n[i] = byte(uint64(len(kvs)) >> (8 * i))
	}
	h.Write(n[:])
	for _, kv := range kvs {
		gguf.EncodeKV(h, kv) // cannot fail: checked in metadata
	}
	return hex.EncodeToString(h.Sum(nil))
}

func typeName(v gguf.Value) string {
	if a, ok := v.V.(gguf.Array); ok {
		return "array[" + a.Elem.String() + "]"
	}
	return v.Type.String()
}

// chunkSize is the unit of the concurrent hashing: each chunk of the file
// is hashed by up to three goroutines at once (file, data section,
// tensors), then the next. 16 MiB amortizes the synchronization (one
// barrier per ~10 ms of SHA-256) and keeps the three readers within one
// chunk of each other, so each page is faulted in once.
var chunkSize int64 = 16 << 20 // a variable so tests can cut files into many chunks

// hashData computes FileSHA256, DataSHA256 and, with opt.PerTensor, each
// tensor's digest, chunk by chunk.
func (id *Identity) hashData(f *gguf.File, opt Options) {
	data := f.Bytes()
	size := int64(len(data))
	dataStart := min(f.DataOffset, size)
	fileH, dataH := sha256.New(), sha256.New()
	th := &tensorHasher{f: f, id: id}
	if opt.PerTensor {
		th.order = make([]int, len(f.Tensors))
		for i := range th.order {
			th.order[i] = i
		}
		slices.SortFunc(th.order, func(a, b int) int {
			return cmp.Compare(f.Tensors[a].Offset, f.Tensors[b].Offset)
		})
	}
	for lo := int64(0); lo < size; lo += chunkSize {
		hi := min(lo+chunkSize, size)
		var wg sync.WaitGroup
		if dlo := max(lo, dataStart); dlo < hi {
			wg.Go(func() { dataH.Write(data[dlo:hi]) })
		}
		if opt.PerTensor {
			wg.Go(func() { th.feed(lo, hi) })
		}
		fileH.Write(data[lo:hi])
		wg.Wait()
		if opt.Progress != nil {
			opt.Progress(hi, size)
		}
	}
	id.FileSHA256 = hex.EncodeToString(fileH.Sum(nil))
	id.DataSHA256 = hex.EncodeToString(dataH.Sum(nil))
}

// tensorHasher feeds file chunks to the digests of the tensors they
// overlap, in offset order (tensors do not overlap: gguf validated that).
type tensorHasher struct {
	f     *gguf.File
	id    *Identity
	order []int     // tensor indices sorted by offset
	next  int       // position in order of the first unfinished tensor
	h     hash.Hash // digest of order[next], when started
}

func (th *tensorHasher) feed(lo, hi int64) {
	for th.next < len(th.order) {
		i := th.order[th.next]
		t := &th.f.Tensors[i]
		start := th.f.DataOffset + int64(t.Offset)
		end := start + int64(t.Size)
		if start >= hi {
			return
		}
		if th.h == nil {
			th.h = sha256.New()
		}
		th.h.Write(th.f.Bytes()[max(start, lo):min(end, hi)])
		if end > hi {
			return
		}
		th.id.Tensors[i].SHA256 = hex.EncodeToString(th.h.Sum(nil))
		th.h = nil
		th.next++
	}
}
