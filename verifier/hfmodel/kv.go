package hfmodel

import (
	"path/filepath"

	"github.com/proof-of-training/pot/verifier/gguf"
)

func kvStr(k, v string) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeString, V: v}}
}
func kvU32(k string, v uint64) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeUint32, V: uint32(v)}}
}
func kvF32(k string, v float64) gguf.KV {
	return gguf.KV{Key: k, Value: gguf.Value{Type: gguf.TypeFloat32, V: float32(v)}}
}

// hyperKVs writes the general.* and architecture keys as llama.cpp's
// converter does (TextModel.set_gguf_parameters, then LlamaModel's or
// Qwen2Model's additions).
func hyperKVs(dir string, c *Config, fileType uint32) []gguf.KV {
	a := c.Arch + "."
	kv := []gguf.KV{kvStr("general.architecture", c.Arch), kvStr("general.type", "model"),
		kvStr("general.name", filepath.Base(filepath.Clean(dir))), kvU32(a+"block_count", c.Layers)}
	if c.MaxPositions != 0 {
		kv = append(kv, kvU32(a+"context_length", c.MaxPositions))
	}
	kv = append(kv, kvU32(a+"embedding_length", c.HiddenSize), kvU32(a+"feed_forward_length", c.IntermediateSize),
		kvU32(a+"attention.head_count", c.Heads))
	if c.KVHeads != 0 {
		kv = append(kv, kvU32(a+"attention.head_count_kv", c.KVHeads))
	}
	if c.RopeTheta != 0 {
		kv = append(kv, kvF32(a+"rope.freq_base", c.RopeTheta))
	}
	kv = append(kv, kvF32(a+"attention.layer_norm_rms_epsilon", c.RMSEps))
	if c.HeadDim != 0 {
		kv = append(kv, kvU32(a+"attention.key_length", c.HeadDim), kvU32(a+"attention.value_length", c.HeadDim))
	}
	kv = append(kv, kvU32("general.file_type", uint64(fileType)))
	if c.Arch == "llama" {
		vs := c.VocabSize
		if vs == 0 {
			vs = uint64(c.tokens)
		}
		kv = append(kv, kvU32(a+"vocab_size", vs), kvU32(a+"rope.dimension_count", c.headDim()))
	}
	if factor, ok := c.RopeScaling["factor"]; ok && c.ropeType() == "linear" {
		if n, ok := factor.(interface{ Float64() (float64, error) }); ok {
			x, _ := n.Float64()
			kv = append(kv, kvStr(a+"rope.scaling.type", "linear"), kvF32(a+"rope.scaling.factor", x))
		}
	}
	return kv
}
