package identity

import "strings"

// Effect is what a metadata key does to a model's computation, as far as
// PoT knows. The verifier turns it into a verdict: a differing Compute or
// Tokenizer key is a structural difference, a differing Cosmetic or Layout
// key changes nothing, and a differing Unknown key means PoT cannot say
// that the files behave alike everywhere (never IDENTICAL).
type Effect int

// Effects, from "no effect" to "changes what is computed".
const (
	// EffectUnknown: PoT does not know the key. llama.cpp does not read it
	// for llama or qwen2 (nor does PoT's engine), but other software might.
	EffectUnknown Effect = iota
	// EffectCosmetic: descriptive only (Cosmetic).
	EffectCosmetic
	// EffectLayout: describes how the tensors are stored, which PoT checks
	// directly through the tensor types and data (general.alignment,
	// general.file_type, general.quantization_version).
	EffectLayout
	// EffectTokenizer: the tokenizer or chat template, which decide the
	// tokens a prompt becomes.
	EffectTokenizer
	// EffectCompute: a hyper-parameter llama.cpp reads that changes the
	// forward pass (or which file makes up the model).
	EffectCompute
)

func (e Effect) String() string {
	switch e {
	case EffectCosmetic:
		return "cosmetic"
	case EffectLayout:
		return "layout"
	case EffectTokenizer:
		return "tokenizer"
	case EffectCompute:
		return "compute"
	}
	return "unknown"
}

// layoutKeys describe the encoding of the tensor data, which the tensor
// types and per-tensor digests already pin down: with identical tensors,
// they cannot change what is computed (llama.cpp uses file_type only for
// its log line, and alignment only to find the tensors).
var layoutKeys = map[string]bool{
	"general.alignment": true, "general.file_type": true, "general.quantization_version": true,
}

// computeSuffixes are the "<arch>."-prefixed keys llama.cpp reads as
// hyper-parameters (src/llama-arch.cpp LLM_KV_NAMES, as loaded in
// src/llama-model.cpp load_hparams,
// https://github.com/ggml-org/llama.cpp). For llama and qwen2 the generic
// loader reads the context, embedding, block, feed-forward, head, expert,
// rope-scaling, rope, key/value length and vocabulary keys, and both read
// the RMS epsilon. The others are read for other architectures; a file
// that sets one differently is treated as computing differently, because
// a runtime that honours it would, and a faithful requantization never
// changes it.
var computeSuffixes = []string{
	// Shapes and counts.
	"vocab_size", "context_length", "embedding_length", "embedding_length_out", "embedding_length_per_layer_input",
	"block_count", "leading_dense_block_count", "feed_forward_length",
	"attention.head_count", "attention.head_count_kv", "attention.key_length", "attention.value_length",
	"attention.key_length_swa", "attention.value_length_swa",
	// Mixture of experts.
	"expert_count", "expert_used_count", "expert_shared_count", "expert_group_count", "expert_group_used_count",
	"expert_feed_forward_length", "expert_shared_feed_forward_length", "expert_weights_scale",
	"expert_weights_norm", "expert_gating_func", "interleave_moe_layer_step", "moe_every_n_layers",
	// Normalisation.
	"attention.layer_norm_epsilon", "attention.layer_norm_rms_epsilon",
	"attention.group_norm_epsilon", "attention.group_norm_groups",
	// Attention.
	"attention.causal", "attention.scale", "attention.output_scale", "attention.value_scale",
	"attention.max_alibi_bias", "attention.clamp_kqv", "attention.sliding_window", "attention.sliding_window_pattern",
	"attention.temperature_length", "attention.temperature_scale", "attn_logit_softcapping", "full_attention_interval",
	// Rotary embeddings: base, dimensions, scaling (linear, YaRN, …).
	"rope.freq_base", "rope.freq_base_swa", "rope.dimension_count", "rope.dimension_count_swa",
	"rope.dimension_sections", "rope.scale_linear",
	"rope.freq_scale", // not llama.cpp's; on PoT's list before, kept so that no verdict weakens
	"rope.scaling.type", "rope.scaling.factor", "rope.scaling.alpha", "rope.scaling.attn_factor",
	"rope.scaling.original_context_length", "rope.scaling.finetuned", "rope.scaling.yarn_log_multiplier",
	"rope.scaling.yarn_ext_factor", "rope.scaling.yarn_attn_factor", "rope.scaling.yarn_beta_fast",
	"rope.scaling.yarn_beta_slow",
	// Scales and caps on activations and logits.
	"logit_scale", "final_logit_softcapping", "router_logit_softcapping", "residual_scale", "embedding_scale",
	"swiglu_clamp_exp", "swiglu_clamp_shexp", "use_parallel_residual", "hidden_activation",
	// What the output is and how tensors are laid out.
	"pooling_type", "classifier.output_labels", "tensor_data_layout",
}

var computeSet = func() map[string]bool {
	m := make(map[string]bool, len(computeSuffixes))
	for _, s := range computeSuffixes {
		m[s] = true
	}
	return m
}()

// computeGlobal are keys without the architecture prefix that change which
// model llama.cpp runs: the architecture itself, and the split keys (a
// file that claims to be one shard of several loads other files too).
var computeGlobal = map[string]bool{
	"general.architecture": true,
	"split.no":             true, "split.count": true, "split.tensors.count": true,
}

// KeyEffect classifies a metadata key of a file of architecture arch.
func KeyEffect(arch, key string) Effect {
	switch {
	case Cosmetic(key):
		return EffectCosmetic
	case layoutKeys[key]:
		return EffectLayout
	case strings.HasPrefix(key, TokenizerPrefix), key == ChatTemplateKey, strings.HasPrefix(key, ChatTemplateKey+"."):
		// tokenizer.chat_template.NAME: the named templates llama.cpp
		// offers (e.g. tool_use) next to the default one.
		return EffectTokenizer
	case computeGlobal[key]:
		return EffectCompute
	}
	if arch != "" {
		if rest, ok := strings.CutPrefix(key, arch+"."); ok && computeSet[rest] {
			return EffectCompute
		}
	}
	return EffectUnknown
}
