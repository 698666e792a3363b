package hfmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"

	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/safetensors"
)

// ggufNames maps the per-layer Hugging Face tensor suffixes of the llama and
// qwen2 families to GGUF names (llama.cpp gguf-py tensor_mapping.py).
var ggufNames = map[string]string{
	"input_layernorm.weight":          "attn_norm.weight",
	"self_attn.q_proj.weight":         "attn_q.weight",
	"self_attn.q_proj.bias":           "attn_q.bias",
	"self_attn.k_proj.weight":         "attn_k.weight",
	"self_attn.k_proj.bias":           "attn_k.bias",
	"self_attn.v_proj.weight":         "attn_v.weight",
	"self_attn.v_proj.bias":           "attn_v.bias",
	"self_attn.o_proj.weight":         "attn_output.weight",
	"post_attention_layernorm.weight": "ffn_norm.weight",
	"mlp.gate_proj.weight":            "ffn_gate.weight",
	"mlp.up_proj.weight":              "ffn_up.weight",
	"mlp.down_proj.weight":            "ffn_down.weight",
}

var layerName = regexp.MustCompile(`^model\.layers\.(0|[1-9][0-9]{0,4})\.(.+)$`)

// ggufName returns the GGUF name of a Hugging Face tensor, "" for tensors
// the converter drops (rotary_emb.inv_freq), and false for unknown ones.
func ggufName(name string) (string, bool) {
	switch name {
	case "model.embed_tokens.weight":
		return "token_embd.weight", true
	case "model.norm.weight":
		return "output_norm.weight", true
	case "lm_head.weight":
		return "output.weight", true
	}
	m := layerName.FindStringSubmatch(name)
	if m == nil {
		return "", false
	}
	if m[2] == "self_attn.rotary_emb.inv_freq" {
		return "", true
	}
	g, ok := ggufNames[m[2]]
	if !ok {
		return "", false
	}
	return "blk." + m[1] + "." + g, true
}

var typeOf = map[safetensors.DType]quant.Type{safetensors.F32: quant.F32, safetensors.F16: quant.F16, safetensors.BF16: quant.BF16}

// permuteRows writes to dst the rows of src (rows of rowSize bytes) in the
// order of llama.cpp's LlamaModel.permute(w, n_head, n_head_kv): within
// each of the nHead heads of headDim rows, the two halves of the rotary
// dimensions are interleaved (HF's rotate-half layout → ggml's adjacent
// pairs). Row h·d + 2j + i of dst is row h·d + i·d/2 + j of src.
func permuteRows(dst, src []byte, rowSize, nHead int) {
	rows := len(src) / rowSize
	d := rows / nHead
	for h := range nHead {
		for j := range d / 2 {
			for i := range 2 {
				to := (h*d + 2*j + i) * rowSize
				from := (h*d + i*d/2 + j) * rowSize
				copy(dst[to:to+rowSize], src[from:from+rowSize])
			}
		}
	}
}

// toF32 widens F16 or BF16 data to F32 (exact), as the converter stores
// 1-D tensors.
func toF32(dst, src []byte, t safetensors.DType) {
	for i := 0; i < len(src)/2; i++ {
		h := binary.LittleEndian.Uint16(src[2*i:])
		var f float32
		if t == safetensors.F16 {
			f = quant.F16ToF32(h)
		} else {
			f = quant.BF16ToF32(h)
		}
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(f))
	}
}

// llama3RopeFactors computes the rope_freqs tensor llama.cpp's converter
// generates for rope_scaling.rope_type "llama3" (LlamaModel.
// generate_extra_tensors), in float32 as its torch code does: for each
// frequency 1/base^(2i/d), 1 when its wavelength is below
// old_context_len/high_freq_factor, factor above old_context_len/
// low_freq_factor, else 1/((1−smooth)/factor + smooth). old_context_len is
// the top-level original_max_position_embeddings (default 8192), as the
// converter reads it.
func llama3RopeFactors(c *Config) ([]float32, error) {
	rs := c.RopeScaling
	get := func(k string, def float64) (float64, error) {
		v, ok := rs[k]
		if !ok {
			return def, nil
		}
		n, ok := v.(interface{ Float64() (float64, error) })
		if !ok {
			return 0, fmt.Errorf("%w: config.json: rope_scaling.%s is not a number", ErrFormat, k)
		}
		return n.Float64()
	}
	factor, err := get("factor", 8)
	if err != nil {
		return nil, err
	}
	low, err := get("low_freq_factor", 1)
	if err != nil {
		return nil, err
	}
	high, err := get("high_freq_factor", 4)
	if err != nil {
		return nil, err
	}
	old := float64(8192)
	if c.OrigMaxPositions != 0 {
		old = float64(c.OrigMaxPositions)
	}
	if low == high || !(factor > 0) || !(low > 0) || !(high > 0) {
		return nil, fmt.Errorf("%w: config.json: llama3 rope_scaling factor %g, low_freq_factor %g, high_freq_factor %g", ErrFormat, factor, low, high)
	}
	base := float32(10000)
	if c.RopeTheta != 0 {
		base = float32(c.RopeTheta)
	}
	d := int(c.headDim())
	lowWave, highWave := old/low, old/high
	out := make([]float32, 0, d/2)
	for i := 0; i < d; i += 2 {
		// Each step rounds to float32, as torch's float32 tensors do.
		exp := float32(float32(i) / float32(d))
		freq := float32(1 / float32(math.Pow(float64(base), float64(exp))))
		wave := float32(float32(1/freq) * float32(2*math.Pi))
		switch {
		case float64(wave) < highWave:
			out = append(out, 1)
		case float64(wave) > lowWave:
			out = append(out, float32(factor))
		default:
			smooth := float32(float32(float32(old)/wave-float32(low)) / float32(high-low))
			out = append(out, float32(1/float32(float32(float32(1-smooth)/float32(factor))+smooth)))
		}
	}
	return out, nil
}
