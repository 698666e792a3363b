// Package metalbridge is PoT's bridge to macOS: the Objective-C runtime
// helpers (subpackage objc) and typed Metal wrappers (subpackage mtl), both
// darwin-only and cgo-free through github.com/ebitengine/purego, and the
// Metal implementation of engine.Backend (Backend), whose kernels are the
// embedded kernels.metal, compiled at run time.
//
// The Backend's logic — kernel choice, tiling, grid sizes, buffer lookup,
// the self-test — is portable Go over a small device interface; on a Mac
// the device is Metal (device_darwin.go), and in the tests on any system
// it is an emulator: kernels.metal compiled as C++ by clang with a shim
// header (testdata/emu), run as a subprocess, so every kernel is compared
// with the CPU backend on Linux too. Open chooses between Metal and the CPU
// backend, running the start-up self-test (RunSelfTest) and falling back
// to the CPU on any mismatch; Choice reports the backend, its self-test and
// the reason for a fallback.
//
// Beyond engine.Backend, RowMaxLSE and TopK compute the log-softmax
// normalizer and the top-k ids at scored positions on the GPU; the engine
// does not call them yet (it scores on the host in float64, the certified
// path), so using them is the caller's choice.
//
// Left out: AppKit and IOKit (other work items); function-constant
// specialization of the matrix kernels per weight type (they switch on the
// type at run time). What was and was not verified on
// a real Mac is in README.md.
//
// Ownership: Alloc'd buffers and wrapped weights live until Close. Weights
// are wrapped without a copy (newBufferWithBytesNoCopy over the pages of
// the memory-mapped file); the gguf.File must stay open until Close.
//
// Security stance: inputs are the engine's, already validated; shapes the
// kernels cannot run (a head wider than 256) are refused with an error at
// the next Sync, never run out of bounds. The portable core (verifier/...)
// never imports this package; the app wires it in.
package metalbridge
