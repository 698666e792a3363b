package weights

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proof-of-training/pot/verifier/gguf"
)

// BenchmarkCompare measures Compare on a synthetic model of Qwen2.5-0.5B's
// shape (494M parameters; F16 988 MB, Q8_0 531 MB) written to a temporary
// directory: the byte-wise fast path (F16 against itself), a Q8_0
// requantization check (F16 against its Q8_0 requantization: FAITHFUL), the
// full measurement (F16 against synth's Q8_0, quantized from the float32
// values, so inconclusive), and a K-quant check on the tiny shape. MB/s
// counts the tensor bytes of both files. rss-MB is the file-backed
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
	faithful := rewrite(b, f16, dir+"/requant-q8.gguf", requantMix(f16, "Q8_0"))
	for _, c := range []struct {
		name string
		a, b *gguf.File
	}{
		{"0.5b F16 identical", f16, f16b},
		{"0.5b F16 vs requantized Q8_0", f16, faithful},
		{"0.5b F16 vs synth Q8_0", f16, q8},
		{"tiny F32 vs Q4_K_M", tiny, tinyQ4KM},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(tensorBytes(c.a) + tensorBytes(c.b)))
			var rep *Report
			cpu0 := cpuTime()
			for b.Loop() {
				rep = mustCompare(b, c.a, c.b, Options{})
			}
			if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(b.N)*float64(tensorBytes(c.a)+tensorBytes(c.b))/1e6/cpu, "MB/cpu-s")
			}
			b.ReportMetric(rssFileMB(), "rss-MB")
			b.Logf("%s: %v", rep.Verdict, rep.Counts)
		})
	}
}

// cpuTime is the process's user+system time (0 where unavailable): on a
// shared machine, MB per CPU-second is the figure that does not depend on
// what else runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
