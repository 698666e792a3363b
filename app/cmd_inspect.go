package main

import (
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/identity"
	"github.com/proof-of-training/pot/verifier/model"
)

func init() {
	register(command{name: "inspect", summary: "show a model file's architecture, quantization and hashes",
		usage: "pot inspect FILE [--json] [--tensors] [--progress auto|bar|plain|json|none]", run: cmdInspect})
}

// inspectFormat names and versions the --json output.
const inspectFormat = "pot.inspect/v1"

// inspection is `pot inspect --json` output.
type inspection struct {
	Format   string             `json:"format"`
	Path     string             `json:"path"`
	Config   *configJSON        `json:"config,omitempty"`
	ModelErr string             `json:"model_error,omitempty"`
	Identity *identity.Identity `json:"identity"`
}

// configJSON is model.Config with the snake_case names of every --json
// output.
type configJSON struct {
	Arch          string  `json:"arch"`
	ContextLength int     `json:"context_length"`
	Embed         int     `json:"embedding_length"`
	Layers        int     `json:"layers"`
	FFN           int     `json:"feed_forward_length"`
	Heads         int     `json:"heads"`
	KVHeads       int     `json:"kv_heads"`
	HeadDim       int     `json:"head_dim"`
	Vocab         int     `json:"vocab"`
	RMSEps        float32 `json:"rms_eps"`
	RopeBase      float32 `json:"rope_base"`
	RopeDim       int     `json:"rope_dim"`
	RopeFreqScale float32 `json:"rope_freq_scale"`
	RopeStyle     string  `json:"rope_style"`
	QKVBias       bool    `json:"qkv_bias"`
	TiedOutput    bool    `json:"tied_output"`
}

func newConfigJSON(c *model.Config) *configJSON {
	return &configJSON{Arch: string(c.Arch), ContextLength: c.ContextLength, Embed: c.Embed, Layers: c.Layers,
		FFN: c.FFN, Heads: c.Heads, KVHeads: c.KVHeads, HeadDim: c.HeadDim, Vocab: c.Vocab, RMSEps: c.RMSEps,
		RopeBase: c.RopeBase, RopeDim: c.RopeDim, RopeFreqScale: c.RopeFreqScale, RopeStyle: fmt.Sprint(c.RopeStyle),
		QKVBias: c.QKVBias, TiedOutput: c.TiedOutput}
}

func cmdInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect")
	asJSON := fs.Bool("json", false, "print one JSON object")
	tensors := fs.Bool("tensors", false, "hash and list every tensor")
	progressMode := progressFlag(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf("want one model file, got %d arguments", len(pos))
	}
	f, err := hfmodel.OpenModel(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	prog, err := newProgress(stderr, *progressMode)
	if err != nil {
		return err
	}
	name := filepath.Base(pos[0])
	id, err := identity.Compute(f, identity.Options{PerTensor: *tensors, Progress: func(done, total int64) {
		prog.update("hash:"+name, "hashing "+name, "B", false, done, total, "", nil)
	}})
	prog.end()
	if err != nil {
		return err
	}
	out := inspection{Format: inspectFormat, Path: pos[0], Identity: id}
	if m, err := model.New(f); err == nil {
		out.Config = newConfigJSON(&m.Config)
	} else {
		out.ModelErr = err.Error()
	}
	if !*tensors {
		out.Identity.Tensors = nil
	}
	if *asJSON {
		return writeJSON(stdout, out)
	}
	printInspection(stdout, &out)
	return nil
}

func printInspection(w io.Writer, in *inspection) {
	id := in.Identity
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(id.Files) > 0 {
		fmt.Fprintf(tw, "directory\t%s (Hugging Face, %d bytes in %d files, digest %s)\n", in.Path, id.FileSize, len(id.Files), id.FileSHA256)
		for _, f := range id.Files {
			fmt.Fprintf(tw, "  %s\t%d bytes, sha256 %s\n", f.Name, f.Size, f.SHA256)
		}
	} else {
		fmt.Fprintf(tw, "file\t%s (%d bytes, GGUF v%d)\n", in.Path, id.FileSize, id.GGUFVersion)
	}
	fmt.Fprintf(tw, "architecture\t%s\n", id.Architecture)
	if c := in.Config; c != nil {
		fmt.Fprintf(tw, "hyper-parameters\tembedding %d, layers %d, heads %d (%d key/value), head dim %d, feed-forward %d, vocabulary %d, context %d, rope base %g\n",
			c.Embed, c.Layers, c.Heads, c.KVHeads, c.HeadDim, c.FFN, c.Vocab, c.ContextLength, c.RopeBase)
	} else {
		fmt.Fprintf(tw, "model\tnot runnable: %s\n", in.ModelErr)
	}
	fmt.Fprintf(tw, "tensors\t%d, %d bytes, %.1fM parameters\n", id.TensorCount, id.TensorBytes, float64(id.Params)/1e6)
	for _, t := range slices.Sorted(maps.Keys(id.Quant)) {
		q := id.Quant[t]
		fmt.Fprintf(tw, "  %s\t%d tensors, %d bytes\n", t, q.Tensors, q.Bytes)
	}
	fmt.Fprintf(tw, "sha256 file\t%s\n", id.FileSHA256)
	fmt.Fprintf(tw, "sha256 tensor data\t%s\n", id.DataSHA256)
	fmt.Fprintf(tw, "sha256 tokenizer\t%s\n", id.TokenizerSHA256)
	tmpl := id.ChatTemplateSHA256
	if tmpl == "" {
		tmpl = "(no chat template)"
	}
	fmt.Fprintf(tw, "sha256 chat template\t%s\n", tmpl)
	fmt.Fprintf(tw, "sha256 metadata\t%s\n", id.MetadataSHA256)
	for _, t := range id.Tensors {
		fmt.Fprintf(tw, "  %s\t%s %v %s\n", t.Name, t.Type, t.Dims, t.SHA256)
	}
	tw.Flush()
}
