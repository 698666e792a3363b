package gguf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error classes. Every error that Parse, Open and the metadata getters return
// matches exactly one of them with errors.Is.
var (
	// ErrFormat: the bytes are not a valid GGUF file (truncated, a count or
	// offset out of bounds, a duplicate key, a wrongly typed metadata value).
	ErrFormat = errors.New("gguf: invalid format")
	// ErrUnsupported: a well-formed file that PoT cannot read (GGUF v1,
	// big-endian files, a ggml tensor type whose layout PoT does not know).
	ErrUnsupported = errors.New("gguf: unsupported")
	// ErrNotFound: a metadata key asked for by a getter is absent.
	ErrNotFound = errors.New("gguf: key not found")
)

// FormatError reports a problem at a byte offset of a file. It matches
// ErrFormat or ErrUnsupported (never both) with errors.Is.
type FormatError struct {
	Path string // file name; empty for Parse
	Off  int64  // byte offset of the offending field
	Msg  string
	Val  any // the offending value, or nil

	class error // ErrFormat or ErrUnsupported
}

// maxValLen bounds how much of a string value an error message repeats, so a
// hostile 1 GB key cannot make a 1 GB error message.
const maxValLen = 80

// Error prints "gguf <path>: <msg> '<val>' at byte 0x…".
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("gguf")
	if e.Path != "" {
		b.WriteString(" ")
		b.WriteString(e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Val != nil {
		var s string
		switch v := e.Val.(type) {
		case string:
			if len(v) > maxValLen {
				v = v[:maxValLen] + "…"
			}
			s = strconv.Quote(v)
			s = s[1 : len(s)-1]
		default:
			s = fmt.Sprint(v)
		}
		b.WriteString(" '")
		b.WriteString(s)
		b.WriteString("'")
	}
	fmt.Fprintf(&b, " at byte %#x", e.Off)
	return b.String()
}

// Unwrap returns the error class (ErrFormat or ErrUnsupported).
func (e *FormatError) Unwrap() error {
	if e.class == nil {
		return ErrFormat
	}
	return e.class
}

// Is reports whether target is the error's class.
func (e *FormatError) Is(target error) bool { return target == e.Unwrap() }
