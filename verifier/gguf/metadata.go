package gguf

import (
	"fmt"
	"math"
)

// Lookup returns the value of the metadata key, in O(1).
func (f *File) Lookup(key string) (Value, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, false
	}
	return f.KV[i].Value, true
}

// get returns the value of key or an error wrapping ErrNotFound.
func (f *File) get(key string) (Value, int64, error) {
	i, ok := f.kvIndex[key]
	if !ok {
		return Value{}, 0, fmt.Errorf("gguf %s: key %q: %w", f.Path, key, ErrNotFound)
	}
	return f.KV[i].Value, f.kvOff[i], nil
}

// mismatch is the error for a value of the wrong type (it matches ErrFormat:
// a model file whose key has the wrong type is malformed for its readers).
func (f *File) mismatch(key string, off int64, v Value, want string) error {
	got := v.Type.String()
	if a, ok := v.V.(Array); ok {
		got = "array of " + a.Elem.String()
	}
	return &FormatError{Path: f.Path, Off: off, Msg: fmt.Sprintf("key %q: want %s, have", key, want), Val: got, class: ErrFormat}
}

// String returns the string value of key.
func (f *File) String(key string) (string, error) {
	v, off, err := f.get(key)
	if err != nil {
		return "", err
	}
	s, ok := v.V.(string)
	if !ok {
		return "", f.mismatch(key, off, v, "string")
	}
	return s, nil
}

// asInt64 converts any integer value to int64; ok is false for other types,
// big is true for a uint64 above MaxInt64.
func asInt64(v any) (n int64, big, ok bool) {
	switch x := v.(type) {
	case uint8:
		return int64(x), false, true
	case int8:
		return int64(x), false, true
	case uint16:
		return int64(x), false, true
	case int16:
		return int64(x), false, true
	case uint32:
		return int64(x), false, true
	case int32:
		return int64(x), false, true
	case int64:
		return x, false, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, true, true
		}
		return int64(x), false, true
	}
	return 0, false, false
}

// Uint returns the value of key, which may be of any integer type but must
// not be negative.
func (f *File) Uint(key string) (uint64, error) {
	v, off, err := f.get(key)
	if err != nil {
		return 0, err
	}
	if x, ok := v.V.(uint64); ok {
		return x, nil
	}
	n, _, ok := asInt64(v.V)
	if !ok {
		return 0, f.mismatch(key, off, v, "an integer")
	}
	if n < 0 {
		return 0, &FormatError{Path: f.Path, Off: off, Msg: fmt.Sprintf("key %q: negative value", key), Val: n, class: ErrFormat}
	}
	return uint64(n), nil
}

// Int returns the value of key, which may be of any integer type whose
// value fits an int64.
func (f *File) Int(key string) (int64, error) {
	v, off, err := f.get(key)
	if err != nil {
		return 0, err
	}
	n, big, ok := asInt64(v.V)
	if !ok {
		return 0, f.mismatch(key, off, v, "an integer")
	}
	if big {
		return 0, &FormatError{Path: f.Path, Off: off, Msg: fmt.Sprintf("key %q: value overflows int64", key), Val: v.V, class: ErrFormat}
	}
	return n, nil
}

// Float returns the float32 or float64 value of key.
func (f *File) Float(key string) (float64, error) {
	v, off, err := f.get(key)
	if err != nil {
		return 0, err
	}
	switch x := v.V.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, f.mismatch(key, off, v, "a float")
}

// Bool returns the bool value of key.
func (f *File) Bool(key string) (bool, error) {
	v, off, err := f.get(key)
	if err != nil {
		return false, err
	}
	b, ok := v.V.(bool)
	if !ok {
		return false, f.mismatch(key, off, v, "bool")
	}
	return b, nil
}

// array returns the array value of key.
func (f *File) array(key string, want string) (Array, int64, error) {
	v, off, err := f.get(key)
	if err != nil {
		return Array{}, 0, err
	}
	a, ok := v.V.(Array)
	if !ok {
		return Array{}, 0, f.mismatch(key, off, v, want)
	}
	return a, off, nil
}

// Strings returns the string array value of key. The slice is the File's
// own: do not modify it.
func (f *File) Strings(key string) ([]string, error) {
	a, off, err := f.array(key, "array of string")
	if err != nil {
		return nil, err
	}
	s, ok := a.Elems.([]string)
	if !ok {
		return nil, f.mismatch(key, off, Value{TypeArray, a}, "array of string")
	}
	return s, nil
}

// Float32s returns the float32 array value of key. The slice is the File's
// own: do not modify it.
func (f *File) Float32s(key string) ([]float32, error) {
	a, off, err := f.array(key, "array of float32")
	if err != nil {
		return nil, err
	}
	s, ok := a.Elems.([]float32)
	if !ok {
		return nil, f.mismatch(key, off, Value{TypeArray, a}, "array of float32")
	}
	return s, nil
}

// Int32s returns the value of key as int32s. An int32 array is returned as
// is (the File's own slice: do not modify it); arrays of any other integer
// type are converted if every element fits an int32.
func (f *File) Int32s(key string) ([]int32, error) {
	a, off, err := f.array(key, "array of int32")
	if err != nil {
		return nil, err
	}
	switch s := a.Elems.(type) {
	case []int32:
		return s, nil
	case []uint8:
		return convert(s, func(x uint8) (int32, bool) { return int32(x), true }), nil
	case []int8:
		return convert(s, func(x int8) (int32, bool) { return int32(x), true }), nil
	case []uint16:
		return convert(s, func(x uint16) (int32, bool) { return int32(x), true }), nil
	case []int16:
		return convert(s, func(x int16) (int32, bool) { return int32(x), true }), nil
	case []uint32:
		if r := convert(s, func(x uint32) (int32, bool) { return int32(x), x <= math.MaxInt32 }); r != nil {
			return r, nil
		}
	case []uint64:
		if r := convert(s, func(x uint64) (int32, bool) { return int32(x), x <= math.MaxInt32 }); r != nil {
			return r, nil
		}
	case []int64:
		if r := convert(s, func(x int64) (int32, bool) { return int32(x), x >= math.MinInt32 && x <= math.MaxInt32 }); r != nil {
			return r, nil
		}
	default:
		return nil, f.mismatch(key, off, Value{TypeArray, a}, "array of int32")
	}
	return nil, &FormatError{Path: f.Path, Off: off, Msg: fmt.Sprintf("key %q: an element does not fit an int32; element type", key), Val: a.Elem.String(), class: ErrFormat}
}

// convert maps s through conv; nil if any element does not convert.
func convert[T any](s []T, conv func(T) (int32, bool)) []int32 {
	r := make([]int32, len(s))
	for i, x := range s {
		y, ok := conv(x)
		if !ok {
			return nil
		}
		r[i] = y
	}
	return r
}
