package agent

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/proof-of-training/pot/internal/testdata"
	"github.com/proof-of-training/pot/verifier/cert"
	"github.com/proof-of-training/pot/verifier/job"
	"github.com/proof-of-training/pot/verifier/variant"
)

// TestKnownFingerprint: a requantization of the fingerprinted model
// matches its fingerprint, another model does not, and the newest of two
// matching fingerprints wins; the one-click action then queues against it
// without asking anything.
func TestKnownFingerprint(t *testing.T) {
	ref := testdata.Path(t, "stories260K.gguf")
	other := testdata.Path(t, "qwen2-tiny-Q8_0.gguf")
	dir := t.TempDir()
	fpDir := filepath.Join(dir, "data", FingerprintsDir)
	os.MkdirAll(fpDir, 0o700)
	cand := filepath.Join(dir, "stories-Q8_0.gguf")
	if err := variant.Write(ref, cand, variant.Requantize("Q8_0")); err != nil {
		t.Fatal(err)
	}
	key, err := cert.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	older, newer := filepath.Join(fpDir, "a.potfp"), filepath.Join(fpDir, "b.potfp")
	for _, p := range []string{older, newer} {
		if _, err := job.CreateFingerprint(job.FingerprintConfig{Reference: ref, Out: p, Key: key,
			PoolSize: 4, Calibration: 4, Threads: 1}); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(older, past, past)
	os.WriteFile(filepath.Join(fpDir, "broken.potfp"), []byte("POTFP\x00v1 truncated"), 0o600)

	if got := knownFingerprint(cand, fpDir); got != newer {
		t.Errorf("requantized model: %q, want %q", got, newer)
	}
	if got := knownFingerprint(other, fpDir); got != "" {
		t.Errorf("another model matched %q", got)
	}
	if got := knownFingerprint(cand, t.TempDir()); got != "" {
		t.Errorf("empty folder matched %q", got)
	}

	q := &fakeQueue{}
	a, err := New(Config{Queue: q, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.do(t.Context(), Action{Kind: ActVerifyFile, Arg: cand}); err != nil {
		t.Fatal(err)
	}
	added, _, _ := q.snapshot()
	if len(added) != 1 || !reflect.DeepEqual(added[0], Spec{Candidate: cand, Fingerprint: newer, When: WhenNow}) {
		t.Errorf("one click queued %+v", added)
	}
}
