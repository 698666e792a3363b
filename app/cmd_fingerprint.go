package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/synth"
)

func init() {
	register(command{name: "fingerprint", summary: "make a signed reference fingerprint of a trusted model",
		usage: "pot fingerprint REF.gguf -o REF.potfp [--pool N] [--calibration N] [--profiles T,...] [--progress MODE]", run: cmdFingerprint})
}

func cmdFingerprint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fingerprint")
	out := fs.String("o", "", "output file (required)")
	pool := fs.Int("pool", 1024, "challenges in the pool (at least the mode's budget: audit draws up to 1000)")
	k := fs.Int("k", 16, "scored positions per challenge")
	topK := fs.Int("topk", 32, "reference ids kept per position")
	cal := fs.Int("calibration", 512, "calibration challenges per noise-floor profile (audit needs 512)")
	profiles := fs.String("profiles", joinTypes(job.DefaultProfiles), "file types whose noise floors are measured (comma-separated)")
	keyDir := fs.String("key-dir", "", "directory of the signing key (default: the user's config directory)")
	threads := fs.Int("threads", 0, "CPU threads (0: all cores)")
	progressMode := progressFlag(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return usageErrorf("want one reference model file and -o FILE")
	}
	var fts []synth.FileType
	for _, s := range strings.Split(*profiles, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ft, err := synth.ParseFileType(s)
		if err != nil {
			return usageErrorf("%v", err)
		}
		fts = append(fts, ft)
	}
	prog, err := newProgress(stderr, *progressMode)
	if err != nil {
		return err
	}
	key, err := loadKey(*keyDir, stderr)
	if err != nil {
		return err
	}
	defer prog.keepAlive()()
	start := time.Now()
	digest, err := job.CreateFingerprint(job.FingerprintConfig{Reference: pos[0], Out: *out, Key: key,
		PoolSize: *pool, K: *k, TopK: *topK, Calibration: *cal, Profiles: fts, Threads: *threads,
		Progress: jobProgress(prog, true)})
	prog.end()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (sha256 %s) in %.1fs\n", *out, digest, time.Since(start).Seconds())
	fmt.Fprintf(stdout, "sealed by your key %s.\n"+
		"A fingerprint counts only for those who trust its creator: send them your public key (pot key export -o mykey.pem),\n"+
		"and they run: pot trust add mykey.pem --name YOUR-NAME (to trust it here: pot key export | pot trust add -)\n", key.KeyID())
	return nil
}

func joinTypes(fts []synth.FileType) string {
	s := make([]string, len(fts))
	for i, ft := range fts {
		s[i] = string(ft)
	}
	return strings.Join(s, ",")
}
