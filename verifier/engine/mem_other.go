//go:build !linux && !darwin

package engine

// physicalMemory is unknown on this platform: StreamAuto never streams.
func physicalMemory() int64 { return 0 }
