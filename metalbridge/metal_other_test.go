//go:build !darwin

package metalbridge

import "testing"

// TestMetal says plainly what this platform does not test: the real GPU.
// The kernels' logic runs here under the emulator (TestEmu*).
func TestMetal(t *testing.T) {
	t.Skip("Metal needs macOS: the real-GPU tests (metal_darwin_test.go) run only on a Mac; here the kernels run emulated (TestEmu*)")
}
