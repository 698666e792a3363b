//go:build !unix

package mmap

import "os"

// Supported reports whether Map really maps files (so Advise has effect).
const Supported = false

// Map reads the whole file into memory where mmap is unavailable.
func Map(path string) ([]byte, func([]byte) error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(data) == 0 {
		return nil, nil, ErrEmpty
	}
	return data, func([]byte) error { return nil }, nil
}

// Advise is a no-op where files are not mapped.
func Advise(b []byte, willNeed bool) error { return nil }
