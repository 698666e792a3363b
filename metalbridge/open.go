package metalbridge

import (
	"fmt"

	"github.com/proof-of-training/pot/verifier/engine"
)

// Choice says which backend Open returned and why, for the caller to
// record (certificates name the backend and its self-test result).
type Choice struct {
	Backend  string   `json:"backend"`          // "cpu" or "metal"
	Device   string   `json:"device,omitempty"` // the GPU's name
	SelfTest SelfTest `json:"self_test"`        // zero for the CPU backend
	// Note explains a fallback ("metal unavailable: …"), empty otherwise.
	Note string `json:"note,omitempty"`
}

// selfTestSeed seeds the start-up self-test's random inputs: fixed, so
// every run checks the same inputs.
const selfTestSeed = 1

// Open returns the backend to run on: want is "cpu", "metal" or "auto"
// ("" is auto). Auto takes Metal when a GPU is there and its self-test
// agrees with the CPU backend, and falls back to the CPU backend otherwise,
// saying why in Choice.Note; "metal" fails instead of falling back. threads
// sizes the CPU backend (the fallback, and the self-test's reference).
func Open(want string, threads int) (engine.Backend, Choice, error) {
	switch want {
	case "cpu":
		return engine.NewCPU(threads), Choice{Backend: "cpu"}, nil
	case "metal", "auto", "":
	default:
		return nil, Choice{}, fmt.Errorf("metalbridge: backend %q: want cpu, metal or auto", want)
	}
	gpu, ch, err := openMetal(threads)
	if err == nil {
		return gpu, ch, nil
	}
	if want == "metal" {
		return nil, ch, err
	}
	ch.Backend, ch.Note = "cpu", fmt.Sprintf("metal unavailable: %v; using cpu", err)
	return engine.NewCPU(threads), ch, nil
}

// openMetal opens the GPU and runs the self-test against a CPU backend.
func openMetal(threads int) (*Backend, Choice, error) {
	gpu, dev, err := newMetal()
	ch := Choice{Backend: "metal", Device: dev}
	if err != nil {
		return nil, ch, err
	}
	cpu := engine.NewCPU(threads)
	defer cpu.Close()
	ch.SelfTest, err = RunSelfTest(gpu, cpu, selfTestSeed)
	if err == nil && !ch.SelfTest.OK {
		err = fmt.Errorf("metalbridge: self-test against the cpu backend: %s", ch.SelfTest)
	}
	if err != nil {
		gpu.Close()
		return nil, ch, err
	}
	return gpu, ch, nil
}
