package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/proof-of-training/pot/verifier/engine"
	"github.com/proof-of-training/pot/verifier/hfmodel"
)

func init() {
	register(command{name: "logits", summary: "write a token sequence's logits at every position (float32 [n][vocab])",
		usage: "pot logits FILE --tokens IDS --out OUT [--threads N] [--streaming auto|on|off]", run: cmdLogits})
}

// cmdLogits: pot logits FILE --tokens 1,5,77 [--threads N] [--streaming M] --out OUT
//
// OUT gets little-endian float32 [n_tokens][n_vocab], row i the logits after
// feeding tokens[0..i]: the layout of the llama.cpp reference files in
// shared/testdata/refs, so the two can be compared byte for byte.
func cmdLogits(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("logits")
	tokens := fs.String("tokens", "", "comma-separated token ids (required)")
	threads := fs.Int("threads", 0, "CPU threads (0: one per CPU)")
	streaming := fs.String("streaming", "auto", "layer streaming: auto, on or off")
	out := fs.String("out", "", "output file, or - for standard output (required)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *tokens == "" || *out == "" {
		return usageErrorf("want one model file, --tokens and --out")
	}
	toks, err := parseTokens(*tokens)
	if err != nil {
		return err
	}
	mode, err := engine.ParseStreaming(*streaming)
	if err != nil {
		return usageErrorf("%v", err)
	}
	f, err := hfmodel.OpenModel(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	s, err := engine.Load(f, engine.Options{Threads: *threads, Streaming: mode})
	if err != nil {
		return err
	}
	defer s.Close()
	logits, err := s.Logits(toks)
	if errors.Is(err, engine.ErrBadInput) {
		return usageErrorf("--tokens: %v", err) // e.g. an id outside the vocabulary
	}
	if err != nil {
		return err
	}
	if *out == "-" {
		return writeF32(stdout, logits)
	}
	if err := writeF32File(*out, logits); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d tokens × %d vocabulary logits written to %s\n", pos[0], len(toks), s.Config().Vocab, *out)
	return nil
}

// parseTokens parses "1,5,77" (spaces allowed).
func parseTokens(s string) ([]int32, error) {
	var toks []int32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil {
			return nil, usageErrorf("--tokens: %q is not a token id", f)
		}
		toks = append(toks, int32(v))
	}
	return toks, nil
}

// writeF32File writes x to path (a failure is an output error, exit 5).
func writeF32File(path string, x []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return outputError(err)
	}
	if err := writeF32(f, x); err != nil {
		f.Close()
		return outputError(fmt.Errorf("%s: %w", path, err))
	}
	return outputError(f.Close())
}

// writeF32 writes x as little-endian float32s.
func writeF32(w io.Writer, x []float32) error {
	bw := bufio.NewWriter(w)
	var b [4]byte
	for _, v := range x {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}
