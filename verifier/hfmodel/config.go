package hfmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
)

// archOf maps transformers' architecture class names to the GGUF
// architecture llama.cpp's converter writes for them (its
// @ModelBase.register lines for LlamaModel and Qwen2Model).
var archOf = map[string]string{
	"LlamaForCausalLM":   "llama",
	"MistralForCausalLM": "llama",
	"Qwen2ForCausalLM":   "qwen2",
}

// Config is what PoT reads of config.json.
type Config struct {
	Arch             string // GGUF architecture: "llama" or "qwen2"
	Class            string // architectures[0], e.g. "LlamaForCausalLM"
	HiddenSize       uint64
	IntermediateSize uint64
	Heads            uint64
	KVHeads          uint64 // 0 if absent (then equal to Heads)
	Layers           uint64
	HeadDim          uint64 // 0 if absent (then HiddenSize/Heads)
	MaxPositions     uint64 // max_position_embeddings; 0 if absent
	VocabSize        uint64 // 0 if absent
	RMSEps           float64
	RopeTheta        float64 // 0 if absent
	// OrigMaxPositions is the top-level original_max_position_embeddings
	// (0 if absent): the converter reads it there, not in rope_scaling.
	OrigMaxPositions uint64
	RopeScaling      map[string]any // nil if absent or null
	// Special token ids ("bos", "eos", …), when given as single integers.
	TokenIDs map[string]uint64

	tokens int // the tokenizer's vocabulary size, once read
}

// maxHyper bounds every size in config.json (vocabularies and context
// lengths included); no real model comes near.
const maxHyper = 1 << 24

// ParseConfig reads config.json (path names it in errors).
func ParseConfig(path string, data []byte) (*Config, error) {
	var raw map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFormat, path, err)
	}
	r := cfgReader{path: path, raw: raw}
	c := &Config{TokenIDs: map[string]uint64{}}
	var classes []string
	r.get("architectures", &classes, true)
	if r.err != nil {
		return nil, r.err
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%w: %s: empty \"architectures\"", ErrFormat, path)
	}
	c.Class = classes[0]
	arch, ok := archOf[c.Class]
	if !ok {
		known := slices.Sorted(maps.Keys(archOf))
		return nil, fmt.Errorf("%w: %s: architecture %q (PoT reads %v)", ErrUnsupported, path, c.Class, known)
	}
	c.Arch = arch
	c.HiddenSize = r.size("hidden_size", true)
	c.IntermediateSize = r.size("intermediate_size", true)
	c.Heads = r.size("num_attention_heads", true)
	c.KVHeads = r.size("num_key_value_heads", false)
	c.Layers = r.size("num_hidden_layers", true)
	c.HeadDim = r.size("head_dim", false)
	c.MaxPositions = r.size("max_position_embeddings", false)
	c.VocabSize = r.size("vocab_size", false)
	c.OrigMaxPositions = r.size("original_max_position_embeddings", false)
	c.RMSEps = r.float("rms_norm_eps", true)
	c.RopeTheta = r.float("rope_theta", false)
	if _, ok := raw["rope_scaling"]; ok {
		r.get("rope_scaling", &c.RopeScaling, false)
	}
	for _, typ := range specialTypes {
		var v any
		if r.get(typ+"_token_id", &v, false) {
			if n, ok := v.(json.Number); ok {
				if id, err := strconv.ParseUint(string(n), 10, 32); err == nil {
					c.TokenIDs[typ] = id
				}
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if c.HiddenSize%c.Heads != 0 && c.HeadDim == 0 {
		return nil, fmt.Errorf("%w: %s: hidden_size %d is not a multiple of num_attention_heads %d", ErrFormat, path, c.HiddenSize, c.Heads)
	}
	if c.KVHeads != 0 && c.Heads%c.KVHeads != 0 {
		return nil, fmt.Errorf("%w: %s: num_attention_heads %d is not a multiple of num_key_value_heads %d", ErrFormat, path, c.Heads, c.KVHeads)
	}
	if !(c.RMSEps > 0 && c.RMSEps < 1) {
		return nil, fmt.Errorf("%w: %s: rms_norm_eps %g", ErrFormat, path, c.RMSEps)
	}
	return c, nil
}

// specialTypes are gguf-py SpecialVocab's special token kinds, in its order.
var specialTypes = []string{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}

// headDim is head_dim, or hidden_size / num_attention_heads.
func (c *Config) headDim() uint64 {
	if c.HeadDim != 0 {
		return c.HeadDim
	}
	return c.HiddenSize / c.Heads
}

// kvHeads is num_key_value_heads, or num_attention_heads.
func (c *Config) kvHeads() uint64 {
	if c.KVHeads != 0 {
		return c.KVHeads
	}
	return c.Heads
}

// cfgReader reads typed fields of config.json, keeping the first error.
type cfgReader struct {
	path string
	raw  map[string]json.RawMessage
	err  error
}

// get decodes key into v; false if the key is absent or null.
func (r *cfgReader) get(key string, v any, required bool) bool {
	if r.err != nil {
		return false
	}
	b, ok := r.raw[key]
	if !ok || string(b) == "null" {
		if required {
			r.err = fmt.Errorf("%w: %s: missing %q", ErrFormat, r.path, key)
		}
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		r.err = fmt.Errorf("%w: %s: %q: %v", ErrFormat, r.path, key, err)
		return false
	}
	return true
}

// size reads an integer in [1, maxHyper]; 0 if absent and not required.
func (r *cfgReader) size(key string, required bool) uint64 {
	var n json.Number
	if !r.get(key, &n, required) {
		return 0
	}
	x, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil || x == 0 || x > maxHyper {
		r.err = fmt.Errorf("%w: %s: %q = %s, want an integer in [1, %d]", ErrFormat, r.path, key, n, maxHyper)
		return 0
	}
	return x
}

// float reads a finite number; 0 if absent and not required.
func (r *cfgReader) float(key string, required bool) float64 {
	var n json.Number
	if !r.get(key, &n, required) {
		return 0
	}
	x, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		r.err = fmt.Errorf("%w: %s: %q = %s, want a finite number", ErrFormat, r.path, key, n)
		return 0
	}
	return x
}
