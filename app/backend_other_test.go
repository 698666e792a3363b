//go:build !darwin

package main

import (
	"strings"
	"testing"

	"github.com/proof-of-training/pot/internal/testdata"
)

// TestBenchBackend: off a Mac, --backend metal is refused with a clear
// reason, a bad name is a usage error, and cpu runs.
func TestBenchBackend(t *testing.T) {
	m := testdata.Path(t, "stories260K.gguf")
	if code, _, errs := runPot(t, "bench", m, "--backend", "metal", "--streaming", "off"); code != 2 || !strings.Contains(errs, "Metal needs macOS") {
		t.Errorf("metal: code %d, %q", code, errs)
	}
	if code, _, _ := runPot(t, "bench", m, "--backend", "gpu", "--streaming", "off"); code != 2 {
		t.Errorf("bad backend: code %d", code)
	}
	code, out, errs := runPot(t, "bench", m, "--backend", "cpu", "--streaming", "off", "--seq", "16", "--scored", "2", "--batch", "1", "--reps", "1")
	if code != 0 || !strings.Contains(out, "backend cpu") {
		t.Errorf("cpu: code %d, %q %q", code, out, errs)
	}
}
