// Package mmap maps whole files read-only for the model readers (gguf,
// safetensors) and passes page-cache hints for streaming.
//
// Where mmap is unavailable the file is read into memory instead and the
// hints are no-ops (Supported says which).
package mmap

import "errors"

// ErrEmpty is returned for a file of length 0, which cannot be mapped; the
// readers report it as a format error ("empty file").
var ErrEmpty = errors.New("empty file")

// ErrTooLarge is returned for a file larger than the address space.
var ErrTooLarge = errors.New("file too large to map")
