package tokenizer

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Error classes, tested with errors.Is.
var (
	// ErrUnsupported: a well-formed vocabulary of a kind this package does
	// not implement (tokenizer model or pre-tokenizer).
	ErrUnsupported = errors.New("tokenizer: unsupported")
	// ErrVocab: the vocabulary is inconsistent (array lengths, duplicate
	// tokens, special ids out of range, missing data).
	ErrVocab = errors.New("tokenizer: invalid vocabulary")
	// ErrTokenID: a token id passed to Decode or Piece is out of range.
	ErrTokenID = errors.New("tokenizer: token id out of range")
)

// Token types as stored in tokenizer.ggml.token_type (llama.cpp
// llama_token_type; gguf-py constants.py TokenType).
const (
	TypeUndefined   = 0
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// attr is llama.cpp's llama_token_attr bit set: a token can gain the
// control bit on top of its stored type (see controlTexts).
type attr uint16

const (
	attrUndefined attr = 0
	attrUnknown   attr = 1 << 0
	attrUnused    attr = 1 << 1
	attrNormal    attr = 1 << 2
	attrControl   attr = 1 << 3
	attrUser      attr = 1 << 4
	attrByte      attr = 1 << 5
)

func typeAttr(t int32) attr {
	switch t {
	case TypeNormal:
		return attrNormal
	case TypeUnknown:
		return attrUnknown
	case TypeControl:
		return attrControl
	case TypeUserDefined:
		return attrUser
	case TypeUnused:
		return attrUnused
	case TypeByte:
		return attrByte
	}
	return attrUndefined
}

// controlTexts are token texts llama.cpp's vocabulary loader always treats
// as control tokens (end-of-generation and fill-in-the-middle markers that
// converters often leave as normal or user-defined). Marking them here keeps
// parse-special and decode behaviour identical to llama.cpp's.
var controlTexts = map[string]bool{
	"<|eot_id|>": true, "<|im_end|>": true, "<|end|>": true, "<end_of_turn>": true,
	"<|endoftext|>": true, "<|end_of_text|>": true, "<EOT>": true, "_<EOT>": true,
	"<|eom_id|>": true, "<|fim_prefix|>": true, "<fim-prefix>": true, "<fim_prefix>": true,
	"<PRE>": true, "▁<PRE>": true, "<|fim_suffix|>": true, "<fim-suffix>": true,
	"<fim_suffix>": true, "<SUF>": true, "▁<SUF>": true, "<|fim_middle|>": true,
	"<fim-middle>": true, "<fim_middle>": true, "<MID>": true, "▁<MID>": true,
	"<|fim_pad|>": true, "<fim-pad>": true, "<fim_pad>": true, "<PAD>": true,
	"<|fim_repo|>": true, "<|repo_name|>": true, "<fim-repo>": true, "<REPO>": true,
	"<reponame>": true, "<|file_sep|>": true,
}

// Vocab is a tokenizer vocabulary as stored in GGUF metadata, with every
// default already applied. FromGGUF fills it from a file; tests and tools
// can build one directly. New keeps references to the slices: do not modify
// them afterwards.
type Vocab struct {
	Model  string    // tokenizer.ggml.model: "llama" (SPM) or "gpt2" (byte-level BPE)
	Pre    string    // tokenizer.ggml.pre (BPE only): "llama-bpe", "qwen2", "gpt-2", "default" or ""
	Tokens []string  // token texts; index = id
	Scores []float32 // SPM merge scores, len(Tokens) or more; nil = all 0
	Types  []int32   // Type* per token, len(Tokens) or more; nil = all normal
	Merges []string  // BPE merges "left right", rank = index (required for gpt2)

	BOS, EOS, UNK, PAD int32 // special ids, -1 if none

	AddBOS, AddEOS bool // Encode with addSpecial prepends BOS / appends EOS
	// AddSpacePrefix: SPM prefixes a space to each text fragment (after the
	// start or a special token); Decode removes it again. For BPE it only
	// affects Decode, as in llama.cpp.
	AddSpacePrefix bool
}

type family uint8

const (
	familySPM family = iota + 1
	familyBPE
)

// Tokenizer encodes and decodes text for one vocabulary. It is immutable
// after New, so one Tokenizer may be used from many goroutines at once.
type Tokenizer struct {
	family family
	model  string
	pre    string
	split  splitter // BPE pre-tokenizer

	tokens []string
	scores []float32 // nil = all 0
	attrs  []attr
	ids    map[string]int32
	merges map[uint64]merge // BPE merges of two tokens into a token, by mergeKey
	// slowRanks holds the other BPE merges (a part or the result is not a
	// token), keyed by text; empty for well-formed vocabularies.
	slowRanks map[pair]int32

	bos, eos, unk, pad int32
	addBOS, addEOS     bool
	addSpacePrefix     bool
	ignoreMerges       bool // llama-bpe: a whole pre-token that is in the vocab is emitted as is

	specials []int32    // control, user-defined and unknown tokens, longest text first
	byteTok  [256]int32 // SPM: id of <0xXX> (else the 1-byte token), -1 if none
	pieces   []string   // Decode text of each token (empty for control/unknown)
}

// pair is a BPE merge: the two symbol texts.
type pair struct{ a, b string }

// merge is the rank of a BPE merge and the id of the token it makes.
type merge struct{ rank, id int32 }

// mergeKey is the key of the merge of tokens a and b in Tokenizer.merges.
func mergeKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// New builds a tokenizer from v. It returns an error wrapping ErrUnsupported
// for a model or pre-tokenizer this package does not implement, and one
// wrapping ErrVocab for an inconsistent vocabulary.
func New(v Vocab) (*Tokenizer, error) {
	t := &Tokenizer{model: v.Model, pre: v.Pre, scores: v.Scores,
		bos: v.BOS, eos: v.EOS, unk: v.UNK, pad: v.PAD,
		addBOS: v.AddBOS, addEOS: v.AddEOS, addSpacePrefix: v.AddSpacePrefix}
	switch v.Model {
	case "llama":
		t.family = familySPM
	case "gpt2":
		t.family = familyBPE
		var err error
		if t.split, t.ignoreMerges, err = preTokenizer(v.Pre); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("tokenizer: model %q: %w", v.Model, ErrUnsupported)
	}
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("tokenizer: no tokens: %w", ErrVocab)
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("tokenizer: %d tokens: %w", n, ErrVocab)
	}
	if v.Scores != nil && len(v.Scores) < n {
		return nil, fmt.Errorf("tokenizer: %d scores for %d tokens: %w", len(v.Scores), n, ErrVocab)
	}
	if v.Types != nil && len(v.Types) < n {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens: %w", len(v.Types), n, ErrVocab)
	}
	for _, s := range []struct {
		name string
		id   int32
	}{{"bos", v.BOS}, {"eos", v.EOS}, {"unk", v.UNK}, {"pad", v.PAD}} {
		if s.id < -1 || s.id >= int32(n) {
			return nil, fmt.Errorf("tokenizer: %s id %d not in [-1, %d): %w", s.name, s.id, n, ErrVocab)
		}
	}
	if v.AddBOS && v.BOS < 0 {
		return nil, fmt.Errorf("tokenizer: add_bos_token is set but there is no BOS token: %w", ErrVocab)
	}
	if v.AddEOS && v.EOS < 0 {
		return nil, fmt.Errorf("tokenizer: add_eos_token is set but there is no EOS token: %w", ErrVocab)
	}
	if err := t.buildTokens(v); err != nil {
		return nil, err
	}
	if t.family == familyBPE {
		if err := t.buildMerges(v.Merges); err != nil {
			return nil, err
		}
	}
	t.buildSpecials()
	t.buildBytes()
	t.buildPieces()
	return t, nil
}

// buildTokens fills tokens, attrs and the text→id map. Like llama.cpp, an
// empty token text becomes "[EMPTY_<id>]" and a duplicate text is an error.
func (t *Tokenizer) buildTokens(v Vocab) error {
	n := len(v.Tokens)
	t.tokens = v.Tokens
	t.attrs = make([]attr, n)
	t.ids = make(map[string]int32, n)
	copied := false
	for i, s := range v.Tokens {
		if s == "" {
			if !copied { // never write into the caller's slice
				t.tokens = append([]string(nil), v.Tokens...)
				copied = true
			}
			s = "[EMPTY_" + strconv.Itoa(i) + "]"
			t.tokens[i] = s
		}
		if j, dup := t.ids[s]; dup {
			return fmt.Errorf("tokenizer: token %d %q duplicates token %d: %w", i, s, j, ErrVocab)
		}
		t.ids[s] = int32(i)
		a := attrNormal
		if v.Types != nil {
			a = typeAttr(v.Types[i])
		}
		if controlTexts[s] {
			a |= attrControl
		}
		t.attrs[i] = a
	}
	return nil
}

// buildMerges parses "left right" merges into ranks. As in llama.cpp the
// split is at the first space after the first byte, and the first
// occurrence of a pair wins. Merges of two tokens into a token are indexed
// by token ids (no string hashing when encoding, and a pointer-free map);
// any others by text.
func (t *Tokenizer) buildMerges(merges []string) error {
	if len(merges) == 0 {
		return fmt.Errorf("tokenizer: gpt2 vocabulary without merges: %w", ErrVocab)
	}
	if len(merges) > 1<<30 {
		return fmt.Errorf("tokenizer: %d merges: %w", len(merges), ErrVocab)
	}
	t.merges = make(map[uint64]merge, len(merges))
	t.slowRanks = make(map[pair]int32)
	var buf []byte
	for i, m := range merges {
		if len(m) < 2 {
			continue
		}
		k := strings.IndexByte(m[1:], ' ')
		if k < 0 {
			continue // llama.cpp records ("", ""), which can never match
		}
		p := pair{m[:k+1], m[k+2:]}
		buf = append(append(buf[:0], p.a...), p.b...)
		a, okA := t.ids[p.a]
		b, okB := t.ids[p.b]
		ab, okAB := t.ids[string(buf)]
		if okA && okB && okAB {
			if _, dup := t.merges[mergeKey(a, b)]; !dup {
				t.merges[mergeKey(a, b)] = merge{rank: int32(i), id: ab}
			}
		} else if _, dup := t.slowRanks[p]; !dup {
			t.slowRanks[p] = int32(i)
		}
	}
	return nil
}

// buildSpecials lists the tokens split out of raw text before tokenizing
// (llama.cpp cache_special_tokens), longest first so that a token is never
// pre-empted by one of its substrings; ties go to the lower id.
func (t *Tokenizer) buildSpecials() {
	for id, a := range t.attrs {
		if a&(attrControl|attrUser|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(id))
		}
	}
	sort.SliceStable(t.specials, func(i, j int) bool {
		return len(t.tokens[t.specials[i]]) > len(t.tokens[t.specials[j]])
	})
}

// buildBytes finds the SPM byte-fallback tokens: "<0xXX>", else the token
// whose text is the single byte (llama.cpp byte_to_token).
func (t *Tokenizer) buildBytes() {
	const hex = "0123456789ABCDEF"
	for b := range 256 {
		t.byteTok[b] = -1
		if id, ok := t.ids[string([]byte{'<', '0', 'x', hex[b>>4], hex[b&15], '>'})]; ok {
			t.byteTok[b] = id
		} else if id, ok := t.ids[string([]byte{byte(b)})]; ok {
			t.byteTok[b] = id
		}
	}
}

// VocabSize is the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS is the beginning-of-sequence id, -1 if none.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS is the end-of-sequence id, -1 if none.
func (t *Tokenizer) EOS() int32 { return t.eos }

// Model is tokenizer.ggml.model: "llama" or "gpt2".
func (t *Tokenizer) Model() string { return t.model }

// Pre is tokenizer.ggml.pre as given ("" if absent).
func (t *Tokenizer) Pre() string { return t.pre }

// AddsBOS reports whether Encode with addSpecial prepends BOS.
func (t *Tokenizer) AddsBOS() bool { return t.addBOS }

// TokenText is the vocabulary text of id ("" if out of range). Byte-level
// BPE texts are in the bytes_to_unicode alphabet; use Piece for bytes.
func (t *Tokenizer) TokenText(id int32) string {
	if id < 0 || int(id) >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// IsControl reports whether id is a control token (BOS, EOS, chat markers):
// stored type control, or one of the end-of-generation texts llama.cpp
// forces to control. False if out of range.
func (t *Tokenizer) IsControl(id int32) bool {
	return id >= 0 && int(id) < len(t.attrs) && t.attrs[id]&attrControl != 0
}

// TokenType is the stored Type* of id, with the control override applied
// (TypeControl); TypeUndefined if out of range.
func (t *Tokenizer) TokenType(id int32) int32 {
	if id < 0 || int(id) >= len(t.attrs) {
		return TypeUndefined
	}
	a := t.attrs[id]
	switch {
	case a&attrControl != 0:
		return TypeControl
	case a&attrUnknown != 0:
		return TypeUnknown
	case a&attrUser != 0:
		return TypeUserDefined
	case a&attrUnused != 0:
		return TypeUnused
	case a&attrByte != 0:
		return TypeByte
	case a&attrNormal != 0:
		return TypeNormal
	}
	return TypeUndefined
}
