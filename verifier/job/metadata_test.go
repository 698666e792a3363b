package job

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/variant"
)

// setKey sets (or adds) a metadata key to v.
func setKey(key string, v gguf.Value) variant.Edit {
	return func(kv []gguf.KV, _ []gguf.WriterTensor, _ *gguf.File) ([]gguf.KV, error) {
		for i := range kv {
			if kv[i].Key == key {
				kv[i].Value = v
				return kv, nil
			}
		}
		return append(kv, gguf.KV{Key: key, Value: v}), nil
	}
}

func u32(x uint32) gguf.Value  { return gguf.Value{Type: gguf.TypeUint32, V: x} }
func f32(x float32) gguf.Value { return gguf.Value{Type: gguf.TypeFloat32, V: x} }
func str(s string) gguf.Value  { return gguf.Value{Type: gguf.TypeString, V: s} }
func boolean(b bool) gguf.Value {
	return gguf.Value{Type: gguf.TypeBool, V: b}
}

// TestMetadataVerdicts: with identical tensor data, a differing key that
// changes what llama.cpp computes is DIFFERENT naming it; one of unknown
// effect is SAME (never IDENTICAL) with a check naming it and a reason
// saying its effect is unknown; cosmetic and storage keys stay IDENTICAL.
func TestMetadataVerdicts(t *testing.T) {
	ref := testdata.Path(t, "stories260K.gguf") // llama
	dir := t.TempDir()
	cases := []struct {
		key   string
		v     gguf.Value
		want  cert.Verdict
		check string // the check that names the key
	}{
		// Read by llama.cpp's loader for llama: DIFFERENT.
		{"llama.rope.scaling.type", str("yarn"), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.factor", f32(4), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.original_context_length", u32(4096), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.finetuned", boolean(true), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.attn_factor", f32(1.5), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.yarn_ext_factor", f32(0.5), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.yarn_attn_factor", f32(1.2), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.yarn_log_multiplier", f32(0.1), cert.Different, "hyper-parameters"},
		{"llama.rope.scaling.yarn_beta_fast", f32(16), cert.Different, "hyper-parameters"},
		{"llama.rope.scale_linear", f32(2), cert.Different, "hyper-parameters"},
		{"llama.rope.freq_base", f32(500000), cert.Different, "hyper-parameters"},
		{"llama.rope.dimension_count", u32(4), cert.Different, "hyper-parameters"},
		{"llama.attention.sliding_window", u32(64), cert.Different, "hyper-parameters"},
		{"llama.attention.layer_norm_rms_epsilon", f32(1e-6), cert.Different, "hyper-parameters"},
		{"llama.attention.layer_norm_epsilon", f32(1e-6), cert.Different, "hyper-parameters"},
		{"llama.attention.key_length", u32(16), cert.Different, "hyper-parameters"},
		{"llama.attention.value_length", u32(16), cert.Different, "hyper-parameters"},
		{"llama.expert_count", u32(8), cert.Different, "hyper-parameters"},
		{"llama.expert_used_count", u32(2), cert.Different, "hyper-parameters"},
		{"llama.vocab_size", u32(600), cert.Different, "hyper-parameters"},
		{"llama.context_length", u32(4096), cert.Different, "hyper-parameters"},
		{"llama.logit_scale", f32(0.5), cert.Different, "hyper-parameters"},
		{"llama.final_logit_softcapping", f32(30), cert.Different, "hyper-parameters"},
		{"split.count", u32(2), cert.Different, "hyper-parameters"},
		{"tokenizer.chat_template.tool_use", str("{{ tools }}"), cert.Different, "chat-template"},
		// Unknown to PoT: SAME, not IDENTICAL.
		{"general.sampling.temp", f32(0.1), cert.Same, "unknown-metadata"},
		{"general.type", str("adapter"), cert.Same, "unknown-metadata"},
		{"llama.brand_new_knob", f32(2), cert.Same, "unknown-metadata"},
		{"qwen2.rope.freq_base", f32(1e6), cert.Same, "unknown-metadata"}, // another architecture's key
		{"tokenizer.huggingface.json", str("{}"), cert.Same, "unknown-metadata"},
		// Storage and cosmetic metadata: IDENTICAL.
		{"general.file_type", u32(7), cert.Identical, "metadata"},
		{"general.name", str("renamed"), cert.Identical, "cosmetic-metadata"},
		{"general.author", str("someone"), cert.Identical, "cosmetic-metadata"},
		{"general.description", str("a model"), cert.Identical, "cosmetic-metadata"},
		{"general.license", str("mit"), cert.Identical, "cosmetic-metadata"},
		{"general.source.url", str("https://example.com"), cert.Identical, "cosmetic-metadata"},
	}
	p, _ := LookupPreset("quick")
	key, _ := cert.GenerateKey(nil)
	for i, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			cand := filepath.Join(dir, fmt.Sprintf("cand-%02d.gguf", i))
			if err := variant.Write(ref, cand, setKey(c.key, c.v)); err != nil {
				t.Fatal(err)
			}
			res, err := Run(Config{Candidate: cand, Reference: ref, Preset: p})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != c.want || res.N != 0 {
				t.Errorf("%s: %s after %d challenges (%s), want %s from the checks", c.key, res.Verdict, res.N, res.Reason, c.want)
			}
			var named bool
			for _, ch := range res.Checks {
				if ch.Name == c.check && strings.Contains(ch.Detail, c.key) {
					named = true
				}
			}
			if !named {
				t.Errorf("%s: no %q check names the key: %+v", c.key, c.check, res.Checks)
			}
			if c.want == cert.Same && (!strings.Contains(res.Reason, c.key) || !strings.Contains(res.Reason, "unknown effect")) {
				t.Errorf("%s: reason %q must name the key and say its effect is unknown", c.key, res.Reason)
			}
			// The certificate replays: no failed check, verdict from the checks.
			env, tr, err := cert.Seal(res.Statement(), res.Records, "t.jsonl", key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(env, cert.Options{Trusted: []ed25519.PublicKey{key.Public()}, Transcript: tr}); err != nil {
				t.Errorf("%s: certificate: %v", c.key, err)
			}
		})
	}
}
