package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/proof-of-training/pot/verifier/synth"
)

func init() {
	register(command{name: "synth", summary: "write a random-weight model of a real model's shape",
		usage: "pot synth --shape S --type T --seed N -o FILE", run: cmdSynth})
}

func cmdSynth(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("synth")
	arch := fs.String("arch", "", "architecture: llama or qwen2 (default: the shape's)")
	shape := fs.String("shape", "tiny", "shape: "+strings.Join(synth.ShapeNames(), ", "))
	typ := fs.String("type", "F32", "file type: "+strings.Join(synth.FileTypeNames(), ", "))
	seed := fs.Uint64("seed", 1, "random seed")
	name := fs.String("name", "", "general.name (default synth-<shape>)")
	out := fs.String("o", "", "output file (required)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores); the output does not depend on it")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		return usageErrorf("want -o FILE and no other arguments")
	}
	s, err := synth.LookupShape(*shape)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if *arch != "" && *arch != s.Arch {
		return usageErrorf("shape %s is architecture %s, not %s", s.Name, s.Arch, *arch)
	}
	ft, err := synth.ParseFileType(*typ)
	if err != nil {
		return usageErrorf("%v", err)
	}
	start := time.Now()
	if err := synth.WriteFile(*out, synth.Spec{Shape: s, FileType: ft, Seed: *seed, Name: *name, Threads: *threads}); err != nil {
		return outputError(err)
	}
	fmt.Fprintf(stdout, "wrote %s (%s %s, %.1fM parameters, seed %d) in %.1fs\n", *out, s.Name, ft,
		float64(s.Params())/1e6, *seed, time.Since(start).Seconds())
	return nil
}
