package stats

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestNoFusedMultiplyAdd compiles this package for arm64, where the Go
// compiler fuses x*y+z into FMADD unless an explicit float64() conversion
// forbids it, and fails if any fused instruction appears: a fused operation
// would make bounds differ between amd64 and arm64 machines.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package for arm64")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	cmd := exec.Command(gobin, "build", "-gcflags=-S", "-o", "/dev/null", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build for arm64: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`TEXT`).Match(out) {
		t.Fatalf("no assembly listing in build output (cached?): %.200s", out)
	}
	if m := regexp.MustCompile(`.*\bF(N?M(ADD|SUB))D\b.*`).FindAll(out, 5); len(m) > 0 {
		t.Errorf("fused multiply-add in arm64 code:\n%s", bytesJoin(m))
	}
}

func bytesJoin(b [][]byte) string {
	s := ""
	for _, l := range b {
		s += string(l) + "\n"
	}
	return s
}
