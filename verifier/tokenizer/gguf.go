package tokenizer

import (
	"errors"
	"fmt"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// GGUF metadata keys (gguf-py constants.py Keys.Tokenizer).
const (
	keyModel          = "tokenizer.ggml.model"
	keyPre            = "tokenizer.ggml.pre"
	keyTokens         = "tokenizer.ggml.tokens"
	keyScores         = "tokenizer.ggml.scores"
	keyTypes          = "tokenizer.ggml.token_type"
	keyMerges         = "tokenizer.ggml.merges"
	keyBOS            = "tokenizer.ggml.bos_token_id"
	keyEOS            = "tokenizer.ggml.eos_token_id"
	keyUNK            = "tokenizer.ggml.unknown_token_id"
	keyPAD            = "tokenizer.ggml.padding_token_id"
	keyAddBOS         = "tokenizer.ggml.add_bos_token"
	keyAddEOS         = "tokenizer.ggml.add_eos_token"
	keyAddSpacePrefix = "tokenizer.ggml.add_space_prefix"
)

// FromGGUF reads the tokenizer.ggml.* metadata of f and builds its
// tokenizer. Absent keys take llama.cpp's defaults (llama-vocab.cpp load):
//
//   - "llama" (SPM): BOS 1, EOS 2, UNK 0, no PAD; add_bos true,
//     add_eos false, add_space_prefix true.
//   - "gpt2" (BPE): no special ids; add_bos true for the Llama 3
//     pre-tokenizer and false otherwise, add_eos false, add_space_prefix
//     false. (llama.cpp defaults BOS and EOS to id 11, a GPT-2 relic that is
//     only ever used when add_bos is forced on; here they stay -1.)
//
// A special id in the file that is out of range is ignored, keeping the
// default, as llama.cpp does (llama2.c conversions store 0xFFFFFFFF for
// "none"). Scores may be float32 or integer arrays. Errors wrap
// ErrUnsupported, ErrVocab, or the gguf error of a malformed key.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	t, err := fromGGUF(f)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: gguf %s: %w", f.Path, err)
	}
	return t, nil
}

func fromGGUF(f *gguf.File) (*Tokenizer, error) {
	var v Vocab
	var err error
	if v.Model, err = f.String(keyModel); err != nil {
		return nil, err
	}
	if v.Pre, _, err = optional(f.String(keyPre)); err != nil {
		return nil, err
	}
	if v.Tokens, err = f.Strings(keyTokens); err != nil {
		return nil, err
	}
	if v.Scores, err = scores(f); err != nil {
		return nil, err
	}
	if v.Types, _, err = optional(f.Int32s(keyTypes)); err != nil {
		return nil, err
	}
	v.BOS, v.EOS, v.UNK, v.PAD = -1, -1, -1, -1
	switch v.Model {
	case "llama":
		v.BOS, v.EOS, v.UNK = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix = true, true
	case "gpt2":
		if v.Merges, err = f.Strings(keyMerges); err != nil {
			return nil, err
		}
		v.AddBOS = isLlama3(v.Pre)
	}
	n := int64(len(v.Tokens))
	for _, s := range []struct {
		key string
		id  *int32
	}{{keyBOS, &v.BOS}, {keyEOS, &v.EOS}, {keyUNK, &v.UNK}, {keyPAD, &v.PAD}} {
		if int64(*s.id) >= n {
			*s.id = -1 // default out of range: disabled
		}
		id, ok, err := optional(f.Uint(s.key))
		if err != nil {
			return nil, err
		}
		if ok && id < uint64(n) {
			*s.id = int32(id)
		}
	}
	for _, b := range []struct {
		key string
		val *bool
	}{{keyAddBOS, &v.AddBOS}, {keyAddEOS, &v.AddEOS}, {keyAddSpacePrefix, &v.AddSpacePrefix}} {
		x, ok, err := optional(f.Bool(b.key))
		if err != nil {
			return nil, err
		}
		if ok {
			*b.val = x
		}
	}
	return New(v)
}

// scores reads tokenizer.ggml.scores as float32s, accepting an integer
// array as llama.cpp does; nil if absent.
func scores(f *gguf.File) ([]float32, error) {
	s, _, err := optional(f.Float32s(keyScores))
	if err == nil || !errors.Is(err, gguf.ErrFormat) {
		return s, err
	}
	is, ierr := f.Int32s(keyScores)
	if ierr != nil {
		return nil, err // report the float32 mismatch
	}
	s = make([]float32, len(is))
	for i, x := range is {
		s[i] = float32(x)
	}
	return s, nil
}

// optional turns a getter's ErrNotFound into ok == false.
func optional[T any](v T, err error) (T, bool, error) {
	if errors.Is(err, gguf.ErrNotFound) {
		var zero T
		return zero, false, nil
	}
	return v, err == nil, err
}
