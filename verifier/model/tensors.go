package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// mapTensors finds every tensor the architecture needs, checks its shape
// against the Config, and rejects tensors it does not know: an unused
// tensor (say a bias PoT does not apply) would mean the logits PoT computes
// are not the model's.
func (m *Model) mapTensors(f *gguf.File) error {
	c := &m.Config
	tm := tensorMapper{f: f, used: make(map[string]bool)}
	m.TokenEmbd = tm.get("token_embd.weight", -1, c.Embed, true)
	if m.TokenEmbd == nil {
		return tm.err
	}
	c.Vocab = m.TokenEmbd.Rows
	if c.Vocab < 1 || c.Vocab > maxDim {
		return fmt.Errorf("%w: vocabulary of %d tokens", ErrFormat, c.Vocab)
	}
	m.OutputNorm = tm.get("output_norm.weight", 1, c.Embed, true)
	m.Output = tm.get("output.weight", c.Vocab, c.Embed, false)
	if m.Output == nil && tm.err == nil {
		c.TiedOutput = true
		m.Output = m.TokenEmbd
	}
	m.RopeFreqs = tm.get("rope_freqs.weight", 1, c.RopeDim/2, false)
	_, c.QKVBias = f.Tensor("blk.0.attn_q.bias")
	m.Layers = make([]Layer, c.Layers)
	for i := range m.Layers {
		p := "blk." + strconv.Itoa(i) + "."
		l := &m.Layers[i]
		l.AttnNorm = tm.get(p+"attn_norm.weight", 1, c.Embed, true)
		l.Wq = tm.get(p+"attn_q.weight", c.QDim(), c.Embed, true)
		l.Wk = tm.get(p+"attn_k.weight", c.KVDim(), c.Embed, true)
		l.Wv = tm.get(p+"attn_v.weight", c.KVDim(), c.Embed, true)
		if c.QKVBias {
			l.Bq = tm.get(p+"attn_q.bias", 1, c.QDim(), true)
			l.Bk = tm.get(p+"attn_k.bias", 1, c.KVDim(), true)
			l.Bv = tm.get(p+"attn_v.bias", 1, c.KVDim(), true)
		}
		l.Wo = tm.get(p+"attn_output.weight", c.Embed, c.QDim(), true)
		l.FFNNorm = tm.get(p+"ffn_norm.weight", 1, c.Embed, true)
		l.Wgate = tm.get(p+"ffn_gate.weight", c.FFN, c.Embed, true)
		l.Wup = tm.get(p+"ffn_up.weight", c.FFN, c.Embed, true)
		l.Wdown = tm.get(p+"ffn_down.weight", c.Embed, c.FFN, true)
	}
	if tm.err != nil {
		return tm.err
	}
	for i := range f.Tensors {
		if name := f.Tensors[i].Name; !tm.used[name] {
			return fmt.Errorf("%w: tensor %q is not part of the %s graph PoT implements", ErrUnsupported, name, c.Arch)
		}
	}
	return nil
}

// tensorMapper looks tensors up, keeping the first error.
type tensorMapper struct {
	f    *gguf.File
	used map[string]bool
	err  error
}

// get returns the tensor name with ne = [cols, rows] (rows 1: a vector with
// one dimension, or a second dimension of 1). rows < 0 accepts any row
// count ≥ 1. A missing optional tensor is nil without error.
func (tm *tensorMapper) get(name string, rows, cols int, required bool) *Tensor {
	if tm.err != nil {
		return nil
	}
	info, ok := tm.f.Tensor(name)
	if !ok {
		if required {
			tm.err = fmt.Errorf("%w: tensor %q missing", ErrFormat, name)
		}
		return nil
	}
	tm.used[name] = true
	t, err := view(tm.f, info)
	if err != nil {
		tm.err = err
		return nil
	}
	if t.Cols != cols || (rows >= 0 && t.Rows != rows) {
		want := strconv.Itoa(cols)
		if rows != 1 {
			want += ", " + strconv.Itoa(rows)
		}
		tm.err = fmt.Errorf("%w: tensor %q has shape %s, want [%s]", ErrFormat, name, shape(info.Dims), want)
		return nil
	}
	if rows == 1 && t.Type != quant.F32 {
		// Norm weights, biases and frequency factors are F32 in every
		// converter's output; llama.cpp reads them as F32 too.
		tm.err = fmt.Errorf("%w: tensor %q has type %s, want F32", ErrUnsupported, name, t.Type)
		return nil
	}
	return t
}

// view checks that info is a 1-D or 2-D tensor whose bytes match its shape
// and returns the view.
func view(f *gguf.File, info *gguf.TensorInfo) (*Tensor, error) {
	d := info.Dims
	if len(d) == 0 || len(d) > 4 {
		return nil, fmt.Errorf("%w: tensor %q has %d dimensions", ErrFormat, info.Name, len(d))
	}
	for i := 2; i < len(d); i++ {
		if d[i] != 1 {
			return nil, fmt.Errorf("%w: tensor %q has shape %s, want at most 2 dimensions", ErrFormat, info.Name, shape(d))
		}
	}
	rows := uint64(1)
	if len(d) > 1 {
		rows = d[1]
	}
	if d[0] == 0 || d[0] > maxDim || rows == 0 || rows > maxDim {
		return nil, fmt.Errorf("%w: tensor %q has shape %s", ErrFormat, info.Name, shape(d))
	}
	rowSize, err := quant.RowSize(info.Type, int64(d[0]))
	if err != nil {
		return nil, fmt.Errorf("%w: tensor %q: %v", ErrUnsupported, info.Name, err)
	}
	data := f.TensorData(info)
	if uint64(len(data)) != uint64(rowSize)*rows {
		return nil, fmt.Errorf("%w: tensor %q: %d bytes, want %d rows of %d", ErrFormat, info.Name, len(data), rows, rowSize)
	}
	return &Tensor{Info: info, Type: info.Type, Rows: int(rows), Cols: int(d[0]), Data: data}, nil
}

// shape prints dims the way gguf-py does, ne order: [ne0, ne1].
func shape(d []uint64) string {
	s := make([]string, len(d))
	for i, x := range d {
		s[i] = strconv.FormatUint(x, 10)
	}
	return "[" + strings.Join(s, ", ") + "]"
}
