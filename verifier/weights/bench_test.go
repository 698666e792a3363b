package weights

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// BenchmarkCompare measures Compare on a synthetic model of Qwen2.5-0.5B's
// shape (494M parameters; F16 988 MB, Q8_0 531 MB) written to a temporary
// directory: the byte-wise fast path (F16 against itself), a Q8_0
// requantization check (F16 → Q8_0), and a K-quant one on the tiny shape.
// MB/s counts the tensor bytes of both files. rss-MB is the file-backed
// resident memory after the run (Linux), which DontNeed keeps small.
//
//	go test -run '^$' -bench Compare -benchtime 1x ./verifier/weights
func BenchmarkCompare(b *testing.B) {
	dir := b.TempDir()
	f16 := synthFile(b, dir, "qwen2.5-0.5b", "F16", 1)
	q8 := synthFile(b, dir, "qwen2.5-0.5b", "Q8_0", 1)
	tiny := synthFile(b, dir, "tiny", "F32", 1)
	tinyQ4KM := synthFile(b, dir, "tiny", "Q4_K_M", 1)
	f16b := open(b, f16.Path)
	for _, c := range []struct {
		name string
		a, b *gguf.File
	}{
		{"0.5b F16 identical", f16, f16b},
		{"0.5b F16 vs Q8_0", f16, q8},
		{"tiny F32 vs Q4_K_M", tiny, tinyQ4KM},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(tensorBytes(c.a) + tensorBytes(c.b)))
			var rep *Report
			for b.Loop() {
				rep = mustCompare(b, c.a, c.b, Options{})
			}
			b.ReportMetric(rssFileMB(), "rss-MB")
			b.Logf("%s: %v", rep.Verdict, rep.Counts)
		})
	}
}

// rssFileMB returns this process's file-backed resident memory in MB, or 0
// where /proc is unavailable.
func rssFileMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "RssFile:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
