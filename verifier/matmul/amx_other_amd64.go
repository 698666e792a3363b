//go:build !noasm && !linux

package matmul

// amxPermitted: the matrix tile is only asked for on Linux (macOS on Intel
// has no AMX; other systems are not measured).
func amxPermitted() bool { return false }
