package safetensors

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error classes: every error of Parse, Open and OpenIndex matches exactly one
// of them with errors.Is.
var (
	// ErrFormat: the bytes are not a valid safetensors file or index.
	ErrFormat = errors.New("safetensors: invalid format")
	// ErrUnsupported: a valid file PoT cannot use (a dtype other than F32,
	// F16 or BF16, a header above MaxHeaderSize).
	ErrUnsupported = errors.New("safetensors: unsupported")
)

// FormatError reports a problem in a file, at a byte offset of it and, when
// the problem belongs to one tensor, naming the tensor.
type FormatError struct {
	Path   string // file name; empty for Parse
	Tensor string // the tensor concerned, if any
	Off    int64  // byte offset of the problem, -1 if none applies
	Msg    string
	Val    any // the offending value, or nil

	class error // ErrFormat or ErrUnsupported
}

// maxValLen bounds how much of a value an error repeats.
const maxValLen = 80

// Error prints `safetensors <path>: tensor "<name>": <msg> '<val>' at byte 0x…`.
func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("safetensors")
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	b.WriteString(": ")
	if e.Tensor != "" {
		b.WriteString("tensor " + quote(e.Tensor) + ": ")
	}
	b.WriteString(e.Msg)
	if e.Val != nil {
		s, ok := e.Val.(string)
		if !ok {
			s = fmt.Sprint(e.Val)
		}
		b.WriteString(" '" + strings.Trim(quote(s), `"`) + "'")
	}
	if e.Off >= 0 {
		fmt.Fprintf(&b, " at byte %#x", e.Off)
	}
	return b.String()
}

func quote(s string) string {
	if len(s) > maxValLen {
		s = s[:maxValLen] + "…"
	}
	return strconv.Quote(s)
}

// Unwrap returns the error class.
func (e *FormatError) Unwrap() error {
	if e.class == nil {
		return ErrFormat
	}
	return e.class
}

// Is reports whether target is the error's class.
func (e *FormatError) Is(target error) bool { return target == e.Unwrap() }
