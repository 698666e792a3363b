package quant

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// fusedOp matches the fused multiply-add instructions the Go compiler emits
// when it contracts x*y+z (checked on a control function a*b+c):
// FMADDS/FMSUBS/FNMADDS/FNMSUBS on arm64, ppc64le, s390x and riscv64,
// FMADDF on loong64, VFMADD231SS etc. on amd64 with GOAMD64=v3.
var fusedOp = regexp.MustCompile(`\t(V?FN?M(ADD|SUB)[0-9A-Z]*)\t`)

// TestNoFusedMultiplyAdd compiles this package for darwin/arm64 (Apple
// Silicon, where Go fuses x*y+z by default) and fails if any kernel
// contains an FMA: bit-exactness with llama.cpp (whose quantizers are
// compiled without FMA) requires every product to be rounded, which the
// float32(x*y) conversions guarantee. CI's darwin/arm64 cross-build leaves
// std in the build cache, so this costs about a second; with a cold cache
// it compiles std for arm64 first. Set POT_FMA_ALL_ARCH=1 to also check
// linux/amd64 with GOAMD64=v3, ppc64le, s390x and riscv64 (all 0 fused
// instructions when last run, as is darwin/arm64).
func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the package")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH: cannot inspect compiler output")
	}
	targets := [][]string{{"GOOS=darwin", "GOARCH=arm64"}}
	if os.Getenv("POT_FMA_ALL_ARCH") == "1" {
		targets = append(targets,
			[]string{"GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"},
			[]string{"GOOS=linux", "GOARCH=ppc64le"},
			[]string{"GOOS=linux", "GOARCH=s390x"},
			[]string{"GOOS=linux", "GOARCH=riscv64"})
	}
	for _, target := range targets {
		cmd := exec.Command(goTool, "build", "-gcflags=-S", "-o", os.DevNull, ".")
		cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), target...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", target, err, out)
		}
		if len(out) < 1000 {
			t.Fatalf("%v: no assembly listing (%d bytes)", target, len(out))
		}
		for _, m := range fusedOp.FindAllSubmatch(out, 5) {
			t.Errorf("%v: fused instruction %s", target, m[1])
		}
	}
}
