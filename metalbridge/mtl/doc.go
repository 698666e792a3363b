// Package mtl is a small typed wrapper of Apple's Metal framework for
// compute: the system device, command queues and buffers, compute command
// encoders, shared-storage buffers (also over existing page-aligned memory,
// without a copy), libraries compiled from source at run time, and compute
// pipelines. Each Objective-C type has one Go struct holding its id, with
// one-line methods; enums carry Apple's values. It is darwin-only and
// cgo-free (github.com/ebitengine/purego); on other systems the package is
// empty.
//
// Ownership follows package objc: New… methods and CreateSystemDefaultDevice
// return objects the caller must Release; CommandBuffer and
// ComputeCommandEncoder return autoreleased objects, which callers create
// inside objc.WithPool and Retain if they keep them past it. Go memory
// passed to a method (bytes, source text) is only read during the call.
// Metal objects may be used from any thread, but not concurrently.
//
// Reference: https://developer.apple.com/documentation/metal
package mtl
