package hfmodel

import "errors"

// Error classes, tested with errors.Is. Errors name the file concerned.
var (
	// ErrFormat: a file of the directory is malformed.
	ErrFormat = errors.New("hfmodel: invalid format")
	// ErrUnsupported: a valid directory PoT cannot read (another
	// architecture, tokenizer or pre-tokenizer, a rope scaling it does not
	// implement).
	ErrUnsupported = errors.New("hfmodel: unsupported")
)
