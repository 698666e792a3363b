package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/proof-of-training/pot/verifier/hfmodel"
	"github.com/proof-of-training/pot/verifier/tokenizer"
)

func init() {
	register(command{name: "tokenize", summary: "tokenize a JSON array of strings read from stdin",
		usage: "pot tokenize FILE [--add-special] [--parse-special] < strings.json", run: cmdTokenize})
}

// maxTokenizeInput bounds what `pot tokenize` reads from stdin.
const maxTokenizeInput = 256 << 20

func cmdTokenize(args []string, stdout, stderr io.Writer) error {
	return tokenizeWith(args, os.Stdin, stdout, stderr)
}

func tokenizeWith(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("tokenize")
	addSpecial := fs.Bool("add-special", false, "add BOS/EOS as the vocabulary says")
	parseSpecial := fs.Bool("parse-special", false, "turn control tokens written in the text into their ids")
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
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(stdin, maxTokenizeInput+1))
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	if len(data) > maxTokenizeInput {
		return exitWith(exitBadInput, fmt.Errorf("stdin: more than %d bytes", maxTokenizeInput))
	}
	var texts []string
	if err := json.Unmarshal(data, &texts); err != nil {
		return exitWith(exitBadInput, fmt.Errorf("stdin: want a JSON array of strings: %w", err))
	}
	out := make([][]int32, len(texts))
	for i, s := range texts {
		out[i] = tok.Encode(s, *addSpecial, *parseSpecial)
		if out[i] == nil {
			out[i] = []int32{}
		}
	}
	enc := json.NewEncoder(stdout)
	return enc.Encode(out)
}
