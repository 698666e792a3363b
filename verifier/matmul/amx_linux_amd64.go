//go:build !noasm

package matmul

import "syscall"

// amxPermitted asks Linux for the tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), which a process must request
// before its first tile instruction (else SIGILL). The kernel refuses when
// it cannot (no AMX, or a signal stack too small for the larger frame: Go's
// are 32 KiB, the frame with tiles ~11 KiB); then the VNNI tile runs.
func amxPermitted() bool {
	const archReqXCompPerm, xfeatureXTileData = 0x1023, 18
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXCompPerm, xfeatureXTileData, 0)
	return errno == 0
}
