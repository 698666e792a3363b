package model

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// rewrite returns stories260K rewritten through edit, parsed in memory.
func rewrite(t *testing.T, edit func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor)) *gguf.File {
	t.Helper()
	src := open(t, "stories260K.gguf")
	kv, ts := edit(slices.Clone(src.KV), src.WriterTensors())
	var b bytes.Buffer
	if err := gguf.Write(&b, kv, ts, 0); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func setKV(kv []gguf.KV, key string, v gguf.Value) []gguf.KV {
	for i := range kv {
		if kv[i].Key == key {
			kv[i].Value = v
			return kv
		}
	}
	return append(kv, gguf.KV{Key: key, Value: v})
}

func dropTensor(ts []gguf.WriterTensor, name string) []gguf.WriterTensor {
	return slices.DeleteFunc(ts, func(w gguf.WriterTensor) bool { return w.Name == name })
}

// TestRejects: each broken variant of a real model gets the named error
// class and a message naming the culprit.
func TestRejects(t *testing.T) {
	u32 := func(v uint32) gguf.Value { return gguf.Value{Type: gguf.TypeUint32, V: v} }
	str := func(s string) gguf.Value { return gguf.Value{Type: gguf.TypeString, V: s} }
	tests := []struct {
		name string
		edit func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor)
		err  error
		msg  string
	}{
		{"other arch", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "general.architecture", str("gemma")), ts
		}, ErrUnsupported, "gemma"},
		{"missing tensor", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return kv, dropTensor(ts, "blk.3.ffn_up.weight")
		}, ErrFormat, "blk.3.ffn_up.weight"},
		{"extra tensor", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return kv, append(ts, gguf.WriterTensor{Name: "blk.0.attn_output.bias", Dims: []uint64{64}, Type: quant.F32,
				Data: func(w io.Writer) error { _, err := w.Write(make([]byte, 256)); return err }})
		}, ErrUnsupported, "attn_output.bias"},
		{"wrong heads", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.attention.head_count_kv", u32(8)), ts
		}, ErrFormat, "attn_k.weight"},
		{"heads not dividing", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.attention.head_count_kv", u32(3)), ts
		}, ErrFormat, "head_count"},
		{"zero layers", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.block_count", u32(0)), ts
		}, ErrFormat, "block_count"},
		{"huge ffn", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.feed_forward_length", u32(1<<31)), ts
		}, ErrFormat, "feed_forward_length"},
		{"yarn", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.rope.scaling.type", str("yarn")), ts
		}, ErrUnsupported, "yarn"},
		{"eps as string", func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
			return setKV(kv, "llama.attention.layer_norm_rms_epsilon", str("1e-5")), ts
		}, ErrFormat, "layer_norm_rms_epsilon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(rewrite(t, tc.edit))
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v, want %v mentioning %q", err, tc.err, tc.msg)
			}
		})
	}
}

// TestLinearScaling: rope.scaling.factor 4 gives freq_scale 1/4.
func TestLinearScaling(t *testing.T) {
	m, err := New(rewrite(t, func(kv []gguf.KV, ts []gguf.WriterTensor) ([]gguf.KV, []gguf.WriterTensor) {
		kv = setKV(kv, "llama.rope.scaling.type", gguf.Value{Type: gguf.TypeString, V: "linear"})
		return setKV(kv, "llama.rope.scaling.factor", gguf.Value{Type: gguf.TypeFloat32, V: float32(4)}), ts
	}))
	if err != nil {
		t.Fatal(err)
	}
	if m.RopeFreqScale != 0.25 {
		t.Errorf("RopeFreqScale = %g", m.RopeFreqScale)
	}
}
