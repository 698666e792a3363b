package hfmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// Token types written to tokenizer.ggml.token_type (gguf-py TokenType).
const (
	typeNormal      = 1
	typeUnknown     = 2
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
	typeByte        = 6
)

// Pre-tokenizer split regexes of tokenizer.json, and the llama.cpp
// tokenizer.ggml.pre names they stand for. llama.cpp's converter identifies
// a pre-tokenizer by hashing the tokenization of a test string, which needs
// the tokenizers library; the regex is what decides that tokenization here.
var preByRegex = map[string]string{
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`: "llama-bpe",
	`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`:      "qwen2",
}

// maxVocab bounds vocabulary sizes read from the directory.
const maxVocab = 1 << 22

// checkVocabSize bounds config.json's vocab_size by the tokenizer's own
// size: models pad their embedding by at most a few hundred rows (Qwen2.5:
// 151,936 for 151,665 tokens), and each padding row costs a "[PADi]" token,
// so a hostile vocab_size must not make a small tokenizer allocate
// millions of them.
func checkVocabSize(path string, vocabSize uint64, n int) error {
	if vocabSize > 2*uint64(n)+1024 {
		return fmt.Errorf("%w: %s: config.json's vocab_size %d is far beyond the tokenizer's %d tokens", ErrFormat, path, vocabSize, n)
	}
	return nil
}

// vocab is a tokenizer in GGUF form, before the special vocabulary.
type vocab struct {
	model  string // "llama" (SentencePiece) or "gpt2" (byte-level BPE)
	pre    string
	tokens []string
	scores []float32 // SentencePiece only
	types  []int32
	merges []string // BPE only
}

// addedToken is one entry of tokenizer.json's added_tokens or of
// tokenizer_config.json's added_tokens_decoder.
type addedToken struct {
	ID      uint64 `json:"id"`
	Content string `json:"content"`
	Special bool   `json:"special"`
}

// tokenizerJSON is what PoT reads of tokenizer.json.
type tokenizerJSON struct {
	AddedTokens  []addedToken    `json:"added_tokens"`
	PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	Decoder      struct {
		Type string `json:"type"`
	} `json:"decoder"`
	Model struct {
		Type   string           `json:"type"`
		Vocab  map[string]int64 `json:"vocab"`
		Merges json.RawMessage  `json:"merges"`
	} `json:"model"`
}

// tokenizerConfig is what PoT reads of tokenizer_config.json.
type tokenizerConfig struct {
	raw          map[string]json.RawMessage
	chatTemplate json.RawMessage
	addedDecoder map[string]addedToken
}

func parseJSON(path string, data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	return nil
}

func parseTokenizerConfig(path string, data []byte) (*tokenizerConfig, error) {
	tc := &tokenizerConfig{}
	if data == nil {
		return tc, nil
	}
	if err := parseJSON(path, data, &tc.raw); err != nil {
		return nil, err
	}
	tc.chatTemplate = tc.raw["chat_template"]
	if b, ok := tc.raw["added_tokens_decoder"]; ok {
		if err := parseJSON(path, b, &tc.addedDecoder); err != nil {
			return nil, fmt.Errorf("%w (added_tokens_decoder)", err)
		}
	}
	return tc, nil
}

// looksSpecial is llama.cpp's does_token_look_special: added tokens that
// ought to be control tokens even when not marked special.
func looksSpecial(s string) bool {
	switch s {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>") ||
		strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>") ||
		strings.HasPrefix(s, "<unused") && strings.HasSuffix(s, ">")
}

// spmVocab turns tokenizer.model into the vocabulary llama.cpp's converter
// writes (_create_vocab_sentencepiece): vocab_size entries (config.json's,
// or the model's), "[PADi]" UNUSED fillers with score -10000, piece types
// kept except USER_DEFINED, which becomes NORMAL, then the
// added_tokens_decoder entries of tokenizer_config.json (CONTROL when
// special or special-looking, else USER_DEFINED with '▁' as ' ', score -1000).
func spmVocab(path string, m *SPMModel, vocabSize uint64, tc *tokenizerConfig) (*vocab, error) {
	n := uint64(len(m.Pieces))
	if vocabSize == 0 {
		vocabSize = n
	}
	if n > vocabSize {
		return nil, fmt.Errorf("%w: %s: %d pieces but config.json's vocab_size is %d", ErrFormat, path, n, vocabSize)
	}
	if err := checkVocabSize(path, vocabSize, len(m.Pieces)); err != nil {
		return nil, err
	}
	v := &vocab{model: "llama", pre: "default"}
	v.tokens = make([]string, vocabSize)
	v.scores = make([]float32, vocabSize)
	v.types = make([]int32, vocabSize)
	for i := range v.tokens {
		v.tokens[i], v.scores[i], v.types[i] = "[PAD"+strconv.Itoa(i)+"]", -10000, typeUnused
	}
	for i, p := range m.Pieces {
		v.tokens[i], v.scores[i] = p, m.Scores[i]
		switch m.Types[i] {
		case spmUnknown, spmControl, spmUnused, spmByte:
			v.types[i] = m.Types[i]
		default:
			v.types[i] = typeNormal
		}
	}
	for _, id := range slices.Sorted(maps.Keys(tc.addedDecoder)) {
		tok := tc.addedDecoder[id]
		i, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: tokenizer_config.json: added_tokens_decoder id %q", ErrFormat, id)
		}
		if i >= vocabSize {
			continue // the converter warns and skips it
		}
		if tok.Special || looksSpecial(tok.Content) {
			v.types[i] = typeControl
		} else {
			tok.Content = strings.ReplaceAll(tok.Content, "▁", " ")
			v.types[i] = typeUserDefined
		}
		v.tokens[i], v.scores[i] = tok.Content, -1000
	}
	return v, nil
}

// bpeVocab turns tokenizer.json (byte-level BPE) into the vocabulary
// llama.cpp's converter writes (get_vocab_base and SpecialVocab's merges).
func bpeVocab(path string, t *tokenizerJSON, vocabSize uint64) (*vocab, error) {
	if t.Model.Type != "BPE" || t.Decoder.Type != "ByteLevel" {
		return nil, fmt.Errorf("%w: %s: model %q with decoder %q (PoT reads byte-level BPE, or a tokenizer.model)", ErrUnsupported, path, t.Model.Type, t.Decoder.Type)
	}
	pre, err := preTokenizer(path, t.PreTokenizer)
	if err != nil {
		return nil, err
	}
	// The vocabulary transformers presents: the model's, then the added
	// tokens (by content).
	byID := map[uint64]string{}
	contents := len(t.Model.Vocab)
	for s, id := range t.Model.Vocab {
		if id < 0 || id >= maxVocab {
			return nil, fmt.Errorf("%w: %s: token %q has id %d", ErrFormat, path, s, id)
		}
		if prev, dup := byID[uint64(id)]; dup {
			return nil, fmt.Errorf("%w: %s: tokens %q and %q share id %d", ErrFormat, path, prev, s, id)
		}
		byID[uint64(id)] = s
	}
	added := map[uint64]addedToken{}
	for _, a := range t.AddedTokens {
		if a.ID >= maxVocab {
			return nil, fmt.Errorf("%w: %s: added token %q has id %d", ErrFormat, path, a.Content, a.ID)
		}
		if prev, ok := byID[a.ID]; ok && prev != a.Content {
			return nil, fmt.Errorf("%w: %s: added token %q has the id %d of token %q", ErrFormat, path, a.Content, a.ID, prev)
		}
		if _, ok := t.Model.Vocab[a.Content]; !ok {
			contents++
		}
		byID[a.ID] = a.Content
		added[a.ID] = a
	}
	if vocabSize == 0 {
		vocabSize = uint64(contents)
	}
	if err := checkVocabSize(path, vocabSize, contents); err != nil {
		return nil, err
	}
	for id := range byID {
		if id >= vocabSize {
			return nil, fmt.Errorf("%w: %s: token id %d beyond the vocabulary size %d", ErrFormat, path, id, vocabSize)
		}
	}
	v := &vocab{model: "gpt2", pre: pre, tokens: make([]string, vocabSize), types: make([]int32, vocabSize)}
	for i := range v.tokens {
		s, ok := byID[uint64(i)]
		a, isAdded := added[uint64(i)]
		switch {
		case !ok:
			v.tokens[i], v.types[i] = "[PAD"+strconv.Itoa(i)+"]", typeUnused
		case isAdded && (a.Special || looksSpecial(s)):
			v.tokens[i], v.types[i] = s, typeControl
		case isAdded:
			v.tokens[i], v.types[i] = strings.ReplaceAll(s, "▁", " "), typeUserDefined
		default:
			v.tokens[i], v.types[i] = s, typeNormal
		}
	}
	if v.merges, err = merges(path, t.Model.Merges); err != nil {
		return nil, err
	}
	return v, nil
}

// merges reads model.merges in either form: "a b" strings, or [a, b] pairs
// (transformers ≥ 4.45), joined as gguf-py does, a space inside a part
// written as U+0120.
func merges(path string, raw json.RawMessage) ([]string, error) {
	var ss []string
	if err := json.Unmarshal(raw, &ss); err == nil {
		return ss, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("%w: %s: model.merges is neither strings nor pairs of strings", ErrFormat, path)
	}
	ss = make([]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("%w: %s: merge %d has %d parts", ErrFormat, path, i, len(p))
		}
		ss[i] = strings.ReplaceAll(p[0], " ", "\u0120") + " " + strings.ReplaceAll(p[1], " ", "\u0120")
	}
	return ss, nil
}

// preTokenizer names the pre-tokenizer from its split regex.
func preTokenizer(path string, raw json.RawMessage) (string, error) {
	type pt struct {
		Type    string `json:"type"`
		Pattern struct {
			Regex string `json:"Regex"`
		} `json:"pattern"`
		UseRegex      bool `json:"use_regex"`
		Pretokenizers []pt `json:"pretokenizers"`
	}
	var p pt
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("%w: %s: pre_tokenizer: %v", ErrFormat, path, err)
	}
	steps := []pt{p}
	if p.Type == "Sequence" {
		steps = p.Pretokenizers
	}
	var regexes []string
	gpt2 := false
	for _, s := range steps {
		switch {
		case s.Type == "Split" && s.Pattern.Regex != "":
			regexes = append(regexes, s.Pattern.Regex)
		case s.Type == "ByteLevel" && s.UseRegex:
			gpt2 = true
		}
	}
	switch {
	case len(regexes) == 0 && gpt2:
		return "gpt-2", nil
	case len(regexes) == 1 && !gpt2 && preByRegex[regexes[0]] != "":
		return preByRegex[regexes[0]], nil
	}
	return "", fmt.Errorf("%w: %s: pre-tokenizer %s is not one PoT knows (the split regexes of qwen2, llama-bpe or gpt-2)", ErrUnsupported, path, clip(string(raw)))
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// specialKeys are the GGUF keys of the special token ids (gguf-py
// Keys.Tokenizer; "seperator" is its spelling).
var specialKeys = map[string]string{
	"bos": "tokenizer.ggml.bos_token_id", "eos": "tokenizer.ggml.eos_token_id",
	"unk": "tokenizer.ggml.unknown_token_id", "sep": "tokenizer.ggml.seperator_token_id",
	"pad": "tokenizer.ggml.padding_token_id", "cls": "tokenizer.ggml.cls_token_id",
	"mask": "tokenizer.ggml.mask_token_id",
}

// specialKVs is gguf-py's SpecialVocab: special token ids from
// tokenizer_config.json (by content, looked up in tokenizer.json's added
// tokens), then from config.json; add_bos/add_eos from tokenizer_config.json;
// the chat template. nVocab bounds the ids when > 0 (SentencePiece).
func specialKVs(tc *tokenizerConfig, added []addedToken, cfg *Config, nVocab int, template *string) ([]gguf.KV, error) {
	ids := map[string]uint64{}
	set := func(typ string, id uint64, ok bool) {
		if _, done := ids[typ]; ok && !done && (nVocab == 0 || id < uint64(nVocab)) {
			ids[typ] = id
		}
	}
	var kv []gguf.KV
	for _, typ := range specialTypes {
		if typ == "bos" || typ == "eos" {
			var b bool
			if raw, ok := tc.raw["add_"+typ+"_token"]; ok && json.Unmarshal(raw, &b) == nil {
				kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_" + typ + "_token", Value: gguf.Value{Type: gguf.TypeBool, V: b}})
			}
		}
		content, ok := tokenContent(tc.raw[typ+"_token"])
		if !ok {
			continue
		}
		for _, a := range added {
			if a.Content == content {
				set(typ, a.ID, true)
				break
			}
		}
	}
	for _, typ := range specialTypes {
		id, ok := cfg.TokenIDs[typ]
		set(typ, id, ok)
	}
	for _, typ := range specialTypes {
		if id, ok := ids[typ]; ok {
			kv = append(kv, gguf.KV{Key: specialKeys[typ], Value: gguf.Value{Type: gguf.TypeUint32, V: uint32(id)}})
		}
	}
	tkv, err := chatTemplateKVs(tc.chatTemplate, template)
	if err != nil {
		return nil, err
	}
	return append(kv, tkv...), nil
}

// tokenContent reads a tokenizer_config.json special token: a string or
// {"content": string}.
func tokenContent(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil && raw != nil {
		return s, true
	}
	var o struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Content != nil {
		return *o.Content, true
	}
	return "", false
}

// chatTemplateKVs writes the chat template as gguf-py's add_chat_template
// does: a string as tokenizer.chat_template; a list of {name, template} as
// tokenizer.chat_template (the one named "default") plus
// tokenizer.chat_template.NAME for the others and their names in
// tokenizer.chat_templates (sorted here; gguf-py's order is a set's). A
// template from chat_template.jinja (fallback) is used when
// tokenizer_config.json has none.
func chatTemplateKVs(raw json.RawMessage, fallback *string) ([]gguf.KV, error) {
	str := func(k, v string) gguf.KV { return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeString, V: v}} }
	if raw == nil || string(raw) == "null" {
		if fallback != nil {
			return []gguf.KV{str("tokenizer.chat_template", *fallback)}, nil
		}
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []gguf.KV{str("tokenizer.chat_template", s)}, nil
	}
	var list []struct {
		Name     string  `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%w: tokenizer_config.json: chat_template is neither a string nor a list of {name, template}", ErrFormat)
	}
	var kv []gguf.KV
	var def *string
	names := map[string]bool{}
	for _, c := range list {
		name := []byte(c.Name)
		for i, b := range name {
			if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9') {
				name[i] = '_'
			}
		}
		if len(name) == 0 || c.Template == nil {
			continue
		}
		if string(name) == "default" {
			def = c.Template
			continue
		}
		names[string(name)] = true
		kv = append(kv, str("tokenizer.chat_template."+string(name), *c.Template))
	}
	if len(names) > 0 {
		kv = append(kv, gguf.KV{Key: "tokenizer.chat_templates", Value: gguf.Value{Type: gguf.TypeArray,
			V: gguf.Array{Elem: gguf.TypeString, Elems: slices.Sorted(maps.Keys(names))}}})
	}
	if def != nil {
		kv = append(kv, str("tokenizer.chat_template", *def))
	}
	return kv, nil
}

// kvs returns the vocabulary's own tokenizer.ggml.* keys.
func (v *vocab) kvs() []gguf.KV {
	str := func(k, s string) gguf.KV { return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeString, V: s}} }
	arr := func(k string, t gguf.ValueType, e any) gguf.KV {
		return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeArray, V: gguf.Array{Elem: t, Elems: e}}}
	}
	kv := []gguf.KV{str("tokenizer.ggml.model", v.model), str("tokenizer.ggml.pre", v.pre),
		arr("tokenizer.ggml.tokens", gguf.TypeString, v.tokens)}
	if v.scores != nil {
		kv = append(kv, arr("tokenizer.ggml.scores", gguf.TypeFloat32, v.scores))
	}
	kv = append(kv, arr("tokenizer.ggml.token_type", gguf.TypeInt32, v.types))
	if v.merges != nil {
		kv = append(kv, arr("tokenizer.ggml.merges", gguf.TypeString, v.merges))
	}
	return kv
}
