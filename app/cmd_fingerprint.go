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
	register(command{name: "fingerprint", summary: "make a signed reference fingerprint of a trusted model", run: cmdFingerprint})
}

func cmdFingerprint(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("fingerprint", stderr)
	out := fs.String("o", "", "output file (required)")
	pool := fs.Int("pool", 512, "challenges in the pool")
	k := fs.Int("k", 16, "scored positions per challenge")
	topK := fs.Int("topk", 32, "reference ids kept per position")
	cal := fs.Int("calibration", 256, "calibration challenges per noise-floor profile")
	profiles := fs.String("profiles", joinTypes(job.DefaultProfiles), "file types whose noise floors are measured (comma-separated)")
	keyDir := fs.String("key-dir", "", "directory of the signing key (default: the user's config directory)")
	threads := fs.Int("threads", 0, "CPU threads (0: all cores)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return fmt.Errorf("%w: pot fingerprint (REF.gguf | HF_DIR) -o REF.potfp", errUsage)
	}
	var fts []synth.FileType
	for _, s := range strings.Split(*profiles, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ft, err := synth.ParseFileType(s)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		fts = append(fts, ft)
	}
	key, err := loadKey(*keyDir)
	if err != nil {
		return err
	}
	start := time.Now()
	digest, err := job.CreateFingerprint(job.FingerprintConfig{Reference: pos[0], Out: *out, Key: key,
		PoolSize: *pool, K: *k, TopK: *topK, Calibration: *cal, Profiles: fts, Threads: *threads,
		Progress: jobProgress(stderr)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (sha256 %s, signed by %s) in %.1fs\n", *out, digest, key.KeyID(), time.Since(start).Seconds())
	return nil
}

func joinTypes(fts []synth.FileType) string {
	s := make([]string, len(fts))
	for i, ft := range fts {
		s[i] = string(ft)
	}
	return strings.Join(s, ",")
}
