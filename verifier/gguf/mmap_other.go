//go:build !unix

package gguf

import (
	"fmt"
	"os"
)

const mmapSupported = false

// mapFile reads the whole file into memory where mmap is unavailable.
func mapFile(path string) ([]byte, func([]byte) error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	return data, func([]byte) error { return nil }, nil
}

func madvise(b []byte, willNeed bool) error { return nil }
