//go:build !amd64 || noasm

package matmul

// siluKernels lists the SiLUMul kernels this build runs besides the Go
// loop: none here.
func siluKernels() []siluKernel { return nil }
