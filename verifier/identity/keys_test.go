package identity

import "testing"

func TestKeyEffect(t *testing.T) {
	for _, c := range []struct {
		arch, key string
		want      Effect
	}{
		{"qwen2", "qwen2.rope.scaling.type", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.factor", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.original_context_length", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.finetuned", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.yarn_ext_factor", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.yarn_attn_factor", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.attn_factor", EffectCompute},
		{"qwen2", "qwen2.rope.scaling.yarn_log_multiplier", EffectCompute},
		{"qwen2", "qwen2.attention.sliding_window", EffectCompute},
		{"qwen2", "qwen2.rope.dimension_count", EffectCompute},
		{"qwen2", "qwen2.rope.freq_base", EffectCompute},
		{"qwen2", "qwen2.attention.layer_norm_epsilon", EffectCompute},
		{"qwen2", "qwen2.attention.layer_norm_rms_epsilon", EffectCompute},
		{"qwen2", "qwen2.expert_count", EffectCompute},
		{"qwen2", "qwen2.expert_used_count", EffectCompute},
		{"qwen2", "qwen2.attention.key_length", EffectCompute},
		{"qwen2", "qwen2.attention.value_length", EffectCompute},
		{"qwen2", "qwen2.vocab_size", EffectCompute},
		{"qwen2", "qwen2.context_length", EffectCompute},
		{"qwen2", "qwen2.logit_scale", EffectCompute},
		{"qwen2", "qwen2.embedding_length", EffectCompute},
		{"qwen2", "qwen2.block_count", EffectCompute},
		{"qwen2", "qwen2.feed_forward_length", EffectCompute},
		{"qwen2", "qwen2.attention.head_count", EffectCompute},
		{"qwen2", "qwen2.attention.head_count_kv", EffectCompute},
		{"llama", "llama.rope.scale_linear", EffectCompute},
		{"llama", "general.architecture", EffectCompute},
		{"llama", "split.count", EffectCompute},
		{"llama", "tokenizer.ggml.tokens", EffectTokenizer},
		{"llama", "tokenizer.chat_template", EffectTokenizer},
		{"llama", "tokenizer.chat_template.tool_use", EffectTokenizer},
		{"llama", "general.file_type", EffectLayout},
		{"llama", "general.alignment", EffectLayout},
		{"llama", "general.quantization_version", EffectLayout},
		{"llama", "general.name", EffectCosmetic},
		{"llama", "general.license.link", EffectCosmetic},
		{"llama", "general.base_model.0.name", EffectCosmetic},
		// Unknown: another architecture's key, new or software-specific keys.
		{"llama", "qwen2.rope.freq_base", EffectUnknown},
		{"llama", "llama.brand_new_knob", EffectUnknown},
		{"llama", "general.sampling.temp", EffectUnknown},
		{"llama", "general.type", EffectUnknown},
		{"llama", "tokenizer.huggingface.json", EffectUnknown},
		{"", "rope.freq_base", EffectUnknown},
		{"llama", "llama.", EffectUnknown},
	} {
		if got := KeyEffect(c.arch, c.key); got != c.want {
			t.Errorf("KeyEffect(%q, %q) = %s, want %s", c.arch, c.key, got, c.want)
		}
	}
}
