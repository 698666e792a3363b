package gguf

import (
	"errors"
	"fmt"

	"github.com/proof-of-training/pot/internal/mmap"
)

const mmapSupported = mmap.Supported

// mapFile maps the file at path read-only (see package mmap), turning an
// empty or oversized file into a FormatError.
func mapFile(path string) ([]byte, func([]byte) error, error) {
	data, unmap, err := mmap.Map(path)
	switch {
	case errors.Is(err, mmap.ErrEmpty):
		// mmap of length 0 fails; an empty file is simply too short.
		return nil, nil, &FormatError{Path: path, Msg: "empty file", class: ErrFormat}
	case errors.Is(err, mmap.ErrTooLarge):
		return nil, nil, &FormatError{Path: path, Msg: "file too large to map", class: ErrUnsupported}
	case err != nil:
		return nil, nil, fmt.Errorf("gguf: %w", err)
	}
	return data, unmap, nil
}

func madvise(b []byte, willNeed bool) error { return mmap.Advise(b, willNeed) }
