package hfmodel

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/proof-of-training/pot/internal/mmap"
	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
	"github.com/proof-of-training/pot/verifier/safetensors"
)

// File names in a Hugging Face model directory.
const (
	ConfigName          = "config.json"
	TokenizerModelName  = "tokenizer.model"
	TokenizerJSONName   = "tokenizer.json"
	TokenizerConfigName = "tokenizer_config.json"
	GenerationName      = "generation_config.json"
	ChatTemplateName    = "chat_template.jinja"
)

// maxSmallFile bounds the JSON and tokenizer files read into memory (the
// largest real tokenizer.json files are a few tens of MB).
const maxSmallFile = 256 << 20

// options tune open (tests shrink spillAbove to exercise the spill file).
type options struct {
	tempDir    string
	spillAbove int64 // derived tensor bytes above which they go to a file
}

// defaultSpillAbove: derived tensors (permuted q/k, widened norms) up to
// this size are kept in memory; beyond it they are written to an unlinked
// temporary file and mapped, so a reference larger than RAM still streams.
const defaultSpillAbove = 64 << 20

// IsDir reports whether path is a directory (a Hugging Face model) rather
// than a model file.
func IsDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// OpenModel opens a reference or candidate model: a directory as a Hugging
// Face model (Open), anything else as a GGUF file (gguf.Open).
func OpenModel(path string) (*gguf.File, error) {
	if IsDir(path) {
		return Open(path)
	}
	return gguf.Open(path)
}

// Open reads the Hugging Face model directory dir (llama or qwen2) and
// presents it as the GGUF file llama.cpp's convert_hf_to_gguf.py writes
// from it: the same metadata for the keys PoT reads, the same tensor names,
// shapes and order, and the same bytes (q/k rows permuted for llama, 1-D
// tensors widened to F32), the weights kept at the checkpoint's precision.
// Tensor data is read from the safetensors memory maps; only derived tensors
// are copied. The File's Sources are the directory's files PoT reads; Close
// releases everything.
func Open(dir string) (*gguf.File, error) {
	return open(dir, options{tempDir: os.TempDir(), spillAbove: defaultSpillAbove})
}

func open(dir string, opt options) (*gguf.File, error) {
	h := &hfDir{dir: dir}
	cfgData, err := h.read(ConfigName, true)
	if err != nil {
		return nil, err
	}
	cfg, err := ParseConfig(filepath.Join(dir, ConfigName), cfgData)
	if err != nil {
		return nil, err
	}
	if err := checkRopeScaling(cfg); err != nil {
		return nil, err
	}
	kvTok, err := h.tokenizerKVs(cfg)
	if err != nil {
		return nil, err
	}
	st, err := safetensors.OpenModel(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range st.Files {
		h.sources = append(h.sources, f.Path)
	}
	if _, err := os.Stat(filepath.Join(dir, safetensors.IndexName)); err == nil {
		h.sources = append(h.sources, filepath.Join(dir, safetensors.IndexName))
	}
	if _, err := h.read(GenerationName, false); err != nil {
		st.Close()
		return nil, err
	}
	f, err := compose(dir, cfg, st, kvTok, opt)
	if err != nil {
		st.Close()
		return nil, err
	}
	slices.Sort(h.sources)
	f.Sources = h.sources
	return f, nil
}

// hfDir reads the small files of a directory, recording which were read.
type hfDir struct {
	dir     string
	sources []string
}

// read returns the file name of the directory; nil without error if it is
// absent and not required.
func (h *hfDir) read(name string, required bool) ([]byte, error) {
	path := filepath.Join(h.dir, name)
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) && !required {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	if !st.Mode().IsRegular() || st.Size() > maxSmallFile {
		return nil, fmt.Errorf("%w: %s: not a regular file of at most %d bytes", ErrFormat, path, maxSmallFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hfmodel: %w", err)
	}
	h.sources = append(h.sources, path)
	return b, nil
}

// tokenizerKVs builds the tokenizer.* keys: from tokenizer.model if there
// is one (the converter tries SentencePiece first), else tokenizer.json.
func (h *hfDir) tokenizerKVs(cfg *Config) ([]gguf.KV, error) {
	tcData, err := h.read(TokenizerConfigName, false)
	if err != nil {
		return nil, err
	}
	tc, err := parseTokenizerConfig(filepath.Join(h.dir, TokenizerConfigName), tcData)
	if err != nil {
		return nil, err
	}
	var template *string
	if b, err := h.read(ChatTemplateName, false); err != nil {
		return nil, err
	} else if b != nil {
		s := string(b)
		template = &s
	}
	spmData, err := h.read(TokenizerModelName, false)
	if err != nil {
		return nil, err
	}
	jsonData, err := h.read(TokenizerJSONName, false)
	if err != nil {
		return nil, err
	}
	var tj tokenizerJSON
	if jsonData != nil {
		if err := parseJSON(filepath.Join(h.dir, TokenizerJSONName), jsonData, &tj); err != nil {
			return nil, err
		}
	}
	var v *vocab
	nVocab := 0
	switch {
	case spmData != nil:
		path := filepath.Join(h.dir, TokenizerModelName)
		m, err := ParseSPM(path, spmData)
		if err != nil {
			return nil, err
		}
		if v, err = spmVocab(path, m, cfg.VocabSize, tc); err != nil {
			return nil, err
		}
		nVocab = len(v.tokens)
	case jsonData != nil:
		if v, err = bpeVocab(filepath.Join(h.dir, TokenizerJSONName), &tj, cfg.VocabSize); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: %s: neither %s nor %s", ErrFormat, h.dir, TokenizerModelName, TokenizerJSONName)
	}
	special, err := specialKVs(tc, tj.AddedTokens, cfg, nVocab, template)
	if err != nil {
		return nil, err
	}
	kv := v.kvs()
	if cfg.Arch == "llama" && tc.raw["add_prefix_space"] != nil {
		// LlamaModel.set_vocab copies tokenizer_config's add_prefix_space.
		var b bool
		if json.Unmarshal(tc.raw["add_prefix_space"], &b) == nil {
			kv = append(kv, gguf.KV{Key: "tokenizer.ggml.add_space_prefix", Value: gguf.Value{Type: gguf.TypeBool, V: b}})
		}
	}
	cfg.tokens = len(v.tokens)
	return append(kv, special...), nil
}

// checkRopeScaling accepts the rope scalings PoT computes: none, linear,
// and llama3 (frequency factors, llama only). Others (YaRN, dynamic NTK,
// longrope) would change the numbers and are refused here, naming them.
func checkRopeScaling(c *Config) error {
	typ := c.ropeType()
	switch {
	case typ == "" || typ == "default" || typ == "linear":
	case typ == "llama3" && c.Arch == "llama":
	default:
		return fmt.Errorf("%w: config.json: rope_scaling type %q for %s (PoT computes none, linear, and llama3 for llama)", ErrUnsupported, typ, c.Arch)
	}
	return nil
}

// ropeType is rope_scaling's rope_type (or legacy type), "" without scaling.
func (c *Config) ropeType() string {
	for _, k := range []string{"rope_type", "type"} {
		if s, ok := c.RopeScaling[k].(string); ok {
			return s
		}
	}
	return ""
}

// planned is one tensor of the composed File: a direct view of a
// safetensors range, or derived (copied and transformed) into the spill.
type planned struct {
	name   string
	dims   []uint64
	typ    quant.Type
	src    *safetensors.File
	st     *safetensors.Tensor
	size   uint64
	derive func(dst []byte) // nil for a direct view
	off    uint64           // in the spill, for derived tensors
}

// compose plans every tensor and builds the File.
func compose(dir string, cfg *Config, st *safetensors.Model, kvTok []gguf.KV, opt options) (*gguf.File, error) {
	ps, err := plan(cfg, st)
	if err != nil {
		return nil, err
	}
	spill, err := writeSpill(ps, opt)
	if err != nil {
		return nil, err
	}
	ts := make([]gguf.ComposedTensor, len(ps))
	for i, p := range ps {
		seg := gguf.Segment{Buf: spill.buf, Off: p.off, Mapped: spill.mapped}
		if p.derive == nil {
			seg = gguf.Segment{Buf: p.src.Bytes(), Off: uint64(p.src.DataOffset) + p.st.Begin, Mapped: p.src.Mapped()}
		}
		ts[i] = gguf.ComposedTensor{Name: p.name, Dims: p.dims, Type: p.typ, Data: seg}
	}
	kv := hyperKVs(dir, cfg, fileType(ps))
	kv = append(kv, kvTok...)
	kv = append(kv, gguf.KV{Key: "general.quantization_version", Value: gguf.Value{Type: gguf.TypeUint32, V: uint32(2)}})
	f, err := gguf.Compose(dir, kv, ts, closers{st, spill})
	if err != nil {
		spill.Close()
		return nil, err
	}
	return f, nil
}

// closers closes each in turn.
type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// plan maps every safetensors tensor to its GGUF tensor, in the
// converter's order (the llama3 rope_freqs first, then shard by shard, names
// sorted).
func plan(cfg *Config, st *safetensors.Model) ([]planned, error) {
	var ps []planned
	if cfg.ropeType() == "llama3" {
		fs, err := llama3RopeFactors(cfg)
		if err != nil {
			return nil, err
		}
		ps = append(ps, planned{name: "rope_freqs.weight", dims: []uint64{uint64(len(fs))}, typ: quant.F32,
			size: 4 * uint64(len(fs)), derive: func(dst []byte) { putF32s(dst, fs) }})
	}
	for _, f := range st.Files {
		names := make([]string, len(f.Tensors))
		for i := range f.Tensors {
			names[i] = f.Tensors[i].Name
		}
		slices.Sort(names)
		for _, n := range names {
			t, _ := f.Tensor(n)
			p, err := planTensor(cfg, f, t)
			if err != nil {
				return nil, err
			}
			if p.name != "" {
				ps = append(ps, p)
			}
		}
	}
	return ps, nil
}

func planTensor(cfg *Config, f *safetensors.File, t *safetensors.Tensor) (planned, error) {
	name, ok := ggufName(t.Name)
	if !ok {
		return planned{}, fmt.Errorf("%w: %s: tensor %q is not part of the %s graph PoT implements", ErrUnsupported, f.Path, t.Name, cfg.Arch)
	}
	if name == "" {
		return planned{}, nil
	}
	if len(t.Shape) < 1 || len(t.Shape) > 2 {
		return planned{}, fmt.Errorf("%w: %s: tensor %q has shape %v, want 1 or 2 dimensions", ErrFormat, f.Path, t.Name, t.Shape)
	}
	p := planned{name: name, src: f, st: t, typ: typeOf[t.DType], size: t.Size()}
	for i := len(t.Shape) - 1; i >= 0; i-- {
		p.dims = append(p.dims, t.Shape[i])
	}
	data := f.TensorData(t)
	switch {
	case len(t.Shape) == 1 && t.DType != safetensors.F32:
		p.typ, p.size = quant.F32, 2*t.Size()
		p.derive = func(dst []byte) { toF32(dst, data, t.DType) }
	case cfg.Arch == "llama" && (strings.HasSuffix(t.Name, "self_attn.q_proj.weight") || strings.HasSuffix(t.Name, "self_attn.k_proj.weight")):
		heads := cfg.Heads
		if strings.HasSuffix(t.Name, "k_proj.weight") {
			heads = cfg.kvHeads()
		}
		rows := t.Shape[0]
		if rows%(2*heads) != 0 {
			return planned{}, fmt.Errorf("%w: %s: tensor %q has %d rows, not a multiple of 2×%d heads", ErrFormat, f.Path, t.Name, rows, heads)
		}
		rowSize := int(t.Size() / rows)
		p.derive = func(dst []byte) { permuteRows(dst, data, rowSize, int(heads)) }
	}
	return p, nil
}

func putF32s(dst []byte, fs []float32) {
	for i, x := range fs {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(x))
	}
}

// fileType is general.file_type as the converter writes it for the
// checkpoint's precision (LlamaFileType: ALL_F32 0, MOSTLY_F16 1,
// MOSTLY_BF16 32), read from the token embedding.
func fileType(ps []planned) uint32 {
	for _, p := range ps {
		if p.name == "token_embd.weight" {
			switch p.typ {
			case quant.F16:
				return 1
			case quant.BF16:
				return 32
			}
		}
	}
	return 0
}

// spill holds the derived tensors: in memory, or in an unlinked temporary
// file mapped read-only.
type spill struct {
	buf    []byte
	mapped bool
	unmap  func([]byte) error
}

func (s *spill) Close() error {
	if s.unmap == nil {
		return nil
	}
	u := s.unmap
	s.unmap = nil
	return u(s.buf)
}

// writeSpill lays out and computes the derived tensors.
func writeSpill(ps []planned, opt options) (*spill, error) {
	var total uint64
	for i := range ps {
		if ps[i].derive != nil {
			ps[i].off = total
			total += ps[i].size
		}
	}
	if total <= uint64(opt.spillAbove) {
		s := &spill{buf: make([]byte, total)}
		for _, p := range ps {
			if p.derive != nil {
				p.derive(s.buf[p.off : p.off+p.size])
			}
		}
		return s, nil
	}
	tmp, err := os.CreateTemp(opt.tempDir, "pot-hf-*.bin")
	if err != nil {
		return nil, fmt.Errorf("hfmodel: spill file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	for _, p := range ps {
		if p.derive == nil {
			continue
		}
		b := make([]byte, p.size)
		p.derive(b)
		if _, err := tmp.Write(b); err != nil {
			return nil, fmt.Errorf("hfmodel: spill file: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("hfmodel: spill file: %w", err)
	}
	buf, unmap, err := mmap.Map(tmp.Name())
	if err != nil {
		return nil, fmt.Errorf("hfmodel: spill file: %w", err)
	}
	return &spill{buf: buf, mapped: mmap.Supported, unmap: unmap}, nil
}

// OpenTokenizer reads only the tokenizer of the directory dir (config.json
// is optional here: a vocabulary-only directory has none) and presents it
// as a vocabulary-only GGUF file: the tokenizer.* keys the converter would
// write, and no tensors.
func OpenTokenizer(dir string) (*gguf.File, error) {
	h := &hfDir{dir: dir}
	cfg := &Config{TokenIDs: map[string]uint64{}}
	b, err := h.read(ConfigName, false)
	if err != nil {
		return nil, err
	}
	if b != nil {
		if cfg, err = ParseConfig(filepath.Join(dir, ConfigName), b); err != nil {
			return nil, err
		}
	}
	kv, err := h.tokenizerKVs(cfg)
	if err != nil {
		return nil, err
	}
	f, err := gguf.Compose(dir, kv, nil, nil)
	if err != nil {
		return nil, err
	}
	slices.Sort(h.sources)
	f.Sources = h.sources
	return f, nil
}
