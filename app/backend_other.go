//go:build !darwin

package main

import (
	"fmt"

	"github.com/proof-of-training/pot/verifier/engine"
)

// openBackend returns the CPU backend: Metal exists only on macOS, so
// --backend metal is refused here and auto means cpu.
func openBackend(want string, threads int) (be engine.Backend, selfTest, note string, err error) {
	switch want {
	case "cpu", "auto", "":
		return engine.NewCPU(threads), "", "", nil
	case "metal":
		return nil, "", "", fmt.Errorf("%w: --backend metal: Metal needs macOS; nothing measured on this system", errUsage)
	}
	return nil, "", "", fmt.Errorf("%w: --backend %q: want cpu, metal or auto", errUsage, want)
}
