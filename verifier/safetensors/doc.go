// Package safetensors reads safetensors files, the tensor container of
// Hugging Face model releases, and sharded models through their
// model.safetensors.index.json.
//
// Format: https://github.com/huggingface/safetensors (README, "Format"): an
// 8-byte little-endian header length N, N bytes of JSON mapping each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end]} (plus an optional
// "__metadata__" object of strings), then the data, to which the offsets
// are relative.
//
// Scope: F32, F16 and BF16 tensors (what model releases hold), zero-copy
// access to the data through a read-only memory map, page-cache hints for
// streaming, the index of sharded models, and a small writer (Write) for
// fixtures and tests. Left out: the integer, F64 and FP8 dtypes (refused
// with ErrUnsupported).
//
// Security: the reader is hardened against hostile files, following the
// reference implementation's own validation and stricter: the header length
// is bounded (MaxHeaderSize) and must fit in the file; the header is valid
// UTF-8 JSON, an object whose keys are unique (duplicates are refused, where
// encoding/json would keep the last); every entry has exactly the fields
// dtype, shape and data_offsets; shape × dtype size equals end − begin with
// overflow-checked arithmetic; and the tensors, sorted by offset, tile the
// data section exactly, with no gap, no overlap and nothing after the last.
// A bad file yields a *FormatError (matching ErrFormat or ErrUnsupported)
// naming the file and, where there is one, the tensor; never a panic or an
// allocation much larger than the file. Parse is fuzzed (FuzzParse).
package safetensors
