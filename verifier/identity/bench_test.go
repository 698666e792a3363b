package identity

import (
	"crypto/sha256"
	"io"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
	"github.com/proof-of-training/pot/verifier/quant"
)

// bigModel writes a 256 MiB model (16 F32 tensors of 16 MiB) to a temp dir.
func bigModel(b *testing.B) string {
	b.Helper()
	pattern := make([]byte, 1<<20)
	for i := range pattern {
		pattern[i] = byte(i*131 + i>>9)
	}
	var ts []gguf.WriterTensor
	for i := range 16 {
		ts = append(ts, gguf.WriterTensor{Name: "blk." + strconv.Itoa(i) + ".w", Dims: []uint64{4096, 1024}, Type: quant.F32,
			Data: func(w io.Writer) error {
				for range 16 {
					if _, err := w.Write(pattern); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	p := filepath.Join(b.TempDir(), "big.gguf")
	kv := []gguf.KV{{Key: "general.architecture", Value: gguf.Value{Type: gguf.TypeString, V: "llama"}}}
	if err := gguf.WriteFile(p, 0o644, kv, ts, 0); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkHash measures hashing a 256 MiB file from the page cache:
// Compute without and with per-tensor digests, and one plain SHA-256 pass
// over the mapping as the baseline. MB/s is of the file size.
func BenchmarkHash(b *testing.B) {
	f, err := gguf.Open(bigModel(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.Run("sha256-mapping", func(b *testing.B) {
		b.SetBytes(f.Size())
		for b.Loop() {
			sha256.Sum256(f.Bytes())
		}
	})
	for _, per := range []bool{false, true} {
		b.Run("Compute/PerTensor="+strconv.FormatBool(per), func(b *testing.B) {
			b.SetBytes(f.Size())
			for b.Loop() {
				if _, err := Compute(f, Options{PerTensor: per}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
